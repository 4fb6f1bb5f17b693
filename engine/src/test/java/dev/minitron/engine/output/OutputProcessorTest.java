package dev.minitron.engine.output;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.FinishReason;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputProcessorTest {

    /** Token i < 256 is byte i; 256 is EOS. Enough to drive text assembly byte by byte. */
    private static final Tokenizer BYTES = new Tokenizer() {
        public int[] encode(String text) { return encodeRaw(text); }
        public int[] encodeRaw(String text) {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            int[] ids = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                ids[i] = b[i] & 0xff;
            }
            return ids;
        }
        public String decode(int[] ids) { throw new UnsupportedOperationException(); }
        public byte[] tokenBytes(int id) { return id < 256 ? new byte[] {(byte) id} : new byte[0]; }
        public int vocabSize() { return 257; }
        public int bosId() { return 256; }
        public int eosId() { return 256; }
        public boolean addsBos() { return false; }
    };

    private static String feed(OutputProcessor p, String text, StringBuilder finish) {
        StringBuilder out = new StringBuilder();
        int n = 0;
        for (int id : BYTES.encodeRaw(text)) {
            n++;
            var step = p.onToken(id, n, n);
            out.append(step.delta()).append('|');
            if (step.finishReason() != null) {
                finish.append(step.finishReason());
                break;
            }
        }
        return out.toString();
    }

    @Test
    void prefixOfAStopStringIsHeldBackUntilItCannotMatch() {
        var params = SamplingParams.builder().maxTokens(100).stop(List.of("END")).build();
        var p = new OutputProcessor(BYTES, params, 1000);
        StringBuilder finish = new StringBuilder();
        String deltas = feed(p, "aENx", finish);
        assertThat(deltas).isEqualTo("a|||ENx|");
        assertThat(finish).isEmpty();
    }

    @Test
    void stopStringAcrossTokensIsCutAndNeverEmitted() {
        var params = SamplingParams.builder().maxTokens(100).stop(List.of("END")).build();
        var p = new OutputProcessor(BYTES, params, 1000);
        StringBuilder finish = new StringBuilder();
        String deltas = feed(p, "hiENDmore", finish);
        assertThat(deltas).isEqualTo("h|i||||");
        assertThat(finish.toString()).isEqualTo("STOP");
        assertThat(p.text()).isEqualTo("hi");
    }

    @Test
    void incompleteUtf8IsHeldUntilTheCharacterIsWhole() {
        var params = SamplingParams.builder().maxTokens(100).build();
        var p = new OutputProcessor(BYTES, params, 1000);
        String deltas = feed(p, "é!", new StringBuilder());
        assertThat(deltas).isEqualTo("|é|!|");
    }

    @Test
    void maxTokensFlushesWhatIsHeldBack() {
        var params = SamplingParams.builder().maxTokens(3).stop(List.of("xyz")).build();
        var p = new OutputProcessor(BYTES, params, 1000);
        StringBuilder finish = new StringBuilder();
        String deltas = feed(p, "abx", finish);
        assertThat(deltas).isEqualTo("a|b|x|");
        assertThat(finish.toString()).isEqualTo("LENGTH");
    }

    @Test
    void eosEndsWithStopAndAddsNoText() {
        var params = SamplingParams.builder().maxTokens(10).build();
        var p = new OutputProcessor(BYTES, params, 1000);
        assertThat(p.onToken('a', 1, 1).delta()).isEqualTo("a");
        var step = p.onToken(256, 2, 2);
        assertThat(step.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(step.delta()).isEmpty();
        assertThat(p.text()).isEqualTo("a");
    }
}

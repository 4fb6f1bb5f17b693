package dev.minitron.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.backend.SampledTokens;
import dev.minitron.engine.backend.SamplingRow;
import dev.minitron.engine.sample.SamplingParams;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The bytes {@code sample_rows} reads (SampleRowParams, penalty pairs) and the output it writes. */
class DeviceSamplerPackerTest {

    @Test
    void paramsMatchTheCStruct() {
        var plain = SamplingParams.builder().temperature(0.75).topK(50).topP(0.9).minP(0.05).logprobs(3).build();
        var penal = SamplingParams.builder().temperature(0).topK(300).repetitionPenalty(1.25)
                .presencePenalty(0.5).frequencyPenalty(-0.25).build();
        int[] history = {5, 9, 5, 2, 9, 9, 400, -1, 7};
        SamplingRow[] rows = {
            new SamplingRow(plain, 0.125, new int[0], 0, 0),
            new SamplingRow(penal, 0.5, history, 3, history.length),
        };
        ByteBuffer b = new SamplingRowsPacker().pack(rows, 300).order(ByteOrder.LITTLE_ENDIAN);

        assertThat(b.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getDouble(0)).isEqualTo(0.125);
        assertThat(b.getDouble(8)).isEqualTo(0.9);
        assertThat(b.getDouble(16)).isEqualTo(0.05);
        assertThat(b.getDouble(24)).isEqualTo(0.0);
        assertThat(b.getDouble(32)).isEqualTo(0.0);
        assertThat(b.getFloat(40)).isEqualTo(0.75f);
        assertThat(b.getFloat(44)).isEqualTo(1f);
        assertThat(b.getInt(48)).isEqualTo(50);
        assertThat(b.getInt(52)).isZero();
        assertThat(b.getInt(56)).isEqualTo(3);
        assertThat(b.getInt(60)).isZero();
        assertThat(b.getInt(64)).isZero();

        int r1 = SamplingRowsPacker.PARAM_BYTES;
        assertThat(b.getDouble(r1)).isEqualTo(0.5);
        assertThat(b.getDouble(r1 + 24)).isEqualTo(0.5);
        assertThat(b.getDouble(r1 + 32)).isEqualTo(-0.25);
        assertThat(b.getFloat(r1 + 44)).isEqualTo(1.25f);
        assertThat(b.getInt(r1 + 48)).as("top-k >= vocab is off").isZero();
        assertThat(b.getInt(r1 + 52)).isEqualTo(SamplingRowsPacker.FLAG_GREEDY | SamplingRowsPacker.FLAG_REPETITION
                | SamplingRowsPacker.FLAG_PRESENCE_FREQUENCY);
        assertThat(b.getInt(r1 + 56)).isEqualTo(-1);
        assertThat(b.getInt(r1 + 60)).isZero();
        assertThat(b.getInt(r1 + 64)).isEqualTo(4);

        // pairs: distinct in-vocab tokens ascending, with output counts (prompt = 5, 9, 5)
        int at = (int) SamplingRowsPacker.penaltiesByteOffset(2);
        int[] expected = {2, 1, 5, 0, 7, 1, 9, 2};
        for (int i = 0; i < expected.length; i++) {
            assertThat(b.getInt(at + 4 * i)).as("pair int %d", i).isEqualTo(expected[i]);
        }
        assertThat(b.limit()).isEqualTo(at + 4 * expected.length);
    }

    @Test
    void promptOnlyTokensAreLeftOutWithoutRepetitionPenalty() {
        var p = SamplingParams.builder().presencePenalty(1).build();
        int[] history = {5, 6, 6, 8};
        var packer = new SamplingRowsPacker();
        packer.pack(new SamplingRow[] {new SamplingRow(p, 0, history, 2, 4)}, 10);
        assertThat(packer.pairs()).containsExactly(6, 1, 8, 1);
    }

    @Test
    void outputRowsUnpack() {
        var with = SamplingParams.builder().logprobs(2).build();
        var without = SamplingParams.builder().build();
        SamplingRow[] rows = {new SamplingRow(without, 0, new int[0], 0, 0), new SamplingRow(with, 0, new int[0], 0, 0)};
        int[] out = new int[2 * DeviceSampler.OUT_STRIDE];
        out[0] = 17;
        int b = DeviceSampler.OUT_STRIDE;
        out[b] = 4;
        out[b + 1] = Float.floatToIntBits(-0.5f);
        out[b + 2] = 4;
        out[b + 3] = 8;
        out[b + 2 + DeviceSampler.MAX_LOGPROBS] = Float.floatToIntBits(-0.5f);
        out[b + 3 + DeviceSampler.MAX_LOGPROBS] = Float.floatToIntBits(-1.5f);
        ByteBuffer bytes = ByteBuffer.allocate(out.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asIntBuffer().put(out);
        SampledTokens s = DeviceSampler.unpack(bytes.asIntBuffer(), rows);
        assertThat(s.tokens()).containsExactly(17, 4);
        assertThat(s.logprobs()[0]).isNull();
        assertThat(s.logprobs()[1].logprob()).isEqualTo(-0.5f);
        assertThat(s.logprobs()[1].topTokenIds()).containsExactly(4, 8);
        assertThat(s.logprobs()[1].topLogprobs()).containsExactly(-0.5f, -1.5f);
    }
}

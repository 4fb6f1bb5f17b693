package dev.minitron.worker.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The strict reader rejects what promtool rejects, so a page it accepts parses there too. */
class StrictTextFormatTest {

    @Test
    void acceptsThePageShapesTheWorkerServes() {
        String page = """
                # HELP minitron:request_latency_seconds A back\\\\slash, a line\\nbreak and "quotes" are fine
                # TYPE minitron:request_latency_seconds histogram
                minitron:request_latency_seconds_bucket{model_name="tiny",le="0.3"} 1.0
                minitron:request_latency_seconds_bucket{model_name="tiny",le="+Inf",} 2
                minitron:request_latency_seconds_sum{model_name="tiny"} 0.42
                minitron:request_latency_seconds_count{model_name="tiny"} 2 1733580000000
                # TYPE up gauge
                up{path="C:\\\\x",quote="say \\"hi\\"",nl="a\\nb"} NaN
                # UNIT up seconds
                # EOF
                """;
        assertThat(StrictTextFormat.check(page)).isEqualTo(5);
    }

    @Test
    void rejectsAnEscapedQuoteInHelpAsPromtoolDoes() {
        assertThatThrownBy(() -> StrictTextFormat.check("# HELP cpu The \\\"recent cpu usage\\\"\ncpu 1\n"))
                .hasMessageContaining("line 1").hasMessageContaining("invalid escape sequence '\\\"'");
    }

    @Test
    void rejectsMalformedLabelsTypesAndValues() {
        assertThatThrownBy(() -> StrictTextFormat.check("a{b=\"\\t\"} 1\n")).hasMessageContaining("invalid escape");
        assertThatThrownBy(() -> StrictTextFormat.check("a{b=\"x\",b=\"y\"} 1\n")).hasMessageContaining("duplicate label");
        assertThatThrownBy(() -> StrictTextFormat.check("# TYPE a info\na 1\n")).hasMessageContaining("unknown metric type");
        assertThatThrownBy(() -> StrictTextFormat.check("a 1\n# TYPE a gauge\n")).hasMessageContaining("after samples");
        assertThatThrownBy(() -> StrictTextFormat.check("# HELP a x\n# HELP a y\n")).hasMessageContaining("second HELP");
        assertThatThrownBy(() -> StrictTextFormat.check("a one\n")).hasMessageContaining("float");
        assertThatThrownBy(() -> StrictTextFormat.check("a 1\na 2\n")).hasMessageContaining("second sample");
        assertThatThrownBy(() -> StrictTextFormat.check("a 1 # {trace_id=\"x\"} 1\n")).hasMessageContaining("timestamp");
        assertThatThrownBy(() -> StrictTextFormat.check("# TYPE h histogram\nh_bucket 1\n")).hasMessageContaining("le label");
    }
}

package dev.minitron.schemas.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.junit.jupiter.api.Test;

class Rfc3339Test {

    @Test
    void readsUtcWithZ() {
        assertThat(Rfc3339.parse("2026-01-01T12:00:00Z")).isEqualTo(Instant.ofEpochSecond(1_767_268_800L));
    }

    @Test
    void readsAnOffsetAsTheSameInstant() {
        assertThat(Rfc3339.parse("2026-01-01T13:30:00+01:30")).isEqualTo(Rfc3339.parse("2026-01-01T12:00:00Z"));
    }

    @Test
    void readsLowerCaseSeparators() {
        assertThat(Rfc3339.parse("2026-01-01t12:00:00.25z")).isEqualTo(Instant.parse("2026-01-01T12:00:00.25Z"));
    }

    @Test
    void writesUtcWithZAndOnlyTheFractionThatIsThere() {
        assertThat(Rfc3339.format(Instant.parse("2026-01-01T12:00:00Z"))).isEqualTo("2026-01-01T12:00:00Z");
        assertThat(Rfc3339.format(Instant.parse("2026-01-01T12:00:00.500Z"))).isEqualTo("2026-01-01T12:00:00.500Z");
    }

    @Test
    void refusesADateWithoutATime() {
        assertThatThrownBy(() -> Rfc3339.parse("2026-01-01")).isInstanceOf(DateTimeParseException.class);
    }
}

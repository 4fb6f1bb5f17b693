package dev.minitron.worker.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.inject.Singleton;

/**
 * Keeps every HELP text on /q/metrics free of double quotes, for ours and the libraries' meters
 * alike (Micrometer's processor binders write {@code The "recent cpu usage" …}). Quarkus serves the
 * page as OpenMetrics unless the client asks for {@code text/plain}, and OpenMetrics escapes a quote
 * in HELP as {@code \"}; the Prometheus text-format parser that promtool and the Go tools use accepts
 * only {@code \\} and {@code \n} there, stops with "invalid escape sequence" and reads nothing past
 * that line. An apostrophe reads the same to a person and is legal in both formats. Backslashes and
 * line breaks need nothing: both formats escape them the same way.
 */
@Singleton   // Quarkus applies every MeterFilter bean to the registry before any meter registers
public class PlainHelpText implements MeterFilter {

    @Override
    public Meter.Id map(Meter.Id id) {
        String help = id.getDescription();
        if (help == null || help.indexOf('"') < 0) {
            return id;
        }
        return new Meter.Id(id.getName(), Tags.of(id.getTagsAsIterable()),
                id.getBaseUnit(), help.replace('"', '\''), id.getType());
    }
}

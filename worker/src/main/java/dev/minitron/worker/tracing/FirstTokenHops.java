package dev.minitron.worker.tracing;

import java.time.Instant;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * Where one request's time to first token went inside the worker, as a JDK Flight Recorder event
 * committed when its first token event is acknowledged by the broker. Every field is a wall-clock
 * time in microseconds since the epoch, so a client on the same host (the benchmark) can line its
 * own send and receive times up with them: {@code ./minitron bench-delivery kafka-vs-direct --jfr}
 * prints the hop-by-hop breakdown (docs/benchmarks/kafka.md).
 *
 * <p>Off unless a recording is running ({@code -XX:StartFlightRecording}); then it costs one object
 * per request. It names the request by its id only: ids are the client's keys, never prompt text.
 */
@Name("minitron.FirstTokenHops")
@Label("First token hops")
@Category({"Minitron", "Kafka"})
@Description("A request's way from the prompt poll to its first token event's acknowledgement (µs since the epoch)")
@StackTrace(false)
@Enabled(true)
public final class FirstTokenHops extends Event {

    @Label("Request id")
    public String id;
    @Label("Polled") @Description("the poll that returned the prompt record returned")
    public long polled;
    @Label("Admitted") @Description("parsed and validated, queued for the engine")
    public long admitted;
    @Label("Handed to engine") @Description("after the attempt journal's commit: in the engine's inbox")
    public long handedToEngine;
    @Label("First token") @Description("the engine delivered the first token")
    public long firstToken;
    @Label("Sent") @Description("the first token event, serialized, handed to the producer")
    public long sent;
    @Label("Acknowledged") @Description("the broker acknowledged the first token event")
    public long acked;

    /** Now, in microseconds since the epoch (the wall clock every process on this host shares). */
    public static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}

package dev.minitron.worker.chaos;

import dev.minitron.worker.dev.ChaosBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Starts faults at random times (exponential gaps, seeded) and heals the timed ones when they are
 * due. A per-worker fault picks a victim among the healthy workers and never the last healthy one,
 * so the fleet as a whole can always make progress; faults do overlap otherwise (a worker may be
 * frozen while another is killed and the broker restarts). Driven by the chaos driver's one thread.
 */
final class FaultInjector {

    /** A fault in progress, healed at {@code healAtNanos}. */
    private record Active(Fault fault, WorkerSlot slot, long healAtNanos) {
    }

    private static final Duration MIN_HELD = Duration.ofSeconds(8);   // past the 6 s session timeout
    private static final Duration MAX_HELD = Duration.ofSeconds(14);

    private final List<WorkerSlot> slots;
    private final ChaosBroker broker;
    private final List<Fault> kinds;
    private final Duration meanGap;
    private final SplittableRandom random;
    private final Consumer<String> events;
    private final List<Active> active = new ArrayList<>();
    private final Map<Fault, Integer> injected = new EnumMap<>(Fault.class);
    private long nextAtNanos;

    FaultInjector(List<WorkerSlot> slots, ChaosBroker broker, List<Fault> kinds, Duration meanGap, long seed,
            Consumer<String> events) {
        this.slots = slots;
        this.broker = broker;
        this.kinds = kinds;
        this.meanGap = meanGap;
        this.random = new SplittableRandom(seed);
        this.events = events;
        this.nextAtNanos = System.nanoTime() + gap();
    }

    private long gap() {
        return (long) (-Math.log(1 - random.nextDouble()) * meanGap.toNanos());
    }

    /** Heals what is due, then starts the next fault if its time has come. */
    void tick() throws Exception {
        long now = System.nanoTime();
        for (Iterator<Active> it = active.iterator(); it.hasNext(); ) {
            Active a = it.next();
            if (now >= a.healAtNanos()) {
                heal(a);
                it.remove();
            }
        }
        if (!kinds.isEmpty() && now >= nextAtNanos) {
            inject(kinds.get(random.nextInt(kinds.size())));
            nextAtNanos = System.nanoTime() + gap();
        }
    }

    private void inject(Fault fault) throws Exception {
        if (!fault.perWorker()) {
            Duration down = Duration.ofMillis(1000 + random.nextInt(4000));
            events.accept("broker restart (down for " + down.toMillis() + " ms)");
            count(fault);
            broker.restart(down, Duration.ofSeconds(120));
            events.accept("broker back");
            return;
        }
        // A stalled or partitioned worker is alive and "ready" but cut off: it does not count as spare.
        List<WorkerSlot> healthy = slots.stream().filter(s -> s.healthy() && !busy(s)).toList();
        if (healthy.size() < 2) {
            events.accept(fault.label() + " skipped: no worker to spare");
            return;
        }
        WorkerSlot victim = healthy.get(random.nextInt(healthy.size()));
        String name = victim.current().name();
        long held = MIN_HELD.toNanos() + (long) (random.nextDouble() * (MAX_HELD.toNanos() - MIN_HELD.toNanos()));
        long healAt = System.nanoTime() + held;
        count(fault);
        switch (fault) {
            case KILL -> {
                events.accept("kill -9 " + name);
                victim.current().killHard();
            }
            case TERM -> {
                events.accept("SIGTERM " + name);
                victim.current().terminate();
            }
            case STOP -> {
                events.accept("SIGSTOP " + name + " for " + held / 1_000_000 + " ms");
                victim.suspend();
                active.add(new Active(fault, victim, healAt));
            }
            case STALL -> {
                events.accept("stall " + name + "'s connections for " + held / 1_000_000 + " ms");
                victim.proxy().stall();
                active.add(new Active(fault, victim, healAt));
            }
            case CUT -> events.accept("cut " + victim.proxy().cut() + " connections of " + name);
            case PARTITION -> {
                events.accept("partition " + name + " from the broker for " + held / 1_000_000 + " ms");
                victim.proxy().partition(true);
                active.add(new Active(fault, victim, healAt));
            }
            case BROKER -> throw new AssertionError("not per worker");
        }
    }

    private boolean busy(WorkerSlot slot) {
        return active.stream().anyMatch(a -> a.slot() == slot);
    }

    private void count(Fault fault) {
        injected.merge(fault, 1, Integer::sum);
    }

    private void heal(Active a) throws Exception {
        String name = a.slot().current().name();
        switch (a.fault()) {
            case STOP -> {
                a.slot().resume();
                events.accept("SIGCONT " + name);
            }
            case STALL -> {
                a.slot().proxy().resume();
                events.accept("unstall " + name);
            }
            case PARTITION -> {
                a.slot().proxy().partition(false);
                events.accept("heal partition of " + name);
            }
            default -> {
            }
        }
    }

    /** Ends every fault in progress (before the drain). */
    void healAll() throws Exception {
        for (Active a : active) {
            heal(a);
        }
        active.clear();
    }

    Map<Fault, Integer> injected() {
        return Map.copyOf(injected);
    }
}

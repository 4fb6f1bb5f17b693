package dev.minitron.engine.backend;

/**
 * How often a {@link FaultInjectingBackend} makes a model step fail. For fault tests only (a chaos
 * harness, docs/reliability.md): never on by default, never in production.
 *
 * @param stepFailureRate probability in [0, 1] that a step throws {@link InjectedFault}: that step's
 *                        requests end with an error and the engine goes on (until too many fail in a row)
 * @param deathRate       probability in [0, 1] that a step throws {@link InjectedDeviceLoss}: the engine
 *                        loop dies as on a lost device
 * @param seed            seeds the draws, so a process injects the same faults at the same steps
 */
public record FaultInjection(double stepFailureRate, double deathRate, long seed) {

    /** No faults at all. */
    public static final FaultInjection NONE = new FaultInjection(0, 0, 0);

    public FaultInjection {
        checkRate("stepFailureRate", stepFailureRate);
        checkRate("deathRate", deathRate);
    }

    /** True when some fault can happen. */
    public boolean enabled() {
        return stepFailureRate > 0 || deathRate > 0;
    }

    private static void checkRate(String name, double rate) {
        if (!(rate >= 0 && rate <= 1)) {   // also refuses NaN
            throw new IllegalArgumentException(name + " must be in [0, 1], got " + rate);
        }
    }
}

package dev.minitron.engine.backend;

/**
 * A model step failed on purpose ({@link FaultInjectingBackend}): the engine answers that step's
 * requests with an error, as for any failed step. Fault tests only.
 */
public final class InjectedFault extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InjectedFault() {
        super("injected step failure (minitron.engine.fault-injection)");
    }
}

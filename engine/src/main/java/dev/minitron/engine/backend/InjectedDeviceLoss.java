package dev.minitron.engine.backend;

/**
 * The device was "lost" on purpose ({@link FaultInjectingBackend}). An {@link Error}, not an
 * exception: the engine does not treat it as one failed step, its loop dies and the requests inside
 * get no answer, as when a real device disappears. Fault tests only.
 */
public final class InjectedDeviceLoss extends Error {

    private static final long serialVersionUID = 1L;

    public InjectedDeviceLoss() {
        super("injected device loss (minitron.engine.fault-injection)");
    }
}

package dev.minitron.engine;

/**
 * Receives one request's outputs, in order, on the engine thread. Must return quickly and must not
 * throw; a sink that throws is logged and the request goes on.
 */
@FunctionalInterface
public interface RequestSink {

    void accept(RequestOutput output);
}

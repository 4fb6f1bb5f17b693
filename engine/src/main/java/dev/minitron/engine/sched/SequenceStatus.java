package dev.minitron.engine.sched;

public enum SequenceStatus {
    WAITING,
    RUNNING,
    FINISHED
}

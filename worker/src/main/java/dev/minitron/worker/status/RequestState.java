package dev.minitron.worker.status;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Where a request is, as the status view has seen it in the topics. */
public enum RequestState {
    /** Its prompt record was seen, no answer yet. */
    QUEUED("queued"),
    /** Token events of its newest attempt are arriving. */
    RUNNING("running"),
    /** A completion arrived (any finish reason but {@code error}). */
    DONE("done"),
    /** An error event answered it, or its completion finished with {@code error}. */
    ERROR("error");

    private final String wireName;

    RequestState(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    public boolean terminal() {
        return this == DONE || this == ERROR;
    }

    /** The state with this wire name, or null when there is none. */
    @JsonCreator
    public static RequestState fromWireName(String name) {
        for (RequestState state : values()) {
            if (state.wireName.equals(name)) {
                return state;
            }
        }
        return null;
    }
}

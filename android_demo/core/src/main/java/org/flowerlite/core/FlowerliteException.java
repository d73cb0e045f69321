package org.flowerlite.core;

/** Root of every error the flowerlite core raises; mirrors the Python SDK's FlowerliteError. */
public class FlowerliteException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FlowerliteException(String message) {
        super(message);
    }

    public FlowerliteException(String message, Throwable cause) {
        super(message, cause);
    }
}

package org.flowerlite.core;

/** The bytes are not a TFLite model this core can use (bad flatbuffer, wrong tensor layout or type). */
public class InvalidModelException extends FlowerliteException {
    private static final long serialVersionUID = 1L;

    public InvalidModelException(String message) {
        super(message);
    }

    public InvalidModelException(String message, Throwable cause) {
        super(message, cause);
    }
}

package org.flowerlite.core;

/** The pixels handed to the preprocessor cannot be used (empty, or the array does not match the size). */
public class InvalidImageException extends FlowerliteException {
    private static final long serialVersionUID = 1L;

    public InvalidImageException(String message) {
        super(message);
    }
}

package org.flowerlite.core;

/** The model's TFLite metadata is missing, incomplete or inconsistent with its tensors. */
public class MetadataException extends FlowerliteException {
    private static final long serialVersionUID = 1L;

    public MetadataException(String message) {
        super(message);
    }
}

package org.flowerlite.core;

import java.nio.ByteBuffer;

/**
 * Runs the model once. The Android app implements it with LiteRT's Interpreter; tests use a fake,
 * so the whole pipeline around inference is covered on a plain JVM.
 */
public interface InferenceEngine {
    /** Reads {@code input} (the input tensor's bytes) and writes the output tensor's bytes into {@code output}. */
    void run(ByteBuffer input, ByteBuffer output);
}

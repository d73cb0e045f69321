package org.flowerlite.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One preprocessed image, ready for the model: NHWC values in the input tensor's own type
 * (normalised floats for FLOAT32, quantised integers for UINT8/INT8).
 */
public final class InputTensor {
    private final TensorSpec spec;
    private final float[] normalized;
    private final int[] quantized;

    InputTensor(TensorSpec spec, float[] normalized, int[] quantized) {
        this.spec = spec;
        this.normalized = normalized;
        this.quantized = quantized;
    }

    public TensorSpec spec() {
        return spec;
    }

    /** The normalised values (pixel - mean) / std, before any quantisation, NHWC order. */
    public float[] normalized() {
        return normalized.clone();
    }

    /** The quantised values fed to a UINT8/INT8 input, or null for a FLOAT32 input. */
    public int[] quantized() {
        return quantized == null ? null : quantized.clone();
    }

    /** The tensor's bytes in a direct, native-order buffer, as LiteRT's Interpreter.run expects. */
    public ByteBuffer toByteBuffer() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(spec.byteSize()).order(ByteOrder.nativeOrder());
        if (quantized == null) {
            for (float v : normalized) {
                buffer.putFloat(v);
            }
        } else {
            for (int v : quantized) {
                buffer.put((byte) v);
            }
        }
        buffer.rewind();
        return buffer;
    }
}

package org.flowerlite.core;

import java.util.Arrays;

/** Shape, element type and (per-tensor) quantisation of one model input or output, read from the model. */
public final class TensorSpec {
    private final String name;
    private final int[] shape;
    private final TensorType type;
    private final float scale;
    private final int zeroPoint;

    public TensorSpec(String name, int[] shape, TensorType type, float scale, int zeroPoint) {
        this.name = name;
        this.shape = shape.clone();
        this.type = type;
        this.scale = scale;
        this.zeroPoint = zeroPoint;
    }

    public String name() {
        return name;
    }

    public int[] shape() {
        return shape.clone();
    }

    public TensorType type() {
        return type;
    }

    /** Quantisation scale; 0 when the tensor is not quantised. */
    public float scale() {
        return scale;
    }

    public int zeroPoint() {
        return zeroPoint;
    }

    /** True for integer tensors carrying a scale, which must be (de)quantised. */
    public boolean isQuantized() {
        return type != TensorType.FLOAT32 && scale != 0f;
    }

    /** Number of elements (product of the shape). */
    public int elementCount() {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    public int byteSize() {
        return elementCount() * type.size;
    }

    @Override
    public String toString() {
        return name + " " + Arrays.toString(shape) + " " + type
                + (isQuantized() ? " (scale=" + scale + ", zero_point=" + zeroPoint + ")" : "");
    }
}

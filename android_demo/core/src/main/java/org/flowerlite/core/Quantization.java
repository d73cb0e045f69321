package org.flowerlite.core;

/** Affine (de)quantisation with a tensor's scale and zero point: real = scale * (q - zero_point). */
public final class Quantization {
    private Quantization() {}

    /** round(x / scale) + zero_point, half to even as numpy rounds, clipped to the tensor type's range. */
    public static int[] quantize(float[] values, TensorSpec spec) {
        if (!spec.isQuantized()) {
            throw new IllegalArgumentException("tensor " + spec + " is not quantised");
        }
        int lo = spec.type().minValue();
        int hi = spec.type().maxValue();
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            double q = Math.rint(values[i] / spec.scale()) + spec.zeroPoint();
            out[i] = (int) Math.max(lo, Math.min(hi, q));
        }
        return out;
    }

    /** scale * (q - zero_point) for each raw value. */
    public static float[] dequantize(int[] values, TensorSpec spec) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = spec.scale() * (values[i] - spec.zeroPoint());
        }
        return out;
    }
}

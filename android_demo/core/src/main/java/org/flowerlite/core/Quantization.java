package org.flowerlite.core;

/** Affine (de)quantisation with a tensor's scale and zero point: real = scale * (q - zero_point). */
public final class Quantization {
    private Quantization() {}

    /**
     * round(x / scale) + zero_point, clipped to the tensor type's range: the SDK's to_input_tensor and
     * TFLite's Quantize op, which compute in float32 and round half away from zero.
     */
    public static int[] quantize(float[] values, TensorSpec spec) {
        if (!spec.isQuantized()) {
            throw new IllegalArgumentException("tensor " + spec + " is not quantised");
        }
        int lo = spec.type().minValue();
        int hi = spec.type().maxValue();
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            float x = values[i] / spec.scale();
            double q = Math.signum(x) * Math.floor(Math.abs(x) + 0.5f) + spec.zeroPoint();
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

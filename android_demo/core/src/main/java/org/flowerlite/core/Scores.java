package org.flowerlite.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Reads a classifier's output tensor into float scores and ranks them. */
public final class Scores {
    private Scores() {}

    /** The output buffer's values as floats, dequantised with the tensor's scale and zero point if integer. */
    public static float[] read(ByteBuffer output, TensorSpec spec) {
        ByteBuffer bb = output.duplicate().order(output.order());
        bb.rewind();
        int n = spec.elementCount();
        if (bb.remaining() < n * spec.type().size) {
            throw new IllegalArgumentException("output buffer holds " + bb.remaining() + " bytes; tensor "
                    + spec + " needs " + (n * spec.type().size));
        }
        if (spec.type() == TensorType.FLOAT32) {
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = bb.getFloat();
            }
            return out;
        }
        int[] raw = new int[n];
        for (int i = 0; i < n; i++) {
            byte b = bb.get();
            raw[i] = spec.type() == TensorType.UINT8 ? (b & 0xFF) : b;
        }
        if (!spec.isQuantized()) {
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = raw[i];
            }
            return out;
        }
        return Quantization.dequantize(raw, spec);
    }

    /** A direct, native-order buffer the size of the output tensor, for the interpreter to fill. */
    public static ByteBuffer allocate(TensorSpec spec) {
        return ByteBuffer.allocateDirect(spec.byteSize()).order(ByteOrder.nativeOrder());
    }

    /**
     * The {@code k} highest scores, best first; equal scores keep the lower index first. NaN scores are
     * never returned.
     */
    public static List<Category> topK(float[] scores, List<String> labels, int k) {
        return topK(scores, labels, k, Float.NEGATIVE_INFINITY);
    }

    /**
     * The {@code k} highest scores at or above {@code threshold}, best first; equal scores keep the lower
     * index first. As the Python SDK (and MediaPipe), a category scoring exactly the threshold is kept,
     * one scoring below it is dropped, so fewer than {@code k} may come back.
     *
     * @throws IllegalArgumentException if the threshold is NaN or the labels do not match the scores
     */
    public static List<Category> topK(float[] scores, List<String> labels, int k, float threshold) {
        if (labels.size() != scores.length) {
            throw new IllegalArgumentException(scores.length + " scores but " + labels.size() + " labels");
        }
        if (Float.isNaN(threshold)) {
            throw new IllegalArgumentException("score threshold is NaN");
        }
        List<Integer> order = new ArrayList<>(scores.length);
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] >= threshold) { // false for NaN scores
                order.add(i);
            }
        }
        // A stable sort on descending score keeps ties (0.0 and -0.0 included) in index order, as the
        // SDK's np.argsort(-scores, kind="stable").
        Collections.sort(order, (a, b) -> scores[a] > scores[b] ? -1 : scores[a] < scores[b] ? 1 : 0);
        List<Category> top = new ArrayList<>();
        for (int i = 0; i < Math.min(k, order.size()); i++) {
            int index = order.get(i);
            top.add(new Category(index, labels.get(index), scores[index]));
        }
        return Collections.unmodifiableList(top);
    }
}

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

    /** The {@code k} highest scores, best first; equal scores keep the lower index first. */
    public static List<Category> topK(float[] scores, List<String> labels, int k) {
        if (labels.size() != scores.length) {
            throw new IllegalArgumentException(scores.length + " scores but " + labels.size() + " labels");
        }
        List<Integer> order = new ArrayList<>(scores.length);
        for (int i = 0; i < scores.length; i++) {
            order.add(i);
        }
        // A stable sort on descending score keeps ties in index order.
        Collections.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
        List<Category> top = new ArrayList<>();
        for (int i = 0; i < Math.min(k, scores.length); i++) {
            int index = order.get(i);
            top.add(new Category(index, labels.get(index), scores[index]));
        }
        return Collections.unmodifiableList(top);
    }
}

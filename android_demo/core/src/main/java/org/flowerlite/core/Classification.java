package org.flowerlite.core;

import java.util.List;

/** The result of classifying one image: the top categories and where the time went. */
public final class Classification {
    private final List<Category> categories;
    private final long preprocessNanos;
    private final long inferenceNanos;

    public Classification(List<Category> categories, long preprocessNanos, long inferenceNanos) {
        this.categories = categories;
        this.preprocessNanos = preprocessNanos;
        this.inferenceNanos = inferenceNanos;
    }

    /** Best first. */
    public List<Category> categories() {
        return categories;
    }

    /** Time spent resizing, cropping, normalising and quantising. */
    public long preprocessNanos() {
        return preprocessNanos;
    }

    /** Time spent in {@link InferenceEngine#run} alone. */
    public long inferenceNanos() {
        return inferenceNanos;
    }
}

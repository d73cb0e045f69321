package org.flowerlite.core;

/** One class of a result: its output index, label and score (as MediaPipe's Category). */
public final class Category {
    private final int index;
    private final String label;
    private final float score;

    public Category(int index, String label, float score) {
        this.index = index;
        this.label = label;
        this.score = score;
    }

    public int index() {
        return index;
    }

    public String label() {
        return label;
    }

    public float score() {
        return score;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%s (%d): %.4f", label, index, score);
    }
}

package org.flowerlite.core;

import java.nio.ByteBuffer;

/**
 * The classification pipeline around one inference: preprocess ARGB pixels as the model's metadata
 * says, run the engine, dequantise the output and keep the top categories that reach the score
 * threshold.
 *
 * <p>The threshold is, as in the Python SDK's {@code Classifier(score_threshold=None)} and MediaPipe,
 * the model's own ScoreThresholdingOptions from its metadata (0 when it has none) unless the caller
 * gives one to the constructor or to {@link #classify(int[], int, int, int, float)}.
 */
public final class FlowerClassifier {
    private final ClassifierModel model;
    private final ImagePreprocessor preprocessor;
    private final InferenceEngine engine;
    private final ByteBuffer output;
    private final float scoreThreshold;

    /** A classifier that drops categories below the model's own {@link ClassifierModel#scoreThreshold()}. */
    public FlowerClassifier(ClassifierModel model, InferenceEngine engine) {
        this(model, engine, model.scoreThreshold());
    }

    /**
     * A classifier that drops categories scoring below {@code scoreThreshold} instead of the model's
     * threshold (0 keeps every category with a non-negative score).
     *
     * @throws IllegalArgumentException if the threshold is NaN or infinite
     */
    public FlowerClassifier(ClassifierModel model, InferenceEngine engine, float scoreThreshold) {
        this.model = model;
        this.preprocessor = ImagePreprocessor.forModel(model);
        this.engine = engine;
        this.output = Scores.allocate(model.output());
        this.scoreThreshold = checkThreshold(scoreThreshold);
    }

    private static float checkThreshold(float threshold) {
        if (!Float.isFinite(threshold)) {
            throw new IllegalArgumentException("score threshold must be a finite number; received "
                    + threshold);
        }
        return threshold;
    }

    public ClassifierModel model() {
        return model;
    }

    /** Categories scoring below this are dropped: the constructor's threshold, or the model's. */
    public float scoreThreshold() {
        return scoreThreshold;
    }

    /**
     * Classifies one image with this classifier's {@link #scoreThreshold()}.
     *
     * @param argb row-major ARGB pixels (as Android's Bitmap.getPixels gives them)
     * @param maxResults at most how many categories to return, best first; fewer when fewer reach the
     *     threshold
     * @throws InvalidImageException if the pixel array does not match the size
     */
    public Classification classify(int[] argb, int width, int height, int maxResults) {
        return classify(argb, width, height, maxResults, scoreThreshold);
    }

    /**
     * Classifies one image, dropping categories that score below {@code scoreThreshold} (this call only;
     * 0 drops only negative scores, so a model's probabilities fill all {@code maxResults}).
     *
     * @throws InvalidImageException if the pixel array does not match the size
     * @throws IllegalArgumentException if the threshold is NaN or infinite
     */
    public synchronized Classification classify(int[] argb, int width, int height, int maxResults,
            float scoreThreshold) {
        checkThreshold(scoreThreshold);
        long start = System.nanoTime();
        ByteBuffer input = preprocessor.preprocess(argb, width, height).toByteBuffer();
        long preprocessed = System.nanoTime();
        output.clear();
        engine.run(input, output);
        long inferred = System.nanoTime();
        float[] scores = Scores.read(output, model.output());
        return new Classification(Scores.topK(scores, model.labels(), maxResults, scoreThreshold),
                preprocessed - start, inferred - preprocessed);
    }
}

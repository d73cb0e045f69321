package org.flowerlite.core;

import java.nio.ByteBuffer;

/**
 * The classification pipeline around one inference: preprocess ARGB pixels as the model's metadata
 * says, run the engine, dequantise the output and keep the top categories.
 */
public final class FlowerClassifier {
    private final ClassifierModel model;
    private final ImagePreprocessor preprocessor;
    private final InferenceEngine engine;
    private final ByteBuffer output;

    public FlowerClassifier(ClassifierModel model, InferenceEngine engine) {
        this.model = model;
        this.preprocessor = ImagePreprocessor.forModel(model);
        this.engine = engine;
        this.output = Scores.allocate(model.output());
    }

    public ClassifierModel model() {
        return model;
    }

    /**
     * Classifies one image.
     *
     * @param argb row-major ARGB pixels (as Android's Bitmap.getPixels gives them)
     * @param maxResults how many categories to return, best first
     * @throws InvalidImageException if the pixel array does not match the size
     */
    public synchronized Classification classify(int[] argb, int width, int height, int maxResults) {
        long start = System.nanoTime();
        ByteBuffer input = preprocessor.preprocess(argb, width, height).toByteBuffer();
        long preprocessed = System.nanoTime();
        output.clear();
        engine.run(input, output);
        long inferred = System.nanoTime();
        float[] scores = Scores.read(output, model.output());
        return new Classification(Scores.topK(scores, model.labels(), maxResults), preprocessed - start,
                inferred - preprocessed);
    }
}

package org.flowerlite.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;

public class FlowerClassifierTest {
    @Test
    public void classifyFeedsTheQuantisedImageToTheEngineAndRanksTheDequantisedScores() {
        TestModels m = new TestModels();
        m.inputType = "uint8";
        m.inputScale = 1f / 128f;
        m.inputZeroPoint = 127;
        m.outputType = "uint8";
        m.outputScale = 1f / 256f;
        ClassifierModel model = ClassifierModel.fromBytes(m.build(), "test.tflite");
        List<ByteBuffer> seen = new ArrayList<>();
        InferenceEngine engine = (input, output) -> {
            seen.add(input);
            output.put(new byte[] {10, (byte) 200, 46});
        };
        int[] grey = new int[20 * 10];
        java.util.Arrays.fill(grey, 0xFF808080);
        Classification result = new FlowerClassifier(model, engine).classify(grey, 20, 10, 2);

        ByteBuffer input = seen.get(0);
        assertEquals(4 * 4 * 3, input.remaining());
        // (128 - 127) / 128 / (1 / 128) + 127 = 128 for every value of a uniform grey image.
        for (int i = 0; i < input.remaining(); i++) {
            assertEquals(128, input.get(i) & 0xFF);
        }
        assertEquals(2, result.categories().size());
        assertEquals("rose", result.categories().get(0).label());
        assertEquals(200f / 256f, result.categories().get(0).score(), 0f);
        assertEquals("tulip", result.categories().get(1).label());
        assertTrue(result.inferenceNanos() >= 0 && result.preprocessNanos() > 0);
    }

    /** A uint8-output model (scale 1/256) whose engine always answers daisy 0, rose 200/256, tulip 56/256. */
    private static FlowerClassifier classifier(Float modelThreshold, Float callerThreshold) {
        TestModels m = new TestModels();
        m.outputType = "uint8";
        m.outputScale = 1f / 256f;
        m.scoreThreshold = modelThreshold;
        ClassifierModel model = ClassifierModel.fromBytes(m.build(), "test.tflite");
        InferenceEngine engine = (input, output) -> output.put(new byte[] {0, (byte) 200, 56});
        return callerThreshold == null ? new FlowerClassifier(model, engine)
                : new FlowerClassifier(model, engine, callerThreshold);
    }

    private static List<String> labels(Classification result) {
        List<String> labels = new ArrayList<>();
        for (Category c : result.categories()) {
            labels.add(c.label());
        }
        return labels;
    }

    private static final int[] GREY = new int[4 * 4];

    @Test
    public void byDefaultCategoriesScoringBelowTheModelsThresholdAreDroppedFromTheTopK() {
        FlowerClassifier classifier = classifier(1f / 512f, null);
        assertEquals(1f / 512f, classifier.scoreThreshold(), 0f);
        // daisy's 0.0 is below 1/512: two categories, not three padded with a zero score.
        assertEquals(Arrays.asList("rose", "tulip"), labels(classifier.classify(GREY, 4, 4, 3)));
    }

    @Test
    public void aThresholdOfZeroGivenToTheConstructorOverridesTheModelsAndReturnsAllKCategories() {
        FlowerClassifier classifier = classifier(1f / 512f, 0f);
        assertEquals(0f, classifier.scoreThreshold(), 0f);
        Classification result = classifier.classify(GREY, 4, 4, 3);
        assertEquals(Arrays.asList("rose", "tulip", "daisy"), labels(result));
        assertEquals(0f, result.categories().get(2).score(), 0f);
    }

    @Test
    public void aThresholdGivenToOneCallOverridesTheClassifiersForThatCallOnly() {
        FlowerClassifier classifier = classifier(1f / 512f, null);
        assertEquals(Arrays.asList("rose", "tulip", "daisy"), labels(classifier.classify(GREY, 4, 4, 3, 0f)));
        assertEquals(Arrays.asList("rose"), labels(classifier.classify(GREY, 4, 4, 3, 0.5f)));
        assertEquals(Arrays.asList("rose", "tulip"), labels(classifier.classify(GREY, 4, 4, 3)));
    }

    @Test
    public void aNanOrInfiniteCallerThresholdIsRejected() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> classifier(null, bad));
            assertThrows(IllegalArgumentException.class,
                    () -> classifier(null, null).classify(GREY, 4, 4, 3, bad));
        }
    }
}

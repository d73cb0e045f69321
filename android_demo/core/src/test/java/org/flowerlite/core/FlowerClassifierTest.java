package org.flowerlite.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
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
}

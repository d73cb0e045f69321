package org.flowerlite.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;

public class ScoresTest {
    @Test
    public void uint8OutputsAreDequantisedWithScaleAndZeroPoint() {
        TensorSpec spec = new TensorSpec("p", new int[] {1, 4}, TensorType.UINT8, 0.00390625f, 0);
        ByteBuffer out = Scores.allocate(spec);
        out.put(new byte[] {0, 64, (byte) 128, (byte) 255});
        assertArrayEquals(new float[] {0f, 0.25f, 0.5f, 0.99609375f}, Scores.read(out, spec), 0f);
    }

    @Test
    public void int8OutputsAreDequantisedAroundANegativeZeroPoint() {
        TensorSpec spec = new TensorSpec("p", new int[] {1, 3}, TensorType.INT8, 0.00390625f, -128);
        ByteBuffer out = Scores.allocate(spec);
        out.put(new byte[] {-128, 0, 127});
        assertArrayEquals(new float[] {0f, 0.5f, 0.99609375f}, Scores.read(out, spec), 0f);
    }

    @Test
    public void float32OutputsAreReadInNativeOrder() {
        TensorSpec spec = new TensorSpec("p", new int[] {1, 2}, TensorType.FLOAT32, 0f, 0);
        ByteBuffer out = Scores.allocate(spec);
        out.putFloat(0.25f).putFloat(0.75f);
        assertArrayEquals(new float[] {0.25f, 0.75f}, Scores.read(out, spec), 0f);
    }

    @Test
    public void topKReturnsTheHighestScoresBestFirstAndTiesInIndexOrder() {
        float[] scores = {0.1f, 0.3f, 0.05f, 0.3f, 0.25f};
        List<Category> top = Scores.topK(scores, Arrays.asList("a", "b", "c", "d", "e"), 3);
        assertEquals(3, top.size());
        assertEquals("b", top.get(0).label());
        assertEquals(1, top.get(0).index());
        assertEquals("d", top.get(1).label());
        assertEquals("e", top.get(2).label());
        assertEquals(0.25f, top.get(2).score(), 0f);
    }

    @Test
    public void topKKeepsAScoreEqualToTheThresholdAndDropsScoresBelowIt() {
        float[] scores = {0.00390625f, 0.5f, 0.0f, 0.0038f};
        List<Category> top = Scores.topK(scores, Arrays.asList("a", "b", "c", "d"), 4, 0.00390625f);
        assertEquals(2, top.size());
        assertEquals("b", top.get(0).label());
        assertEquals("a", top.get(1).label());
        assertEquals(1, Scores.topK(scores, Arrays.asList("a", "b", "c", "d"), 1, 0.00390625f).size());
    }

    @Test
    public void nanScoresAreNeverRankedAsTheBest() {
        float[] scores = {Float.NaN, 0.25f, 0.75f};
        List<Category> top = Scores.topK(scores, Arrays.asList("a", "b", "c"), 2);
        assertEquals(2, top.size());
        assertEquals("c", top.get(0).label());
        assertEquals("b", top.get(1).label());
    }

    @Test
    public void topKWithMoreResultsThanClassesReturnsEveryClass() {
        assertEquals(2, Scores.topK(new float[] {1f, 2f}, Arrays.asList("x", "y"), 5).size());
    }
}

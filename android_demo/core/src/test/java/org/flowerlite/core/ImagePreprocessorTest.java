package org.flowerlite.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import org.junit.Test;

public class ImagePreprocessorTest {
    private static TensorSpec floatInput(int size) {
        return new TensorSpec("image", new int[] {1, size, size, 3}, TensorType.FLOAT32, 0f, 0);
    }

    private static final float[] MEAN = {127f, 127f, 127f};
    private static final float[] STD = {128f, 128f, 128f};

    @Test
    public void theShorterSideIsResizedToSizeOverTheCropFraction() {
        ImagePreprocessor p = new ImagePreprocessor(floatInput(224), MEAN, STD);
        assertArrayEquals(new int[] {341, 256}, p.resizedSize(640, 480));
        assertArrayEquals(new int[] {256, 341}, p.resizedSize(480, 640));
        assertArrayEquals(new int[] {256, 256}, p.resizedSize(100, 100));
        // 96 / 0.875 = 109.71 -> 110
        assertArrayEquals(new int[] {110, 220}, new ImagePreprocessor(floatInput(96), MEAN, STD).resizedSize(50, 100));
    }

    @Test
    public void theCropKeepsTheCentreOfTheResizedImage() {
        // 8x8 input: resized to round(8 / 0.875) = 9 on the shorter side. A 9x18 image needs no resize,
        // so the crop can be checked pixel by pixel: left = (9 - 8) / 2 = 0, top = (18 - 8) / 2 = 5.
        int w = 9;
        int h = 18;
        int[] px = new int[w * h];
        for (int i = 0; i < px.length; i++) {
            px[i] = 0xFF000000 | i;
        }
        int[] crop = new ImagePreprocessor(floatInput(8), MEAN, STD).resizeAndCrop(px, w, h);
        assertEquals(64, crop.length);
        assertEquals(0xFF000000 | (5 * w), crop[0]);
        assertEquals(0xFF000000 | (12 * w + 7), crop[63]);
    }

    @Test
    public void floatInputsHoldPixelMinusMeanOverStdInRgbOrder() {
        ImagePreprocessor p = new ImagePreprocessor(floatInput(1), new float[] {0f, 100f, 255f},
                new float[] {255f, 2f, 1f});
        InputTensor t = p.fromCropped(new int[] {0xFFFF6400});
        assertArrayEquals(new float[] {1f, 0f, -255f}, t.normalized(), 0f);
        assertNull(t.quantized());
        ByteBuffer bytes = t.toByteBuffer();
        assertEquals(12, bytes.capacity());
        assertEquals(1f, bytes.getFloat(0), 0f);
        assertEquals(-255f, bytes.getFloat(8), 0f);
    }

    @Test
    public void aGreyInputUsesPillowsLuminanceOfTheCroppedPixels() {
        TensorSpec grey = new TensorSpec("image", new int[] {1, 1, 3, 1}, TensorType.FLOAT32, 0f, 0);
        InputTensor t = new ImagePreprocessor(grey, new float[] {0f}, new float[] {1f})
                .fromCropped(new int[] {0xFFFF0000, 0xFF00FF00, 0xFF0000FF});
        // PIL.Image.convert("L") of pure red, green and blue.
        assertArrayEquals(new float[] {76f, 150f, 29f}, t.normalized(), 0f);
    }

    @Test
    public void uint8InputsAreQuantisedWithTheInputTensorsScaleAndZeroPoint() {
        // EfficientNet-Lite style: (x - 127) / 128, then an int8 converter's uint8 input scale 1/128, zp 127.
        TensorSpec spec = new TensorSpec("image", new int[] {1, 1, 2, 3}, TensorType.UINT8, 1f / 128f, 127);
        InputTensor t = new ImagePreprocessor(spec, MEAN, STD).fromCropped(new int[] {0xFF00FF7F, 0xFF0A141E});
        assertArrayEquals(new int[] {0, 255, 127, 10, 20, 30}, t.quantized());
        ByteBuffer bytes = t.toByteBuffer();
        assertEquals(6, bytes.capacity());
        assertEquals(255, bytes.get(1) & 0xFF);
    }

    @Test
    public void quantisationRoundsHalfAwayFromZeroLikeTfliteAndClipsToTheTypesRange() {
        TensorSpec int8 = new TensorSpec("x", new int[] {1, 6}, TensorType.INT8, 0.5f, -1);
        // x / 0.5 = 0.5 -> 1, 1.5 -> 2, 2.5 -> 3, -0.5 -> -1 (half away from zero), then - 1 and clip.
        int[] q = Quantization.quantize(new float[] {0.25f, 0.75f, 1.25f, -0.25f, 500f, -500f}, int8);
        assertArrayEquals(new int[] {0, 1, 2, -2, 127, -128}, q);
        TensorSpec uint8 = new TensorSpec("x", new int[] {1, 2}, TensorType.UINT8, 1f, 0);
        assertArrayEquals(new int[] {0, 255}, Quantization.quantize(new float[] {-3f, 300f}, uint8));
    }

    @Test
    public void theLongerSideIsRoundedHalfToEvenLikePythonsRound() {
        // Shorter side -> round(8 / 0.875) = 9; longer side round(long * 9 / short).
        ImagePreprocessor p = new ImagePreprocessor(floatInput(8), MEAN, STD);
        assertArrayEquals(new int[] {9, 22}, p.resizedSize(2, 5)); // 22.5 -> 22
        assertArrayEquals(new int[] {14, 9}, p.resizedSize(3, 2)); // 13.5 -> 14
        assertArrayEquals(new int[] {9, 9}, p.resizedSize(256, 270)); // 9.49 -> 9
    }

    @Test
    public void transparentPixelsAreCompositedOverWhiteLikePillow() {
        // Values from PIL.Image.alpha_composite(white, RGBA pixel).convert("RGB"), Pillow 13.0.
        int[] out = ImagePreprocessor.compositeOverWhite(
                new int[] {0x00123456, 0x80000000, 0x01FF0000, 0xFE102030, 0xFF0A0B0C});
        assertArrayEquals(new int[] {0xFFFFFFFF, 0xFF7F7F7F, 0xFFFFFEFE, 0xFF112131, 0xFF0A0B0C}, out);
        int[] opaque = {0xFF010203};
        assertTrue(ImagePreprocessor.compositeOverWhite(opaque) == opaque);
    }

    @Test
    public void aWrongSizedPixelArrayIsRejectedWithTheExpectedCount() {
        try {
            new ImagePreprocessor(floatInput(4), MEAN, STD).preprocess(new int[11], 3, 4);
            fail("expected InvalidImageException");
        } catch (InvalidImageException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("expected 3x4 = 12 ARGB pixels, received 11"));
        }
    }
}

package org.flowerlite.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import org.junit.Test;

public class ResamplerTest {
    /** A deterministic colourful test image. */
    static int[] pattern(int w, int h) {
        int[] px = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = (x * 53 + y * 17) % 256;
                int g = (x * x * 7 + y * 31) % 256;
                int b = Math.floorMod(255 - x * 19 - y * 23, 256);
                px[y * w + x] = 0xFF000000 | (r << 16) | (g << 8) | b;
            }
        }
        return px;
    }

    static int[] rgb(int[] argb) {
        int[] out = new int[argb.length * 3];
        for (int i = 0; i < argb.length; i++) {
            out[3 * i] = (argb[i] >> 16) & 0xFF;
            out[3 * i + 1] = (argb[i] >> 8) & 0xFF;
            out[3 * i + 2] = argb[i] & 0xFF;
        }
        return out;
    }

    // Expected values: numpy.asarray(PIL.Image.fromarray(pattern).resize((ow, oh), Image.BILINEAR)), Pillow 13.0.

    @Test
    public void downscalingMatchesPillowBilinearWithTheHorizontalPassFirst() {
        int[] expected = {25, 12, 241, 99, 34, 214, 176, 84, 187, 90, 160, 160, 46, 50, 214, 120, 72, 187, 197,
            122, 160, 111, 198, 133, 66, 87, 186, 140, 109, 159, 157, 159, 132, 64, 123, 105};
        assertArrayEquals(expected, rgb(Resampler.resize(pattern(6, 4), 6, 4, 4, 3)));
    }

    @Test
    public void shrinkingTheHeightMuchMoreThanTheWidthMatchesPillowsVerticalPassFirst() {
        int[] expected = {30, 35, 226, 91, 49, 204, 152, 80, 183, 199, 128, 161, 67, 180, 139, 71, 110, 171, 132,
            124, 149, 189, 155, 128, 117, 172, 106, 68, 97, 84, 111, 184, 115, 172, 198, 93, 145, 192, 72, 66, 99,
            50, 98, 93, 87};
        assertArrayEquals(expected, rgb(Resampler.resize(pattern(6, 8), 6, 8, 5, 3)));
    }

    @Test
    public void upscalingMatchesPillowBilinear() {
        int[] expected = {0, 0, 255, 8, 1, 252, 30, 4, 244, 53, 7, 236, 76, 16, 228, 98, 25, 220, 106, 28, 217, 2,
            3, 253, 10, 4, 250, 32, 7, 242, 55, 10, 234, 78, 19, 226, 100, 28, 218, 108, 31, 215, 9, 16, 244, 17,
            17, 241, 39, 20, 233, 62, 23, 225, 85, 32, 217, 107, 41, 209, 115, 44, 206, 15, 28, 234, 23, 29, 231,
            45, 32, 223, 68, 35, 215, 91, 44, 207, 113, 53, 199, 121, 56, 196, 17, 31, 232, 25, 32, 229, 47, 35,
            221, 70, 38, 213, 93, 47, 205, 115, 56, 197, 123, 59, 194};
        assertArrayEquals(expected, rgb(Resampler.resize(pattern(3, 2), 3, 2, 7, 5)));
    }

    @Test
    public void aUniformImageStaysUniformAtAnySize() {
        int[] px = new int[37 * 23];
        java.util.Arrays.fill(px, 0xFF7F3A10);
        for (int[] size : new int[][] {{5, 3}, {80, 61}, {37, 1}, {1, 23}}) {
            for (int p : Resampler.resize(px, 37, 23, size[0], size[1])) {
                assertEquals(0xFF7F3A10, p);
            }
        }
    }

    @Test
    public void alphaIsDroppedLikePillowsConvertToRgb() {
        int[] px = {0x00102030, 0x80102030};
        int[] out = Resampler.resize(px, 2, 1, 2, 1);
        assertArrayEquals(new int[] {0xFF102030, 0xFF102030}, out);
    }

    @Test
    public void aPixelArrayThatDoesNotMatchTheSizeIsRejectedWithTheSizes() {
        try {
            Resampler.resize(new int[5], 2, 3, 1, 1);
            fail("expected InvalidImageException");
        } catch (InvalidImageException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("2x3 image from 5 pixels"));
        }
    }
}

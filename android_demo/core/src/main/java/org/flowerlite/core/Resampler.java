package org.flowerlite.core;

/**
 * Antialiased bilinear resizing of ARGB pixels, bit-exact with Pillow's
 * {@code Image.resize(size, Image.BILINEAR)} on RGB images (libImaging/Resample.c).
 *
 * <p>The filter is a triangle whose support grows with the downscale factor, so every source pixel
 * contributes when shrinking (unlike Android's {@code Bitmap.createScaledBitmap}, which samples 2x2).
 * Like Pillow it runs a horizontal pass then a vertical pass, each rounding to 8 bits with 22-bit
 * fixed-point coefficients. Alpha is dropped, as Pillow's {@code convert("RGB")} does.
 */
public final class Resampler {
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private Resampler() {}

    /** Fixed-point filter taps for one axis: output i reads {@code count[i]} inputs from {@code first[i]}. */
    private static final class Taps {
        final int[] first;
        final int[] count;
        final int[] weights;
        final int stride;

        Taps(int[] first, int[] count, int[] weights, int stride) {
            this.first = first;
            this.count = count;
            this.weights = weights;
            this.stride = stride;
        }
    }

    /** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear filter (support 1). */
    private static Taps taps(int inSize, float in0, float in1, int outSize) {
        double scale = (double) (in1 - in0) / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 1.0 * filterScale;
        int stride = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[outSize];
        int[] count = new int[outSize];
        int[] weights = new int[outSize * stride];
        double[] k = new double[stride];
        for (int xx = 0; xx < outSize; xx++) {
            double center = in0 + (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                double t = Math.abs((x + xmin - center + 0.5) * ss);
                k[x] = t < 1.0 ? 1.0 - t : 0.0;
                ww += k[x];
            }
            for (int x = 0; x < xmax; x++) {
                double w = ww != 0.0 ? k[x] / ww : k[x];
                // Truncation after adding +-0.5 is C's (int) cast, which Java's matches.
                weights[xx * stride + x] = (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS)
                        : 0.5 + w * (1 << PRECISION_BITS));
            }
            first[xx] = xmin;
            count[xx] = Math.max(xmax, 0);
        }
        return new Taps(first, count, weights, stride);
    }

    private static int clip8(int v) {
        int x = v >> PRECISION_BITS;
        return x < 0 ? 0 : (x > 255 ? 255 : x);
    }

    /**
     * Resizes {@code pixels} (row-major ARGB, {@code width} x {@code height}) to {@code outWidth} x
     * {@code outHeight}; the result is opaque ARGB.
     */
    public static int[] resize(int[] pixels, int width, int height, int outWidth, int outHeight) {
        if (width <= 0 || height <= 0 || pixels.length != width * height) {
            throw new InvalidImageException("cannot resize a " + width + "x" + height + " image from "
                    + pixels.length + " pixels; pass width*height ARGB values");
        }
        if (outWidth <= 0 || outHeight <= 0) {
            throw new InvalidImageException("cannot resize to " + outWidth + "x" + outHeight
                    + "; the target size must be positive");
        }
        boolean horizontal = outWidth != width;
        boolean vertical = outHeight != height;
        if (!horizontal && !vertical) {
            return opaque(pixels);
        }
        Taps rows = taps(height, 0f, height, outHeight);
        Taps columns = taps(width, 0f, width, outWidth);
        if (!horizontal) {
            return verticalPass(pixels, width, 0, rows, outHeight);
        }
        if (!vertical) {
            return horizontalPass(pixels, width, 0, height, columns, outWidth);
        }
        // Pillow 13 runs the vertical pass first when the height shrinks by more than twice as many
        // pixels as the width (python-pillow/Pillow#9549); the order changes rounding, so follow it.
        if (outHeight < height && (height - outHeight) > 2 * (width - outWidth)) {
            int[] temp = verticalPass(pixels, width, 0, rows, outHeight);
            return horizontalPass(temp, width, 0, outHeight, columns, outWidth);
        }
        // Otherwise horizontal first, over only the rows the vertical pass will read.
        int rowFirst = rows.first[0];
        int rowLast = rows.first[outHeight - 1] + rows.count[outHeight - 1];
        int[] temp = horizontalPass(pixels, width, rowFirst, rowLast - rowFirst, columns, outWidth);
        return verticalPass(temp, outWidth, rowFirst, rows, outHeight);
    }

    private static int[] opaque(int[] pixels) {
        int[] out = new int[pixels.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = pixels[i] | 0xFF000000;
        }
        return out;
    }

    /** Resamples rows {@code rowFirst .. rowFirst+rowCount} of {@code src} to {@code outWidth} columns. */
    private static int[] horizontalPass(int[] src, int width, int rowFirst, int rowCount, Taps taps,
            int outWidth) {
        int[] out = new int[outWidth * rowCount];
        for (int y = 0; y < rowCount; y++) {
            int row = (y + rowFirst) * width;
            for (int xx = 0; xx < outWidth; xx++) {
                int base = xx * taps.stride;
                int x0 = row + taps.first[xx];
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int x = 0; x < taps.count[xx]; x++) {
                    int p = src[x0 + x];
                    int k = taps.weights[base + x];
                    r += ((p >> 16) & 0xFF) * k;
                    g += ((p >> 8) & 0xFF) * k;
                    b += (p & 0xFF) * k;
                }
                out[y * outWidth + xx] = 0xFF000000 | (clip8(r) << 16) | (clip8(g) << 8) | clip8(b);
            }
        }
        return out;
    }

    /** Resamples columns of {@code src} (whose first row is source row {@code rowOffset}) to {@code outHeight} rows. */
    private static int[] verticalPass(int[] src, int width, int rowOffset, Taps taps, int outHeight) {
        int[] out = new int[width * outHeight];
        for (int yy = 0; yy < outHeight; yy++) {
            int base = yy * taps.stride;
            int y0 = taps.first[yy] - rowOffset;
            for (int xx = 0; xx < width; xx++) {
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int y = 0; y < taps.count[yy]; y++) {
                    int p = src[(y0 + y) * width + xx];
                    int k = taps.weights[base + y];
                    r += ((p >> 16) & 0xFF) * k;
                    g += ((p >> 8) & 0xFF) * k;
                    b += (p & 0xFF) * k;
                }
                out[yy * width + xx] = 0xFF000000 | (clip8(r) << 16) | (clip8(g) << 8) | clip8(b);
            }
        }
        return out;
    }
}

package org.flowerlite.core;

/**
 * Turns ARGB pixels into a model's input tensor exactly as the Python SDK's flowerlite.preprocessing
 * does: composite transparent pixels over white; resize so the shorter side is
 * {@code round(size / CROP_FRACTION)} and the longer {@code max(that, round(long * that / short))}
 * with Pillow's antialiased bilinear filter; crop the centred {@code size x size} square at offset
 * {@code (side - size) / 2}; for a one-channel input take Pillow's "L" luminance; compute
 * {@code (pixel - mean) / std} in float32 and, for an integer input, {@code round(x / scale + zero_point)}
 * clipped to the type's range.
 */
public final class ImagePreprocessor {
    /** Fraction of the resized image kept by the centre crop (the SDK's CROP_FRACTION). */
    public static final double CROP_FRACTION = 0.875;

    private final TensorSpec input;
    private final int width;
    private final int height;
    private final int channels;
    private final float[] mean;
    private final float[] std;

    public ImagePreprocessor(TensorSpec input, float[] mean, float[] std) {
        int[] shape = input.shape();
        this.input = input;
        this.height = shape[1];
        this.width = shape[2];
        this.channels = shape[3];
        if (mean.length != channels || std.length != channels) {
            throw new IllegalArgumentException("need " + channels + " mean and std values for input " + input);
        }
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /** The preprocessor for a model, with everything read from its tensors and metadata. */
    public static ImagePreprocessor forModel(ClassifierModel model) {
        return new ImagePreprocessor(model.input(), model.mean(), model.std());
    }

    /** Python's round(): half to even. */
    static int roundHalfEven(double v) {
        return (int) Math.rint(v);
    }

    /** Size {width, height} the image is resized to before the centre crop. */
    public int[] resizedSize(int imageWidth, int imageHeight) {
        int target = roundHalfEven(Math.max(width, height) / CROP_FRACTION);
        if (imageWidth <= imageHeight) {
            return new int[] {target, Math.max(target, roundHalfEven((double) imageHeight * target / imageWidth))};
        }
        return new int[] {Math.max(target, roundHalfEven((double) imageWidth * target / imageHeight)), target};
    }

    /** Resizes and centre-crops ARGB pixels to the model's input size; returns width*height ARGB values. */
    public int[] resizeAndCrop(int[] argb, int imageWidth, int imageHeight) {
        if (imageWidth <= 0 || imageHeight <= 0 || argb == null || argb.length != imageWidth * imageHeight) {
            throw new InvalidImageException("expected " + imageWidth + "x" + imageHeight + " = "
                    + ((long) imageWidth * imageHeight) + " ARGB pixels, received "
                    + (argb == null ? "null" : argb.length + " values") + "; pass the whole image, row-major");
        }
        int[] size = resizedSize(imageWidth, imageHeight);
        int[] rgb = compositeOverWhite(argb);
        int[] resized = Resampler.resize(rgb, imageWidth, imageHeight, size[0], size[1]);
        int left = (size[0] - width) / 2;
        int top = (size[1] - height) / 2;
        int[] out = new int[width * height];
        for (int y = 0; y < height; y++) {
            System.arraycopy(resized, (top + y) * size[0] + left, out, y * width, width);
        }
        return out;
    }

    /**
     * Opaque pixels as Pillow's {@code Image.alpha_composite} over opaque white gives them (the SDK's
     * load_image composites transparency over white); returns the input itself when all are opaque.
     */
    public static int[] compositeOverWhite(int[] argb) {
        int[] out = null;
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i];
            int a = p >>> 24;
            if (a == 255) {
                continue;
            }
            if (out == null) {
                out = argb.clone();
            }
            if (a == 0) {
                out[i] = 0xFFFFFFFF;
                continue;
            }
            // libImaging/AlphaComposite.c with dst = (255, 255, 255, 255): 7 extra bits, rounded /255.
            int coef1 = a << 7;
            int coef2 = (255 - a) << 7;
            out[i] = 0xFF000000 | (over(((p >> 16) & 0xFF), coef1, coef2) << 16)
                    | (over(((p >> 8) & 0xFF), coef1, coef2) << 8) | over(p & 0xFF, coef1, coef2);
        }
        return out == null ? argb : out;
    }

    private static int over(int channel, int coef1, int coef2) {
        int tmp = channel * coef1 + 255 * coef2 + (0x80 << 7);
        return (((tmp >> 8) + tmp) >> 8) >> 7;
    }

    /** The full preprocessing: resize, crop, normalise and (for integer inputs) quantise. */
    public InputTensor preprocess(int[] argb, int imageWidth, int imageHeight) {
        return fromCropped(resizeAndCrop(argb, imageWidth, imageHeight));
    }

    /** Normalises (and quantises) pixels already resized and cropped to the input size. */
    public InputTensor fromCropped(int[] cropped) {
        if (cropped.length != width * height) {
            throw new InvalidImageException("expected " + width + "x" + height + " cropped pixels, received "
                    + cropped.length);
        }
        float[] normalized = new float[cropped.length * channels];
        for (int i = 0; i < cropped.length; i++) {
            int p = cropped[i];
            int r = (p >> 16) & 0xFF;
            int g = (p >> 8) & 0xFF;
            int b = p & 0xFF;
            // float arithmetic on purpose: numpy computes (x - mean) / std in float32.
            if (channels == 1) {
                // Pillow's convert("L"): ITU-R 601-2 luma in 16-bit fixed point, rounded.
                int luma = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
                normalized[i] = (luma - mean[0]) / std[0];
            } else {
                normalized[3 * i] = (r - mean[0]) / std[0];
                normalized[3 * i + 1] = (g - mean[1]) / std[1];
                normalized[3 * i + 2] = (b - mean[2]) / std[2];
            }
        }
        if (input.type() == TensorType.FLOAT32) {
            return new InputTensor(input, normalized, null);
        }
        return new InputTensor(input, normalized, Quantization.quantize(normalized, input));
    }
}

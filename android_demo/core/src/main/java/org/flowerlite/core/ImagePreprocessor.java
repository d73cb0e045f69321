package org.flowerlite.core;

/**
 * Turns ARGB pixels into a model's input tensor the way the Python SDK does
 * ({@code flowerlite.preprocessing.resize_and_crop}, then normalise and quantise):
 * resize the shorter side to {@code round(size / CROP_FRACTION)} with Pillow's antialiased bilinear
 * filter, crop the centre {@code size x size}, compute {@code (pixel - mean) / std} and, for an
 * integer input, {@code round(x / scale) + zero_point} clipped to the type's range.
 */
public final class ImagePreprocessor {
    /** Fraction of the resized image kept by the centre crop (the SDK's CROP_FRACTION). */
    public static final double CROP_FRACTION = 0.875;

    private final TensorSpec input;
    private final int width;
    private final int height;
    private final float[] mean;
    private final float[] std;

    public ImagePreprocessor(TensorSpec input, float[] mean, float[] std) {
        int[] shape = input.shape();
        this.input = input;
        this.height = shape[1];
        this.width = shape[2];
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
            return new int[] {target, Math.max(1, roundHalfEven((double) imageHeight * target / imageWidth))};
        }
        return new int[] {Math.max(1, roundHalfEven((double) imageWidth * target / imageHeight)), target};
    }

    /** Resizes and centre-crops ARGB pixels to the model's input size; returns width*height ARGB values. */
    public int[] resizeAndCrop(int[] argb, int imageWidth, int imageHeight) {
        if (imageWidth <= 0 || imageHeight <= 0 || argb == null || argb.length != imageWidth * imageHeight) {
            throw new InvalidImageException("expected " + imageWidth + "x" + imageHeight + " = "
                    + ((long) imageWidth * imageHeight) + " ARGB pixels, received "
                    + (argb == null ? "null" : argb.length + " values") + "; pass the whole image, row-major");
        }
        int[] size = resizedSize(imageWidth, imageHeight);
        int[] resized = Resampler.resize(argb, imageWidth, imageHeight, size[0], size[1]);
        int left = (size[0] - width) / 2;
        int top = (size[1] - height) / 2;
        int[] out = new int[width * height];
        for (int y = 0; y < height; y++) {
            System.arraycopy(resized, (top + y) * size[0] + left, out, y * width, width);
        }
        return out;
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
        float[] normalized = new float[cropped.length * 3];
        for (int i = 0; i < cropped.length; i++) {
            int p = cropped[i];
            // float arithmetic on purpose: numpy computes (x - mean) / std in float32.
            normalized[3 * i] = (((p >> 16) & 0xFF) - mean[0]) / std[0];
            normalized[3 * i + 1] = (((p >> 8) & 0xFF) - mean[1]) / std[1];
            normalized[3 * i + 2] = ((p & 0xFF) - mean[2]) / std[2];
        }
        if (input.type() == TensorType.FLOAT32) {
            return new InputTensor(input, normalized, null);
        }
        return new InputTensor(input, normalized, Quantization.quantize(normalized, input));
    }
}

package org.flowerlite.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The contract of a flowerlite image classifier, read entirely from the .tflite file: input size,
 * type and quantisation from the input tensor; normalisation and labels from the standard metadata;
 * number of classes and output quantisation from the output tensor. Nothing is hard-coded.
 */
public final class ClassifierModel {
    private final TfliteModel model;
    private final ModelMetadata metadata;
    private final TensorSpec input;
    private final TensorSpec output;
    private final List<String> labels;
    private final float[] mean;
    private final float[] std;

    private ClassifierModel(TfliteModel model, ModelMetadata metadata, List<String> labels, float[] mean,
            float[] std) {
        this.model = model;
        this.metadata = metadata;
        this.input = model.inputs().get(0);
        this.output = model.outputs().get(0);
        this.labels = labels;
        this.mean = mean;
        this.std = std;
    }

    /**
     * Reads and checks a classifier model.
     *
     * @param bytes the whole .tflite file (kept, not copied)
     * @param source its name or path, for error messages
     * @throws InvalidModelException if the file is not a single-input RGB image classifier
     * @throws MetadataException if its metadata lacks labels or normalisation, or does not fit it
     */
    public static ClassifierModel fromBytes(byte[] bytes, String source) {
        TfliteModel model = TfliteModel.parse(bytes, source);
        if (model.inputs().size() != 1 || model.outputs().size() != 1) {
            throw new InvalidModelException(source + ": expected one input and one output tensor, found "
                    + model.inputs().size() + " inputs and " + model.outputs().size() + " outputs");
        }
        TensorSpec input = model.inputs().get(0);
        int[] shape = input.shape();
        if (shape.length != 4 || shape[0] != 1 || (shape[3] != 3 && shape[3] != 1) || shape[1] <= 0
                || shape[2] <= 0) {
            throw new InvalidModelException(source + ": input tensor '" + input.name() + "' has shape "
                    + Arrays.toString(shape) + "; expected an image [1, height, width, 3 (RGB) or 1 (grey)]");
        }
        if (input.type() != TensorType.FLOAT32 && !input.isQuantized()) {
            throw new InvalidModelException(source + ": input tensor '" + input.name() + "' is "
                    + input.type() + " without quantisation parameters; cannot map pixels onto it");
        }
        TensorSpec output = model.outputs().get(0);
        int[] outShape = output.shape();
        int classes = outShape.length == 0 ? 0 : outShape[outShape.length - 1];
        if (classes <= 0 || output.elementCount() != classes) {
            throw new InvalidModelException(source + ": output tensor '" + output.name() + "' has shape "
                    + Arrays.toString(outShape) + "; expected one score per class, [1, classes]");
        }

        ByteBuffer buffer = model.metadataBuffer(TfliteModel.METADATA_NAME);
        if (buffer == null) {
            throw new MetadataException(source + ": the model has no TFLite metadata ('"
                    + TfliteModel.METADATA_NAME + "'), so its labels and normalisation are unknown; write"
                    + " them with flowerlite.metadata.write_metadata");
        }
        ModelMetadata metadata = ModelMetadata.parse(buffer, source);
        float[] mean = perChannel(metadata.mean(), shape[3], "mean", source);
        float[] std = perChannel(metadata.std(), shape[3], "std", source);
        for (float s : std) {
            if (!(s > 0f)) {
                throw new MetadataException(source + ": NormalizationOptions.std must be positive; received "
                        + Arrays.toString(metadata.std()));
            }
        }
        List<String> labels = labels(model, metadata, source);
        if (labels.size() != classes) {
            throw new MetadataException(source + ": the model outputs " + classes + " scores but its label"
                    + " file has " + labels.size() + " labels; rewrite the metadata with one label per class");
        }
        return new ClassifierModel(model, metadata, labels, mean, std);
    }

    private static float[] perChannel(float[] values, int channels, String what, String source) {
        if (values == null || values.length == 0) {
            throw new MetadataException(source + ": the input tensor's metadata has no NormalizationOptions "
                    + what + "; write mean and std with flowerlite.metadata.write_metadata");
        }
        if (values.length == 1) {
            float[] out = new float[channels];
            Arrays.fill(out, values[0]);
            return out;
        }
        if (values.length == channels) {
            return values.clone();
        }
        throw new MetadataException(source + ": NormalizationOptions." + what + " has " + values.length
                + " values; the input has " + channels + " channels, so expected 1 or " + channels);
    }

    private static List<String> labels(TfliteModel model, ModelMetadata metadata, String source) {
        if (metadata.outputLabelFiles().isEmpty()) {
            throw new MetadataException(source + ": the output tensor's metadata names no TENSOR_AXIS_LABELS"
                    + " file; write the labels with flowerlite.metadata.write_metadata");
        }
        String name = metadata.outputLabelFiles().get(0);
        byte[] file = model.packedFiles().get(name);
        if (file == null) {
            throw new MetadataException(source + ": the metadata names label file '" + name
                    + "' but it is not packed in the model; re-export the model with its labels");
        }
        return parseLabels(new String(file, StandardCharsets.UTF_8));
    }

    /** One label per line; '\r' and trailing blank lines are dropped (as flowerlite.metadata.parse_labels). */
    public static List<String> parseLabels(String text) {
        List<String> lines = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            lines.add(line.endsWith("\r") ? line.replaceAll("\r+$", "") : line);
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).trim().isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return Collections.unmodifiableList(lines);
    }

    public TfliteModel tflite() {
        return model;
    }

    public ModelMetadata metadata() {
        return metadata;
    }

    public TensorSpec input() {
        return input;
    }

    public TensorSpec output() {
        return output;
    }

    /** Input image height in pixels, from the input tensor's shape. */
    public int inputHeight() {
        return input.shape()[1];
    }

    /** Input image width in pixels, from the input tensor's shape. */
    public int inputWidth() {
        return input.shape()[2];
    }

    /** One label per output index, from the packed TENSOR_AXIS_LABELS file. */
    public List<String> labels() {
        return labels;
    }

    /** Colour channels of the input: 3 (RGB) or 1 (grey, Pillow's "L" luminance). */
    public int channels() {
        return input.shape()[3];
    }

    /** Per-channel normalisation mean (R, G, B, or the one grey channel), broadcast from the metadata. */
    public float[] mean() {
        return mean.clone();
    }

    /** Per-channel normalisation std, broadcast from the metadata like {@link #mean()}. */
    public float[] std() {
        return std.clone();
    }

    /**
     * The score below which categories are dropped from results: the output tensor's
     * ScoreThresholdingOptions.global_score_threshold from the metadata, or 0 when it has none (as the
     * Python SDK's ModelInfo.score_threshold).
     */
    public float scoreThreshold() {
        Float threshold = metadata.scoreThreshold();
        return threshold == null ? 0f : threshold;
    }
}

package org.flowerlite.core;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The fields of a standard TFLite ModelMetadata flatbuffer (metadata_schema.fbs) that a classifier uses:
 * names, the input tensor's NormalizationOptions, and the output tensor's ScoreThresholdingOptions and
 * TENSOR_AXIS_LABELS file.
 */
public final class ModelMetadata {
    // Slots in tensorflow_lite_support/metadata/metadata_schema.fbs (declaration order, unions take two).
    private static final int MODEL_NAME = 0;
    private static final int MODEL_DESCRIPTION = 1;
    private static final int MODEL_VERSION = 2;
    private static final int MODEL_SUBGRAPHS = 3;
    private static final int MODEL_AUTHOR = 4;
    private static final int MODEL_LICENSE = 5;
    private static final int MODEL_MIN_PARSER_VERSION = 7;
    private static final int SUBGRAPH_INPUTS = 2;
    private static final int SUBGRAPH_OUTPUTS = 3;
    private static final int TENSOR_NAME = 0;
    private static final int TENSOR_PROCESS_UNITS = 4;
    private static final int TENSOR_ASSOCIATED_FILES = 6;
    private static final int PROCESS_UNIT_OPTIONS_TYPE = 0;
    private static final int PROCESS_UNIT_OPTIONS = 1;
    private static final int NORMALIZATION_MEAN = 0;
    private static final int NORMALIZATION_STD = 1;
    private static final int THRESHOLDING_GLOBAL_SCORE_THRESHOLD = 0;
    private static final int FILE_NAME = 0;
    private static final int FILE_TYPE = 2;
    /** ProcessUnitOptions union member NormalizationOptions. */
    private static final byte OPTIONS_NORMALIZATION = 1;
    /** ProcessUnitOptions union member ScoreThresholdingOptions. */
    private static final byte OPTIONS_SCORE_THRESHOLDING = 3;
    /** AssociatedFileType TENSOR_AXIS_LABELS. */
    private static final byte TENSOR_AXIS_LABELS = 2;

    private final String name;
    private final String description;
    private final String version;
    private final String author;
    private final String license;
    private final String minParserVersion;
    private final float[] mean;
    private final float[] std;
    private final Float scoreThreshold;
    private final List<String> outputLabelFiles;

    private ModelMetadata(String name, String description, String version, String author, String license,
            String minParserVersion, float[] mean, float[] std, Float scoreThreshold,
            List<String> outputLabelFiles) {
        this.name = name;
        this.description = description;
        this.version = version;
        this.author = author;
        this.license = license;
        this.minParserVersion = minParserVersion;
        this.mean = mean;
        this.std = std;
        this.scoreThreshold = scoreThreshold;
        this.outputLabelFiles = outputLabelFiles;
    }

    /**
     * Parses a ModelMetadata flatbuffer (the buffer of a model's TFLITE_METADATA entry).
     *
     * @throws MetadataException if the buffer is not a valid ModelMetadata flatbuffer
     */
    public static ModelMetadata parse(ByteBuffer buffer, String source) {
        try {
            FlatBufferTable root = FlatBufferTable.root(buffer);
            float[] mean = null;
            float[] std = null;
            Float scoreThreshold = null;
            List<String> labelFiles = new ArrayList<>();
            if (root.vectorLength(MODEL_SUBGRAPHS) > 0) {
                FlatBufferTable subgraph = root.tableAt(MODEL_SUBGRAPHS, 0);
                if (subgraph.vectorLength(SUBGRAPH_INPUTS) > 0) {
                    FlatBufferTable input = subgraph.tableAt(SUBGRAPH_INPUTS, 0);
                    for (int i = 0; i < input.vectorLength(TENSOR_PROCESS_UNITS); i++) {
                        FlatBufferTable unit = input.tableAt(TENSOR_PROCESS_UNITS, i);
                        if (unit.getByte(PROCESS_UNIT_OPTIONS_TYPE, (byte) 0) == OPTIONS_NORMALIZATION) {
                            FlatBufferTable options = unit.table(PROCESS_UNIT_OPTIONS);
                            if (options != null) {
                                mean = options.floats(NORMALIZATION_MEAN);
                                std = options.floats(NORMALIZATION_STD);
                            }
                        }
                    }
                }
                if (subgraph.vectorLength(SUBGRAPH_OUTPUTS) > 0) {
                    FlatBufferTable output = subgraph.tableAt(SUBGRAPH_OUTPUTS, 0);
                    for (int i = 0; i < output.vectorLength(TENSOR_PROCESS_UNITS); i++) {
                        FlatBufferTable unit = output.tableAt(TENSOR_PROCESS_UNITS, i);
                        if (unit.getByte(PROCESS_UNIT_OPTIONS_TYPE, (byte) 0) == OPTIONS_SCORE_THRESHOLDING) {
                            FlatBufferTable options = unit.table(PROCESS_UNIT_OPTIONS);
                            // An omitted field is the schema default, 0; a NaN or infinite threshold is
                            // ignored (it would drop every category), as in the Python SDK's read_metadata.
                            float value = options == null ? Float.NaN
                                    : options.getFloat(THRESHOLDING_GLOBAL_SCORE_THRESHOLD, 0f);
                            if (Float.isFinite(value)) {
                                scoreThreshold = value;
                            }
                        }
                    }
                    for (int i = 0; i < output.vectorLength(TENSOR_ASSOCIATED_FILES); i++) {
                        FlatBufferTable file = output.tableAt(TENSOR_ASSOCIATED_FILES, i);
                        String fileName = file.string(FILE_NAME);
                        if (fileName != null && file.getByte(FILE_TYPE, (byte) 0) == TENSOR_AXIS_LABELS) {
                            labelFiles.add(fileName);
                        }
                    }
                }
            }
            return new ModelMetadata(root.string(MODEL_NAME), root.string(MODEL_DESCRIPTION),
                    root.string(MODEL_VERSION), root.string(MODEL_AUTHOR), root.string(MODEL_LICENSE),
                    root.string(MODEL_MIN_PARSER_VERSION), mean, std, scoreThreshold,
                    Collections.unmodifiableList(labelFiles));
        } catch (FlatBufferTable.FormatException | IndexOutOfBoundsException e) {
            throw new MetadataException(source + ": corrupt TFLITE_METADATA buffer (" + e.getMessage()
                    + "); rewrite it with flowerlite.metadata.write_metadata");
        }
    }

    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    public String version() {
        return version;
    }

    public String author() {
        return author;
    }

    public String license() {
        return license;
    }

    public String minParserVersion() {
        return minParserVersion;
    }

    /** NormalizationOptions.mean of the input tensor, or null when the metadata has none. */
    public float[] mean() {
        return mean == null ? null : mean.clone();
    }

    /** NormalizationOptions.std of the input tensor, or null when the metadata has none. */
    public float[] std() {
        return std == null ? null : std.clone();
    }

    /**
     * ScoreThresholdingOptions.global_score_threshold of the output tensor (the last finite one if the
     * metadata lists several), or null when the metadata has none: categories scoring below it are to be
     * dropped from results.
     */
    public Float scoreThreshold() {
        return scoreThreshold;
    }

    /**
     * Names of the output tensor's TENSOR_AXIS_LABELS files in metadata order; the first one holds the
     * labels (as in the Python SDK's read_metadata).
     */
    public List<String> outputLabelFiles() {
        return outputLabelFiles;
    }
}

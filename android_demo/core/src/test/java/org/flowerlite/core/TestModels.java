package org.flowerlite.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds small TFLite files (no operators, just the tensors and metadata the core reads) for tests. */
final class TestModels {
    String inputType = "float32";
    int[] inputShape = {1, 4, 4, 3};
    float inputScale = 0f;
    long inputZeroPoint = 0;
    String outputType = "float32";
    int[] outputShape = {1, 3};
    float outputScale = 0f;
    long outputZeroPoint = 0;
    boolean withMetadata = true;
    float[] mean = {127f};
    float[] std = {128f};
    /** ScoreThresholdingOptions.global_score_threshold on the output tensor; null: no such process unit. */
    Float scoreThreshold = null;
    /** Write the ScoreThresholdingOptions table without its field (the schema default, 0). */
    boolean omitScoreThresholdField = false;
    String labelsFileName = "labels.txt";
    String labelsText = "daisy\nrose\ntulip\n";
    boolean packLabels = true;
    boolean deflateLabels = false;

    private static int typeCode(String type) {
        switch (type) {
            case "float32":
                return 0;
            case "uint8":
                return 3;
            case "int8":
                return 9;
            case "int16":
                return 7;
            default:
                throw new IllegalArgumentException(type);
        }
    }

    private static FlatBufferWriter.Table tensor(String name, int[] shape, String type, float scale,
            long zeroPoint) {
        FlatBufferWriter.Table t = FlatBufferWriter.table()
                .ref(0, FlatBufferWriter.ints(shape))
                .u8(1, typeCode(type))
                .i32(2, 0)
                .str(3, name);
        if (scale != 0f) {
            t.ref(4, FlatBufferWriter.table()
                    .ref(2, FlatBufferWriter.floats(scale))
                    .ref(3, FlatBufferWriter.longs(zeroPoint)));
        }
        return t;
    }

    byte[] metadataBuffer() {
        FlatBufferWriter.Table input = FlatBufferWriter.table().str(0, "image");
        if (mean != null) {
            input.ref(4, FlatBufferWriter.vector(FlatBufferWriter.table()
                    .u8(0, 1)
                    .ref(1, FlatBufferWriter.table()
                            .ref(0, FlatBufferWriter.floats(mean))
                            .ref(1, FlatBufferWriter.floats(std)))));
        }
        FlatBufferWriter.Table output = FlatBufferWriter.table().str(0, "probability");
        if (scoreThreshold != null || omitScoreThresholdField) {
            FlatBufferWriter.Table options = FlatBufferWriter.table();
            if (!omitScoreThresholdField) {
                options.f32(0, scoreThreshold);
            }
            output.ref(4, FlatBufferWriter.vector(FlatBufferWriter.table().u8(0, 3).ref(1, options)));
        }
        if (labelsFileName != null) {
            output.ref(6, FlatBufferWriter.vector(FlatBufferWriter.table()
                    .str(0, labelsFileName)
                    .str(1, "Labels for categories that the model can recognize.")
                    .u8(2, 2)));
        }
        FlatBufferWriter.Table root = FlatBufferWriter.table()
                .str(0, "flowerlite-test")
                .str(1, "a test model")
                .str(2, "1.2.3")
                .ref(3, FlatBufferWriter.vector(FlatBufferWriter.table()
                        .ref(2, FlatBufferWriter.vector(input))
                        .ref(3, FlatBufferWriter.vector(output))))
                .str(7, "1.0.0");
        return FlatBufferWriter.finish(root, "M001");
    }

    byte[] build() {
        FlatBufferWriter.Table subgraph = FlatBufferWriter.table()
                .ref(0, FlatBufferWriter.vector(
                        tensor("serving_default_input:0", inputShape, inputType, inputScale, inputZeroPoint),
                        tensor("StatefulPartitionedCall:0", outputShape, outputType, outputScale,
                                outputZeroPoint)))
                .ref(1, FlatBufferWriter.ints(0))
                .ref(2, FlatBufferWriter.ints(1))
                .str(4, "main");
        FlatBufferWriter.Table model = FlatBufferWriter.table()
                .i32(0, 3)
                .ref(2, FlatBufferWriter.vector(subgraph))
                .str(3, "test converter");
        if (withMetadata) {
            model.ref(4, FlatBufferWriter.vector(FlatBufferWriter.table(),
                    FlatBufferWriter.table().ref(0, FlatBufferWriter.bytes(metadataBuffer()))));
            model.ref(6, FlatBufferWriter.vector(
                    FlatBufferWriter.table().str(0, "min_runtime_version").i32(1, 0),
                    FlatBufferWriter.table().str(0, TfliteModel.METADATA_NAME).i32(1, 1)));
        } else {
            model.ref(4, FlatBufferWriter.vector(FlatBufferWriter.table()));
        }
        byte[] flatbuffer = FlatBufferWriter.finish(model, "TFL3");
        if (!withMetadata || !packLabels) {
            return flatbuffer;
        }
        return concat(flatbuffer, zip(labelsFileName == null ? "labels.txt" : labelsFileName, labelsText));
    }

    private byte[] zip(String name, String text) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ZipOutputStream zip = new ZipOutputStream(out)) {
                zip.setMethod(deflateLabels ? ZipOutputStream.DEFLATED : ZipOutputStream.STORED);
                byte[] data = text.getBytes(StandardCharsets.UTF_8);
                ZipEntry entry = new ZipEntry(name);
                if (!deflateLabels) {
                    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                    crc.update(data);
                    entry.setSize(data.length);
                    entry.setCompressedSize(data.length);
                    entry.setCrc(crc.getValue());
                }
                zip.putNextEntry(entry);
                zip.write(data);
                zip.closeEntry();
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

package org.flowerlite.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The parts of a .tflite file a classifier needs: subgraph 0's input and output tensors, the named
 * metadata buffers, and the files packed into the zip archive appended to the flatbuffer.
 */
public final class TfliteModel {
    /** Name of the metadata entry that holds the standard ModelMetadata flatbuffer. */
    public static final String METADATA_NAME = "TFLITE_METADATA";

    // Slots in tensorflow/lite/schema/schema.fbs (declaration order).
    private static final int MODEL_SUBGRAPHS = 2;
    private static final int MODEL_BUFFERS = 4;
    private static final int MODEL_METADATA = 6;
    private static final int SUBGRAPH_TENSORS = 0;
    private static final int SUBGRAPH_INPUTS = 1;
    private static final int SUBGRAPH_OUTPUTS = 2;
    private static final int TENSOR_SHAPE = 0;
    private static final int TENSOR_TYPE = 1;
    private static final int TENSOR_NAME = 3;
    private static final int TENSOR_QUANTIZATION = 4;
    private static final int QUANT_SCALE = 2;
    private static final int QUANT_ZERO_POINT = 3;
    private static final int BUFFER_DATA = 0;
    private static final int BUFFER_OFFSET = 1;
    private static final int BUFFER_SIZE = 2;
    private static final int METADATA_ENTRY_NAME = 0;
    private static final int METADATA_ENTRY_BUFFER = 1;

    private final String source;
    private final byte[] bytes;
    private final List<TensorSpec> inputs;
    private final List<TensorSpec> outputs;
    private final Map<String, ByteBuffer> metadataBuffers;
    private Map<String, byte[]> packedFiles;

    private TfliteModel(String source, byte[] bytes, List<TensorSpec> inputs, List<TensorSpec> outputs,
            Map<String, ByteBuffer> metadataBuffers) {
        this.source = source;
        this.bytes = bytes;
        this.inputs = inputs;
        this.outputs = outputs;
        this.metadataBuffers = metadataBuffers;
    }

    /**
     * Parses a whole .tflite file.
     *
     * @param bytes the file's contents (not copied: do not modify them afterwards)
     * @param source the file's name or path, used in error messages
     * @throws InvalidModelException if the bytes are not a TFLite flatbuffer
     */
    public static TfliteModel parse(byte[] bytes, String source) {
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        String identifier = FlatBufferTable.fileIdentifier(bb);
        if (!"TFL3".equals(identifier)) {
            throw new InvalidModelException(source + ": not a TFLite model (file identifier is '" + identifier
                    + "', expected 'TFL3'); pass a .tflite file exported by the flowerlite build chain");
        }
        try {
            FlatBufferTable model = FlatBufferTable.root(bb);
            if (model.vectorLength(MODEL_SUBGRAPHS) == 0) {
                throw new InvalidModelException(source + ": the model has no subgraph");
            }
            FlatBufferTable subgraph = model.tableAt(MODEL_SUBGRAPHS, 0);
            List<TensorSpec> inputs = tensors(subgraph, SUBGRAPH_INPUTS, source, "input");
            List<TensorSpec> outputs = tensors(subgraph, SUBGRAPH_OUTPUTS, source, "output");
            Map<String, ByteBuffer> metadata = new java.util.LinkedHashMap<>();
            int entries = model.vectorLength(MODEL_METADATA);
            for (int i = 0; i < entries; i++) {
                FlatBufferTable entry = model.tableAt(MODEL_METADATA, i);
                String name = entry.string(METADATA_ENTRY_NAME);
                int bufferIndex = entry.getInt(METADATA_ENTRY_BUFFER, 0);
                if (name != null && bufferIndex >= 0 && bufferIndex < model.vectorLength(MODEL_BUFFERS)) {
                    metadata.put(name, bufferData(model.tableAt(MODEL_BUFFERS, bufferIndex), bytes, source));
                }
            }
            return new TfliteModel(source, bytes, inputs, outputs, Collections.unmodifiableMap(metadata));
        } catch (FlatBufferTable.FormatException | IndexOutOfBoundsException e) {
            throw new InvalidModelException(source + ": corrupt TFLite flatbuffer (" + e.getMessage()
                    + "); re-export or re-download the model", e);
        }
    }

    private static ByteBuffer bufferData(FlatBufferTable buffer, byte[] file, String source) {
        ByteBuffer data = buffer.bytes(BUFFER_DATA);
        if (data != null && data.limit() > 0) {
            return data;
        }
        // Large models keep buffers outside the flatbuffer, addressed by absolute file offset.
        long offset = buffer.getLong(BUFFER_OFFSET, 0);
        long size = buffer.getLong(BUFFER_SIZE, 0);
        if (offset > 1 && size > 0) {
            if (offset + size > file.length) {
                throw new InvalidModelException(source + ": buffer at offset " + offset + " (+" + size
                        + " bytes) lies beyond the end of the " + file.length + "-byte file");
            }
            return ByteBuffer.wrap(file, (int) offset, (int) size).slice().order(ByteOrder.LITTLE_ENDIAN);
        }
        return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static List<TensorSpec> tensors(FlatBufferTable subgraph, int slot, String source, String role) {
        int[] indices = subgraph.ints(slot);
        List<TensorSpec> specs = new ArrayList<>();
        int count = subgraph.vectorLength(SUBGRAPH_TENSORS);
        for (int index : indices) {
            if (index < 0 || index >= count) {
                throw new InvalidModelException(source + ": " + role + " tensor index " + index
                        + " is out of range (subgraph has " + count + " tensors)");
            }
            specs.add(tensorSpec(subgraph.tableAt(SUBGRAPH_TENSORS, index), source, role));
        }
        return Collections.unmodifiableList(specs);
    }

    private static TensorSpec tensorSpec(FlatBufferTable tensor, String source, String role) {
        String name = tensor.string(TENSOR_NAME);
        int code = tensor.getByte(TENSOR_TYPE, (byte) 0);
        TensorType type = TensorType.fromCode(code);
        if (type == null) {
            throw new InvalidModelException(source + ": " + role + " tensor '" + name + "' is "
                    + TensorType.nameOf(code) + "; a flowerlite classifier's " + role
                    + " must be FLOAT32, UINT8 or INT8");
        }
        float scale = 0f;
        int zeroPoint = 0;
        FlatBufferTable quant = tensor.table(TENSOR_QUANTIZATION);
        if (quant != null) {
            float[] scales = quant.floats(QUANT_SCALE);
            long[] zeroPoints = quant.longs(QUANT_ZERO_POINT);
            if (scales.length > 1) {
                throw new InvalidModelException(source + ": " + role + " tensor '" + name + "' has "
                        + scales.length + " per-channel scales; model inputs and outputs must be quantised"
                        + " per tensor");
            }
            if (scales.length == 1) {
                scale = scales[0];
                zeroPoint = zeroPoints.length > 0 ? (int) zeroPoints[0] : 0;
            }
        }
        return new TensorSpec(name == null ? "" : name, tensor.ints(TENSOR_SHAPE), type, scale, zeroPoint);
    }

    /** The file name or path the model was read from. */
    public String source() {
        return source;
    }

    public List<TensorSpec> inputs() {
        return inputs;
    }

    public List<TensorSpec> outputs() {
        return outputs;
    }

    /** The buffer of the named metadata entry, or null if the model has none by that name. */
    public ByteBuffer metadataBuffer(String name) {
        ByteBuffer b = metadataBuffers.get(name);
        return b == null ? null : b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Files packed into the zip archive appended to the model (empty if it has none). */
    public synchronized Map<String, byte[]> packedFiles() {
        if (packedFiles == null) {
            packedFiles = PackedFiles.read(bytes, source);
        }
        return packedFiles;
    }
}

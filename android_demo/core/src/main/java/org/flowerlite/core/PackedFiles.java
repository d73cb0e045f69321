package org.flowerlite.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reads the zip archive that the TFLite metadata tools append after the model flatbuffer
 * (labels.txt and other associated files).
 *
 * <p>The archive starts in the middle of the file, so {@code ZipInputStream} (which expects a local
 * header at byte 0) cannot be used; this reads the central directory from the end instead, the way
 * {@code unzip} handles self-extracting archives. Only stored and deflated entries are supported.
 */
final class PackedFiles {
    private static final int EOCD_SIGNATURE = 0x06054b50;
    private static final int CENTRAL_SIGNATURE = 0x02014b50;
    private static final int LOCAL_SIGNATURE = 0x04034b50;
    private static final int EOCD_SIZE = 22;

    private PackedFiles() {}

    /** Name to contents of every file in the appended archive; empty when the model has none. */
    static Map<String, byte[]> read(byte[] file, String source) {
        ByteBuffer bb = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int eocd = findEndOfCentralDirectory(bb);
        if (eocd < 0) {
            return Collections.emptyMap();
        }
        int entries = bb.getShort(eocd + 10) & 0xFFFF;
        long centralSize = bb.getInt(eocd + 12) & 0xFFFFFFFFL;
        long centralOffset = bb.getInt(eocd + 16) & 0xFFFFFFFFL;
        // Offsets are relative to the archive's start; writers that appended to an existing file may
        // have stored them relative to that file instead, so accept either.
        long base = eocd - centralSize - centralOffset;
        if (!signatureAt(bb, base + centralOffset, CENTRAL_SIGNATURE)) {
            base = 0;
            if (!signatureAt(bb, centralOffset, CENTRAL_SIGNATURE)) {
                throw new MetadataException(source + ": the zip archive appended to the model is corrupt"
                        + " (no central directory at offset " + centralOffset + ")");
            }
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        long p = base + centralOffset;
        for (int i = 0; i < entries; i++) {
            if (!signatureAt(bb, p, CENTRAL_SIGNATURE)) {
                throw new MetadataException(source + ": zip central directory entry " + i + " is corrupt");
            }
            int at = (int) p;
            int method = bb.getShort(at + 10) & 0xFFFF;
            long compressedSize = bb.getInt(at + 20) & 0xFFFFFFFFL;
            long size = bb.getInt(at + 24) & 0xFFFFFFFFL;
            int nameLength = bb.getShort(at + 28) & 0xFFFF;
            int extraLength = bb.getShort(at + 30) & 0xFFFF;
            int commentLength = bb.getShort(at + 32) & 0xFFFF;
            long localOffset = bb.getInt(at + 42) & 0xFFFFFFFFL;
            String name = new String(file, at + 46, nameLength, StandardCharsets.UTF_8);
            files.put(name, entryData(bb, file, base + localOffset, method, compressedSize, size, name, source));
            p += 46L + nameLength + extraLength + commentLength;
        }
        return Collections.unmodifiableMap(files);
    }

    private static int findEndOfCentralDirectory(ByteBuffer bb) {
        int last = bb.limit() - EOCD_SIZE;
        int first = Math.max(0, last - 0xFFFF); // the archive comment is at most 65535 bytes
        for (int p = last; p >= first; p--) {
            if (bb.getInt(p) == EOCD_SIGNATURE
                    && p + EOCD_SIZE + (bb.getShort(p + 20) & 0xFFFF) == bb.limit()) {
                return p;
            }
        }
        return -1;
    }

    private static boolean signatureAt(ByteBuffer bb, long p, int signature) {
        return p >= 0 && p + 4 <= bb.limit() && bb.getInt((int) p) == signature;
    }

    private static byte[] entryData(ByteBuffer bb, byte[] file, long local, int method, long compressedSize,
            long size, String name, String source) {
        if (!signatureAt(bb, local, LOCAL_SIGNATURE) || local + 30 > file.length) {
            throw new MetadataException(source + ": packed file '" + name + "' has a corrupt zip header");
        }
        int at = (int) local;
        long start = local + 30 + (bb.getShort(at + 26) & 0xFFFF) + (bb.getShort(at + 28) & 0xFFFF);
        if (compressedSize == 0xFFFFFFFFL || size == 0xFFFFFFFFL || start + compressedSize > file.length) {
            throw new MetadataException(source + ": packed file '" + name + "' runs past the end of the model"
                    + " (or needs zip64, which this reader does not support)");
        }
        if (method == 0) {
            byte[] out = new byte[(int) compressedSize];
            System.arraycopy(file, (int) start, out, 0, out.length);
            return out;
        }
        if (method == 8) {
            Inflater inflater = new Inflater(true);
            try {
                inflater.setInput(file, (int) start, (int) compressedSize);
                byte[] out = new byte[(int) size];
                int n = 0;
                while (n < out.length && !inflater.finished()) {
                    int got = inflater.inflate(out, n, out.length - n);
                    if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                        break;
                    }
                    n += got;
                }
                if (n != out.length) {
                    throw new MetadataException(source + ": packed file '" + name + "' inflated to " + n
                            + " bytes, expected " + out.length);
                }
                return out;
            } catch (DataFormatException e) {
                throw new MetadataException(source + ": packed file '" + name + "' is not valid deflate data ("
                        + e.getMessage() + ")");
            } finally {
                inflater.end();
            }
        }
        throw new MetadataException(source + ": packed file '" + name + "' uses zip compression method "
                + method + "; only stored (0) and deflated (8) are supported");
    }
}

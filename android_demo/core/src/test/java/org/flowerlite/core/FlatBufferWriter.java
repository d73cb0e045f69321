package org.flowerlite.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A tiny FlatBuffer writer for tests: builds a tree of tables, vectors and strings and lays it out
 * parents-first (uoffsets only point forward, which FlatBuffers allows), so tests can make TFLite
 * models and metadata with exactly the fields, omissions and corruptions they need.
 */
final class FlatBufferWriter {
    /** Something that can be written and referenced by a uoffset. */
    interface Node {
        int write(FlatBufferWriter w);
    }

    private ByteBuffer out = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);

    private void ensure(int more) {
        if (out.remaining() < more) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(out.capacity() * 2, out.position() + more))
                    .order(ByteOrder.LITTLE_ENDIAN);
            out.flip();
            bigger.put(out);
            out = bigger;
        }
    }

    private void align(int n) {
        while (out.position() % n != 0) {
            ensure(1);
            out.put((byte) 0);
        }
    }

    private int reserve(int bytes) {
        ensure(bytes);
        int p = out.position();
        out.position(p + bytes);
        return p;
    }

    private void patch(int at, Node child) {
        int target = child.write(this);
        out.putInt(at, target - at);
    }

    /** Serialises {@code root} with a file identifier; returns the whole buffer. */
    static byte[] finish(Node root, String identifier) {
        FlatBufferWriter w = new FlatBufferWriter();
        w.reserve(8);
        byte[] id = identifier.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 4; i++) {
            w.out.put(4 + i, id[i]);
        }
        int root0 = root.write(w);
        w.out.putInt(0, root0);
        return Arrays.copyOf(w.out.array(), w.out.position());
    }

    static Table table() {
        return new Table();
    }

    /** A table whose fields are set by slot number. */
    static final class Table implements Node {
        private final List<Object[]> fields = new ArrayList<>(); // {slot, kind, value}

        Table add(int slot, String kind, Object value) {
            fields.add(new Object[] {slot, kind, value});
            return this;
        }

        Table u8(int slot, int v) {
            return add(slot, "u8", v);
        }

        Table i32(int slot, int v) {
            return add(slot, "i32", v);
        }

        Table f32(int slot, float v) {
            return add(slot, "f32", v);
        }

        Table i64(int slot, long v) {
            return add(slot, "i64", v);
        }

        Table ref(int slot, Node child) {
            return add(slot, "ref", child);
        }

        Table str(int slot, String s) {
            return ref(slot, string(s));
        }

        @Override
        public int write(FlatBufferWriter w) {
            int slots = 0;
            for (Object[] f : fields) {
                slots = Math.max(slots, (int) f[0] + 1);
            }
            // Inline layout: soffset, then each field at its natural alignment (8 for i64).
            int[] offsets = new int[fields.size()];
            int size = 4;
            for (int i = 0; i < fields.size(); i++) {
                int width = width((String) fields.get(i)[1]);
                size = (size + width - 1) / width * width;
                offsets[i] = size;
                size += width;
            }
            w.align(2);
            int vtable = w.reserve(4 + 2 * slots);
            w.out.putShort(vtable, (short) (4 + 2 * slots));
            w.out.putShort(vtable + 2, (short) size);
            for (int i = 0; i < fields.size(); i++) {
                w.out.putShort(vtable + 4 + 2 * (int) fields.get(i)[0], (short) offsets[i]);
            }
            w.align(8);
            int pos = w.reserve(size);
            w.out.putInt(pos, pos - vtable);
            List<int[]> refs = new ArrayList<>();
            for (int i = 0; i < fields.size(); i++) {
                Object[] f = fields.get(i);
                int at = pos + offsets[i];
                switch ((String) f[1]) {
                    case "u8":
                        w.out.put(at, (byte) (int) (Integer) f[2]);
                        break;
                    case "i32":
                        w.out.putInt(at, (Integer) f[2]);
                        break;
                    case "f32":
                        w.out.putFloat(at, (Float) f[2]);
                        break;
                    case "i64":
                        w.out.putLong(at, (Long) f[2]);
                        break;
                    default:
                        refs.add(new int[] {at, i});
                }
            }
            for (int[] r : refs) {
                w.patch(r[0], (Node) fields.get(r[1])[2]);
            }
            return pos;
        }

        private static int width(String kind) {
            return kind.equals("u8") ? 1 : kind.equals("i64") ? 8 : 4;
        }
    }

    static Node string(String s) {
        return w -> {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            w.align(4);
            int pos = w.reserve(4 + b.length + 1);
            w.out.putInt(pos, b.length);
            for (int i = 0; i < b.length; i++) {
                w.out.put(pos + 4 + i, b[i]);
            }
            return pos;
        };
    }

    static Node ints(int... values) {
        return w -> {
            w.align(4);
            int pos = w.reserve(4 + 4 * values.length);
            w.out.putInt(pos, values.length);
            for (int i = 0; i < values.length; i++) {
                w.out.putInt(pos + 4 + 4 * i, values[i]);
            }
            return pos;
        };
    }

    static Node longs(long... values) {
        return w -> {
            // Elements 8-aligned: the length prefix sits just before them.
            w.align(4);
            if ((w.out.position() + 4) % 8 != 0) {
                w.reserve(4);
            }
            int pos = w.reserve(4 + 8 * values.length);
            w.out.putInt(pos, values.length);
            for (int i = 0; i < values.length; i++) {
                w.out.putLong(pos + 4 + 8 * i, values[i]);
            }
            return pos;
        };
    }

    static Node floats(float... values) {
        return w -> {
            w.align(4);
            int pos = w.reserve(4 + 4 * values.length);
            w.out.putInt(pos, values.length);
            for (int i = 0; i < values.length; i++) {
                w.out.putFloat(pos + 4 + 4 * i, values[i]);
            }
            return pos;
        };
    }

    static Node bytes(byte[] values) {
        return w -> {
            w.align(4);
            int pos = w.reserve(4 + values.length);
            w.out.putInt(pos, values.length);
            for (int i = 0; i < values.length; i++) {
                w.out.put(pos + 4 + i, values[i]);
            }
            return pos;
        };
    }

    static Node vector(Node... children) {
        return w -> {
            w.align(4);
            int pos = w.reserve(4 + 4 * children.length);
            w.out.putInt(pos, children.length);
            for (int i = 0; i < children.length; i++) {
                w.patch(pos + 4 + 4 * i, children[i]);
            }
            return pos;
        };
    }
}

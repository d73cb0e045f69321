package org.flowerlite.core;

/** The TFLite tensor element types a classifier's input or output may have (codes from schema.fbs). */
public enum TensorType {
    FLOAT32(0, 4),
    UINT8(3, 1),
    INT8(9, 1);

    /** The code TFLite's schema.fbs gives this type. */
    public final int code;
    /** Bytes per element. */
    public final int size;

    TensorType(int code, int size) {
        this.code = code;
        this.size = size;
    }

    /** Smallest value a quantised element can hold. */
    public int minValue() {
        return this == INT8 ? -128 : 0;
    }

    /** Largest value a quantised element can hold. */
    public int maxValue() {
        return this == INT8 ? 127 : 255;
    }

    /** The type with this schema code, or null if this core does not handle it. */
    static TensorType fromCode(int code) {
        for (TensorType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /** The schema's name for any type code, for error messages. */
    static String nameOf(int code) {
        String[] names = {"FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16",
            "COMPLEX64", "INT8", "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32",
            "UINT16", "INT4", "BFLOAT16"};
        return code >= 0 && code < names.length ? names[code] : "type code " + code;
    }
}

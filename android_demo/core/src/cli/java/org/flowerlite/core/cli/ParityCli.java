package org.flowerlite.core.cli;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import javax.imageio.ImageIO;
import org.flowerlite.core.ClassifierModel;
import org.flowerlite.core.FlowerliteException;
import org.flowerlite.core.ImagePreprocessor;
import org.flowerlite.core.InputTensor;
import org.flowerlite.core.TensorSpec;

/**
 * Prints, as JSON, what the JVM core reads from a model and the input tensors it makes from images,
 * so that android_demo/tests/test_parity.py can compare them with the Python SDK.
 *
 * <p>Usage: {@code ParityCli MODEL.tflite [IMAGE.png ...]}. Exit code 0 with JSON on stdout, or 2 with
 * one line "ExceptionType: message" on stderr. JVM-only (javax.imageio), so it is not part of the
 * core that the Android app compiles.
 */
public final class ParityCli {
    private ParityCli() {}

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: ParityCli MODEL.tflite [IMAGE.png ...]");
            System.exit(64);
        }
        try {
            System.out.println(run(args));
        } catch (FlowerliteException e) {
            System.err.println(e.getClass().getSimpleName() + ": " + e.getMessage());
            System.exit(2);
        } catch (IOException e) {
            System.err.println("IOException: " + e.getMessage());
            System.exit(2);
        }
    }

    static String run(String[] args) throws IOException {
        byte[] bytes = Files.readAllBytes(Paths.get(args[0]));
        ClassifierModel model = ClassifierModel.fromBytes(bytes, args[0]);
        ImagePreprocessor preprocessor = ImagePreprocessor.forModel(model);
        StringBuilder json = new StringBuilder();
        json.append("{\"model\": {");
        json.append("\"name\": ").append(string(model.metadata().name()));
        json.append(", \"version\": ").append(string(model.metadata().version()));
        json.append(", \"input\": ").append(tensor(model.input()));
        json.append(", \"output\": ").append(tensor(model.output()));
        json.append(", \"mean\": ").append(floats(model.metadata().mean()));
        json.append(", \"std\": ").append(floats(model.metadata().std()));
        json.append(", \"labels\": ").append(strings(model.labels()));
        json.append("}, \"images\": [");
        for (int i = 1; i < args.length; i++) {
            BufferedImage image = ImageIO.read(new File(args[i]));
            if (image == null) {
                throw new IOException(args[i] + ": not an image javax.imageio can read");
            }
            int w = image.getWidth();
            int h = image.getHeight();
            int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
            InputTensor tensor = preprocessor.preprocess(argb, w, h);
            int[] resized = preprocessor.resizedSize(w, h);
            json.append(i > 1 ? ", " : "").append("{\"path\": ").append(string(args[i]));
            json.append(", \"size\": [").append(w).append(", ").append(h).append("]");
            json.append(", \"resized\": [").append(resized[0]).append(", ").append(resized[1]).append("]");
            json.append(", \"values\": ");
            json.append(tensor.quantized() != null ? ints(tensor.quantized()) : floats(tensor.normalized()));
            json.append("}");
        }
        json.append("]}");
        return json.toString();
    }

    private static String tensor(TensorSpec spec) {
        return "{\"name\": " + string(spec.name()) + ", \"shape\": " + ints(spec.shape()) + ", \"dtype\": "
                + string(spec.type().name().toLowerCase(java.util.Locale.ROOT)) + ", \"scale\": "
                + spec.scale() + ", \"zero_point\": " + spec.zeroPoint() + "}";
    }

    private static String ints(int[] values) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            s.append(i > 0 ? ", " : "").append(values[i]);
        }
        return s.append("]").toString();
    }

    private static String floats(float[] values) {
        if (values == null) {
            return "null";
        }
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            // Float.toString is the shortest decimal that reads back as the same float32.
            s.append(i > 0 ? ", " : "").append(Float.toString(values[i]));
        }
        return s.append("]").toString();
    }

    private static String strings(List<String> values) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            s.append(i > 0 ? ", " : "").append(string(values.get(i)));
        }
        return s.append("]").toString();
    }

    private static String string(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder s = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            if (c == '"' || c == '\\') {
                s.append('\\').append(c);
            } else if (c < 0x20) {
                s.append(String.format("\\u%04x", (int) c));
            } else {
                s.append(c);
            }
        }
        return s.append('"').toString();
    }
}

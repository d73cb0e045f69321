package org.flowerlite.core.cli;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.flowerlite.core.Category;
import org.flowerlite.core.ClassifierModel;
import org.flowerlite.core.FlowerClassifier;
import org.flowerlite.core.FlowerliteException;
import org.flowerlite.core.ImagePreprocessor;
import org.flowerlite.core.InferenceEngine;
import org.flowerlite.core.InputTensor;
import org.flowerlite.core.TensorSpec;
import org.flowerlite.core.TensorType;

/**
 * Prints, as JSON, what the JVM core reads from a model and the input tensors it makes from images,
 * so that android_demo/tests/test_android_core.py can compare them with the Python SDK.
 *
 * <p>Usage: {@code ParityCli MODEL.tflite [IMAGE.png ...] [--outputs OUTPUTS.txt]}. Exit code 0 with JSON
 * on stdout, or 2 with one line "ExceptionType: message" on stderr. JVM-only (javax.imageio), so it is
 * not part of the core that the Android app compiles.
 *
 * <p>With {@code --outputs}, line i of the file holds the raw output tensor of image i as another
 * interpreter computed it (whitespace-separated floats, or integers for a quantised output); there is no
 * interpreter on the JVM, so an engine replays that line and the image goes through
 * {@link FlowerClassifier#classify} as in the app: its top {@value #MAX_RESULTS} categories are printed
 * with the classifier's default score threshold ("categories") and with threshold 0
 * ("categories_threshold_0").
 */
public final class ParityCli {
    /** What the app asks for. */
    static final int MAX_RESULTS = 5;

    private ParityCli() {}

    /** Writes the current line of an --outputs file into the output tensor. */
    private static final class ReplayEngine implements InferenceEngine {
        private final TensorSpec spec;
        private String[] values;

        ReplayEngine(TensorSpec spec) {
            this.spec = spec;
        }

        @Override
        public void run(ByteBuffer input, ByteBuffer output) {
            if (values == null) {
                throw new IllegalStateException("no output to replay");
            }
            if (values.length != spec.elementCount()) {
                throw new IllegalArgumentException("--outputs line has " + values.length + " values; "
                        + spec + " has " + spec.elementCount());
            }
            for (String v : values) {
                if (spec.type() == TensorType.FLOAT32) {
                    output.putFloat(Float.parseFloat(v));
                } else {
                    output.put((byte) Integer.parseInt(v));
                }
            }
        }
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: ParityCli MODEL.tflite [IMAGE.png ...] [--outputs OUTPUTS.txt]");
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
        List<String> images = new ArrayList<>();
        List<String> outputs = null;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--outputs") && i + 1 < args.length) {
                outputs = new ArrayList<>();
                for (String line : Files.readAllLines(Paths.get(args[++i]), StandardCharsets.UTF_8)) {
                    if (!line.trim().isEmpty()) {
                        outputs.add(line.trim());
                    }
                }
            } else {
                images.add(args[i]);
            }
        }
        byte[] bytes = Files.readAllBytes(Paths.get(args[0]));
        ClassifierModel model = ClassifierModel.fromBytes(bytes, args[0]);
        if (outputs != null && outputs.size() != images.size()) {
            throw new IOException("--outputs has " + outputs.size() + " lines for " + images.size()
                    + " images");
        }
        ImagePreprocessor preprocessor = ImagePreprocessor.forModel(model);
        ReplayEngine engine = new ReplayEngine(model.output());
        FlowerClassifier classifier = new FlowerClassifier(model, engine);
        StringBuilder json = new StringBuilder();
        json.append("{\"model\": {");
        json.append("\"name\": ").append(string(model.metadata().name()));
        json.append(", \"version\": ").append(string(model.metadata().version()));
        json.append(", \"input\": ").append(tensor(model.input()));
        json.append(", \"output\": ").append(tensor(model.output()));
        json.append(", \"mean\": ").append(floats(model.metadata().mean()));
        json.append(", \"std\": ").append(floats(model.metadata().std()));
        json.append(", \"labels\": ").append(strings(model.labels()));
        Float threshold = model.metadata().scoreThreshold();
        json.append(", \"score_threshold\": ").append(threshold == null ? "null" : Float.toString(threshold));
        json.append(", \"classifier_score_threshold\": ").append(Float.toString(classifier.scoreThreshold()));
        json.append("}, \"images\": [");
        for (int i = 0; i < images.size(); i++) {
            String path = images.get(i);
            BufferedImage image = ImageIO.read(new File(path));
            if (image == null) {
                throw new IOException(path + ": not an image javax.imageio can read");
            }
            int w = image.getWidth();
            int h = image.getHeight();
            int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
            InputTensor tensor = preprocessor.preprocess(argb, w, h);
            int[] resized = preprocessor.resizedSize(w, h);
            json.append(i > 0 ? ", " : "").append("{\"path\": ").append(string(path));
            json.append(", \"size\": [").append(w).append(", ").append(h).append("]");
            json.append(", \"resized\": [").append(resized[0]).append(", ").append(resized[1]).append("]");
            json.append(", \"values\": ");
            json.append(tensor.quantized() != null ? ints(tensor.quantized()) : floats(tensor.normalized()));
            if (outputs != null) {
                engine.values = outputs.get(i).split("\\s+");
                json.append(", \"categories\": ")
                        .append(categories(classifier.classify(argb, w, h, MAX_RESULTS).categories()));
                json.append(", \"categories_threshold_0\": ")
                        .append(categories(classifier.classify(argb, w, h, MAX_RESULTS, 0f).categories()));
            }
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

    /** [[index, score], ...], best first. */
    private static String categories(List<Category> categories) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < categories.size(); i++) {
            Category c = categories.get(i);
            s.append(i > 0 ? ", " : "").append("[").append(c.index()).append(", ")
                    .append(Float.toString(c.score())).append("]");
        }
        return s.append("]").toString();
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

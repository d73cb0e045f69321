package org.flowerlite.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Arrays;
import org.junit.Test;

public class ClassifierModelTest {
    private static FlowerliteException failure(byte[] model) {
        try {
            ClassifierModel.fromBytes(model, "test.tflite");
        } catch (FlowerliteException e) {
            return e;
        }
        throw new AssertionError("expected the model to be rejected");
    }

    private static void assertMessage(FlowerliteException e, Class<?> type, String fragment) {
        assertEquals(e.getMessage(), type, e.getClass());
        assertTrue(e.getMessage(), e.getMessage().startsWith("test.tflite: "));
        assertTrue(e.getMessage(), e.getMessage().contains(fragment));
    }

    @Test
    public void inputSizeTypeAndQuantisationComeFromTheModelsTensors() {
        TestModels m = new TestModels();
        m.inputType = "uint8";
        m.inputShape = new int[] {1, 7, 5, 3};
        m.inputScale = 0.0078125f;
        m.inputZeroPoint = 128;
        m.outputType = "uint8";
        m.outputScale = 0.00390625f;
        m.outputZeroPoint = 0;
        ClassifierModel model = ClassifierModel.fromBytes(m.build(), "test.tflite");
        assertEquals(7, model.inputHeight());
        assertEquals(5, model.inputWidth());
        assertEquals(TensorType.UINT8, model.input().type());
        assertEquals(0.0078125f, model.input().scale(), 0f);
        assertEquals(128, model.input().zeroPoint());
        assertEquals("serving_default_input:0", model.input().name());
        assertArrayEquals(new int[] {1, 3}, model.output().shape());
        assertEquals(0.00390625f, model.output().scale(), 0f);
    }

    @Test
    public void labelsAndNormalisationComeFromTheMetadata() {
        ClassifierModel model = ClassifierModel.fromBytes(new TestModels().build(), "test.tflite");
        assertEquals(Arrays.asList("daisy", "rose", "tulip"), model.labels());
        assertArrayEquals(new float[] {127f}, model.metadata().mean(), 0f);
        assertArrayEquals(new float[] {127f, 127f, 127f}, model.mean(), 0f);
        assertArrayEquals(new float[] {128f, 128f, 128f}, model.std(), 0f);
        assertEquals("flowerlite-test", model.metadata().name());
        assertEquals("1.2.3", model.metadata().version());
        assertEquals("a test model", model.metadata().description());
        assertEquals("1.0.0", model.metadata().minParserVersion());
        assertNull(model.metadata().author());
    }

    @Test
    public void theScoreThresholdIsReadFromTheOutputTensorsScoreThresholdingOptions() {
        TestModels m = new TestModels();
        m.scoreThreshold = 1f / 512f;
        ClassifierModel model = ClassifierModel.fromBytes(m.build(), "test.tflite");
        assertEquals(Float.valueOf(1f / 512f), model.metadata().scoreThreshold());
        assertEquals(1f / 512f, model.scoreThreshold(), 0f);
        // The input tensor's NormalizationOptions process unit is still read beside it.
        assertArrayEquals(new float[] {127f, 127f, 127f}, model.mean(), 0f);
    }

    @Test
    public void metadataWithoutScoreThresholdingOptionsHasNoThresholdAndTheModelKeepsEveryScore() {
        ClassifierModel model = ClassifierModel.fromBytes(new TestModels().build(), "test.tflite");
        assertNull(model.metadata().scoreThreshold());
        assertEquals(0f, model.scoreThreshold(), 0f);
    }

    @Test
    public void scoreThresholdingOptionsWithoutTheirFieldMeanTheSchemaDefaultOfZero() {
        TestModels m = new TestModels();
        m.omitScoreThresholdField = true;
        assertEquals(Float.valueOf(0f), ClassifierModel.fromBytes(m.build(), "t").metadata().scoreThreshold());
    }

    @Test
    public void aNanOrInfiniteScoreThresholdInTheMetadataIsIgnored() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            TestModels m = new TestModels();
            m.scoreThreshold = bad;
            ClassifierModel model = ClassifierModel.fromBytes(m.build(), "test.tflite");
            assertNull(model.metadata().scoreThreshold());
            assertEquals(0f, model.scoreThreshold(), 0f);
        }
    }

    @Test
    public void perChannelNormalisationIsKeptInRgbOrder() {
        TestModels m = new TestModels();
        m.mean = new float[] {123.675f, 116.28f, 103.53f};
        m.std = new float[] {58.395f, 57.12f, 57.375f};
        ClassifierModel model = ClassifierModel.fromBytes(m.build(), "test.tflite");
        assertArrayEquals(m.mean, model.mean(), 0f);
        assertArrayEquals(m.std, model.std(), 0f);
    }

    @Test
    public void aOneChannelInputIsAGreyImageWithOneNormalisationValue() {
        TestModels m = new TestModels();
        m.inputShape = new int[] {1, 4, 4, 1};
        ClassifierModel model = ClassifierModel.fromBytes(m.build(), "test.tflite");
        assertEquals(1, model.channels());
        assertArrayEquals(new float[] {127f}, model.mean(), 0f);
    }

    @Test
    public void threeNormalisationValuesForAGreyInputAreRejected() {
        TestModels m = new TestModels();
        m.inputShape = new int[] {1, 4, 4, 1};
        m.mean = new float[] {1f, 2f, 3f};
        m.std = new float[] {1f, 1f, 1f};
        assertMessage(failure(m.build()), MetadataException.class, "has 3 values; the input has 1 channels");
    }

    @Test
    public void aDeflatedLabelFileIsUnpacked() {
        TestModels m = new TestModels();
        m.deflateLabels = true;
        m.labelsText = "a\nb\nc";
        assertEquals(Arrays.asList("a", "b", "c"), ClassifierModel.fromBytes(m.build(), "t").labels());
    }

    @Test
    public void labelFilesDropCarriageReturnsAndTrailingBlankLines() {
        assertEquals(Arrays.asList("pink primrose", "", "globe thistle"),
                ClassifierModel.parseLabels("pink primrose\r\n\r\nglobe thistle\r\n\n  \n"));
    }

    @Test
    public void aModelWithoutMetadataIsRejectedAndTheMessageSaysHowToAddIt() {
        TestModels m = new TestModels();
        m.withMetadata = false;
        assertMessage(failure(m.build()), MetadataException.class, "has no TFLite metadata");
        assertTrue(failure(m.build()).getMessage().contains("write_metadata"));
    }

    @Test
    public void metadataNamingALabelFileThatIsNotPackedIsRejected() {
        TestModels m = new TestModels();
        m.packLabels = false;
        assertMessage(failure(m.build()), MetadataException.class,
                "names label file 'labels.txt' but it is not packed");
    }

    @Test
    public void metadataWithoutNormalisationIsRejected() {
        TestModels m = new TestModels();
        m.mean = null;
        assertMessage(failure(m.build()), MetadataException.class, "no NormalizationOptions mean");
    }

    @Test
    public void aLabelCountThatDoesNotMatchTheOutputIsRejectedWithBothCounts() {
        TestModels m = new TestModels();
        m.labelsText = "daisy\nrose\n";
        assertMessage(failure(m.build()), MetadataException.class, "outputs 3 scores but its label file has 2");
    }

    @Test
    public void aNonImageInputShapeIsRejectedWithTheShape() {
        TestModels m = new TestModels();
        m.inputShape = new int[] {1, 4, 4, 2};
        assertMessage(failure(m.build()), InvalidModelException.class, "has shape [1, 4, 4, 2]");
    }

    @Test
    public void anUnsupportedInputTypeIsRejectedByName() {
        TestModels m = new TestModels();
        m.inputType = "int16";
        assertMessage(failure(m.build()), InvalidModelException.class, "is INT16");
    }

    @Test
    public void aFileThatIsNotTfliteIsRejectedByItsIdentifier() {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0};
        assertMessage(failure(png), InvalidModelException.class, "not a TFLite model");
    }

    @Test
    public void aTruncatedModelIsRejectedAsCorrupt() {
        byte[] whole = new TestModels().build();
        FlowerliteException e = failure(Arrays.copyOf(whole, 60));
        assertMessage(e, InvalidModelException.class, "corrupt TFLite flatbuffer");
    }

    @Test
    public void metadataWhoseBufferIsGarbageIsRejectedAsCorrupt() {
        // Overwrite the metadata flatbuffer's root offset with a huge value.
        TestModels m = new TestModels();
        byte[] model = m.build();
        byte[] meta = m.metadataBuffer();
        int at = indexOf(model, meta);
        model[at] = (byte) 0xFF;
        model[at + 1] = (byte) 0xFF;
        model[at + 2] = (byte) 0xFF;
        model[at + 3] = (byte) 0x7F;
        assertMessage(failure(model), MetadataException.class, "corrupt TFLITE_METADATA buffer");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    public void packedFilesAreListedByName() {
        TfliteModel model = TfliteModel.parse(new TestModels().build(), "t");
        assertEquals(1, model.packedFiles().size());
        assertEquals("daisy\nrose\ntulip\n",
                new String(model.packedFiles().get("labels.txt"), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    public void aModelWithoutAnAppendedArchiveHasNoPackedFiles() {
        TestModels m = new TestModels();
        m.withMetadata = false;
        assertTrue(TfliteModel.parse(m.build(), "t").packedFiles().isEmpty());
        assertNull(TfliteModel.parse(m.build(), "t").metadataBuffer(TfliteModel.METADATA_NAME));
    }
}

"""flowerlite.metadata: standard TFLite metadata, read and written, interoperable with MediaPipe."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import pathlib
import zipfile

import numpy as np
import pytest

from conftest import LABELS, fixture_path, quadrant_array
from flowerlite import Classifier, InvalidModelError, MetadataError, ModelNotFoundError
from flowerlite import _embed
from flowerlite._tflite_model import parse_model
from flowerlite.metadata import LABELS_FILE, ModelMetadata, _associated_files, read_metadata, write_metadata

HAVE_MEDIAPIPE = importlib.util.find_spec("mediapipe") is not None
HAVE_LITERT = importlib.util.find_spec("ai_edge_litert") is not None

META = ModelMetadata(name="quadrants", version="2.0.1", description="finds the bright quadrant",
                     author="tests", license="MIT", labels=LABELS, mean=(127.5,), std=(127.5,))


def plain(name: str = "quadrants_int8") -> bytes:
    return pathlib.Path(fixture_path(name)).read_bytes()


def test_read_metadata_returns_what_the_fixture_generator_wrote():
    meta = read_metadata(fixture_path("quadrants_int8_metadata"))
    assert meta.name == "quadrants-int8" and meta.version == "1.0.0"
    assert meta.author == "flowerlite tests" and meta.license == "Apache-2.0"
    assert meta.labels == LABELS
    assert meta.mean == (127.5,) and meta.std == (127.5,)
    assert meta.color_space == "RGB" and meta.score_type == "probability"
    assert meta.input_min == (0.0,) and meta.input_max == (255.0,)  # uint8 input, as MediaPipe writes
    assert meta.output_min == (0.0,) and meta.output_max == (255.0,)
    assert meta.min_parser_version == "1.0.0"


def test_float_models_get_normalised_input_stats_and_probability_output_stats():
    meta = read_metadata(pathlib.Path(fixture_path("quadrants_float32_metadata")))
    assert meta.input_min == (-1.0, -1.0, -1.0) and meta.input_max == (1.0, 1.0, 1.0)
    assert meta.output_min == (0.0,) and meta.output_max == (1.0,)
    assert read_metadata(fixture_path("quadrants_gray_float32_metadata")).color_space == "GRAYSCALE"


def test_read_metadata_returns_none_without_metadata():
    assert read_metadata(fixture_path("quadrants_float32")) is None
    assert read_metadata(plain()) is None


def test_read_metadata_errors_name_the_path(tmp_path):
    with pytest.raises(ModelNotFoundError, match="missing.tflite"):
        read_metadata(tmp_path / "missing.tflite")
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"garbage" * 10)
    with pytest.raises(InvalidModelError, match="bad.tflite"):
        read_metadata(bad)


def test_write_then_read_round_trips_every_field():
    meta = dataclasses.replace(META, mean=(120.0, 115.0, 100.0), std=(60.0, 61.0, 62.0))
    written = read_metadata(write_metadata(plain(), meta))
    for field in ("name", "version", "description", "author", "license", "labels", "mean", "std", "color_space"):
        assert getattr(written, field) == getattr(meta, field), field


def test_write_metadata_packs_labels_as_a_stored_zip_entry_like_the_standard_populator():
    packed = write_metadata(plain(), META)
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        (info,) = archive.infolist()
        assert info.filename == LABELS_FILE and info.compress_type == zipfile.ZIP_STORED
        assert archive.read(LABELS_FILE) == "\n".join(LABELS).encode()
    # The flatbuffer comes first; the zip is appended after it.
    assert packed[4:8] == b"TFL3" and info.header_offset > len(plain())


def test_write_metadata_is_deterministic_and_replaces_existing_metadata():
    first = write_metadata(plain(), META)
    assert write_metadata(plain(), META) == first
    other = dataclasses.replace(META, name="renamed", labels=("a", "b", "c", "d"))
    rewritten = write_metadata(first, other)
    meta = read_metadata(rewritten)
    assert meta.name == "renamed" and meta.labels == ("a", "b", "c", "d")
    assert _associated_files(rewritten) == [LABELS_FILE]
    assert list(parse_model(rewritten).metadata).count("TFLITE_METADATA") == 1


def test_write_metadata_keeps_the_model_and_its_other_metadata_unchanged(tmp_path):
    original = parse_model(plain())
    written = parse_model(write_metadata(plain(), META))
    assert written.inputs == original.inputs and written.outputs == original.outputs
    for name, value in original.metadata.items():
        assert written.metadata[name] == value, name  # e.g. min_runtime_version, CONVERSION_METADATA
    # The written model computes exactly what the original computes.
    path = tmp_path / "written.tflite"
    path.write_bytes(write_metadata(plain(), META))
    image = quadrant_array(1)
    with Classifier(fixture_path("quadrants_int8"), labels_path=fixture_path("labels.txt"), mean=(127.5,),
                    std=(127.5,)) as a, Classifier(path) as b:
        assert np.array_equal(a.scores(a.preprocess(image)), b.scores(b.preprocess(image)))


def test_write_metadata_keeps_every_buffer_at_its_original_alignment():
    from flowerlite import _flatbuffer

    def data_offsets(model: bytes) -> list[int]:
        return [b.bytes_span(0)[0] for b in _flatbuffer.Table.root(model).tables(4) if b.bytes_span(0)]

    original = data_offsets(plain("quadrants_float32"))
    written = data_offsets(write_metadata(plain("quadrants_float32"), META))
    assert len(written) == len(original) + 1
    assert [p % 16 for p in written[: len(original)]] == [p % 16 for p in original]
    assert written[-1] % 16 == 0  # the metadata buffer itself


@pytest.mark.parametrize(
    "change,message",
    [
        (dict(labels=("a", "b", "c")), "outputs 4 scores but metadata.labels has 3 labels"),
        (dict(labels=()), "metadata.labels is empty"),
        (dict(labels=("a", "b", "a", "c")), r"labels must be unique; received duplicates \['a'\]"),
        (dict(labels=("a", "b\nc", "d", "e")), "label 1 must be a non-empty single-line string"),
        (dict(labels=("a", " ", "d", "e")), "label 1 must be a non-empty"),
        (dict(mean=(1.0, 2.0)), r"metadata.mean must hold 1 or 3 finite values; received \(1.0, 2.0\)"),
        (dict(std=(0.0,)), r"std values must be positive; received \(0.0,\)"),
        (dict(std=None), "give both metadata.mean and metadata.std"),
        (dict(mean=(float("nan"),)), "finite"),
        (dict(color_space="BGR"), "color_space must be 'RGB' or 'GRAYSCALE'; received 'BGR'"),
    ],
)
def test_write_metadata_rejects_metadata_that_does_not_fit(change, message):
    with pytest.raises(MetadataError, match=message):
        write_metadata(plain(), dataclasses.replace(META, **change))


def test_write_metadata_rejects_non_image_models_and_invalid_bytes():
    with pytest.raises(MetadataError, match=r"input must be an image .* received shape \[1, 8\]"):
        write_metadata(plain("not_a_classifier"), META)
    with pytest.raises(InvalidModelError, match="not a valid TFLite model"):
        write_metadata(b"\0" * 64, META)


def test_metadata_error_is_also_a_value_error():
    assert issubclass(MetadataError, ValueError)


def test_a_label_file_missing_from_the_zip_is_a_metadata_error():
    packed = write_metadata(plain(), META)
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        start = archive.infolist()[0].header_offset
    with pytest.raises(MetadataError, match="labels.txt.*(not packed|truncated or corrupt)"):
        read_metadata(packed[:start])
    with pytest.raises(MetadataError, match="labels.txt"):
        read_metadata(packed[:-30])  # zip directory cut short


def test_corrupt_metadata_buffers_raise_metadata_error_and_nothing_else():
    packed = write_metadata(plain(), META)
    from flowerlite.metadata import METADATA_IDENTIFIER

    meta_buf = parse_model(packed).metadata["TFLITE_METADATA"]
    start = packed.find(meta_buf)
    assert meta_buf[4:8] == METADATA_IDENTIFIER and start > 0
    rng = np.random.default_rng(0)
    outcomes = {"ok": 0, "MetadataError": 0}
    for _ in range(300):
        damaged = bytearray(packed)
        for _ in range(int(rng.integers(1, 4))):
            damaged[start + int(rng.integers(0, len(meta_buf)))] = int(rng.integers(0, 256))
        try:
            read_metadata(bytes(damaged))
            outcomes["ok"] += 1
        except MetadataError:
            outcomes["MetadataError"] += 1
    assert outcomes["MetadataError"] > 50 and outcomes["ok"] > 0, outcomes


def test_min_parser_version_follows_the_schema_history():
    from flowerlite import _metadata_schema_py_generated as fb
    from flowerlite.metadata import _min_parser_version

    meta = fb.ModelMetadataT()
    meta.subgraphMetadata = [fb.SubGraphMetadataT()]
    assert _min_parser_version(meta) == "1.0.0"
    meta.subgraphMetadata[0].inputProcessUnits = []
    assert _min_parser_version(meta) == "1.1.0"
    labels = fb.AssociatedFileT()
    labels.version = "1"
    meta.associatedFiles = [labels]
    assert _min_parser_version(meta) == "1.4.1"


# ----------------------------------------------------------------- interoperability


@pytest.mark.skipif(not HAVE_LITERT, reason="needs ai-edge-litert's TFLite schema module")
def test_litert_schema_object_api_reads_the_written_model_and_its_metadata():
    from ai_edge_litert import schema_py_generated as schema

    packed = write_metadata(plain(), META)
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(packed, 0))
    entries = {m.name.decode(): m.buffer for m in model.metadata}
    assert bytes(model.buffers[entries["TFLITE_METADATA"]].data) == parse_model(packed).metadata["TFLITE_METADATA"]
    assert len(model.subgraphs[0].operators) == len(schema.ModelT.InitFromObj(
        schema.Model.GetRootAs(plain(), 0)).subgraphs[0].operators)


@pytest.mark.skipif(not HAVE_MEDIAPIPE, reason="mediapipe is not installed (pip install '.[interop]')")
@pytest.mark.parametrize("model", ["quadrants_float32_metadata", "quadrants_int8_metadata"])
def test_mediapipe_image_classifier_reads_labels_written_by_write_metadata(model):
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.ImageClassifierOptions(base_options=BaseOptions(model_asset_path=fixture_path(model)),
                                            max_results=4)
    with vision.ImageClassifier.create_from_options(options) as classifier:
        for quadrant in range(4):
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=quadrant_array(quadrant, 64, 64))
            categories = classifier.classify(image).classifications[0].categories
            assert {c.category_name for c in categories} == set(LABELS)
            assert categories[0].category_name == LABELS[quadrant] and categories[0].index == quadrant


def populate_the_standard_way(model: bytes, labels, mean, std) -> bytes:
    """What MediaPipe's / TFLite Support's image-classifier writer and MetadataPopulator produce.

    The pip wheel of mediapipe lacks the native module its MetadataPopulator needs, so this
    follows their code: metadata built as metadata_info.InputImageTensorMd and
    ClassificationTensorMd build it, with MediaPipe's generated schema module; the model
    re-packed through the TFLite schema's object API with a TFLITE_METADATA buffer; the
    label file appended with zipfile in append mode.
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema
    from mediapipe.tasks.metadata import metadata_schema_py_generated as fb

    image = fb.TensorMetadataT()
    image.name, image.description = "image", "Input image to be processed."
    image.content = fb.ContentT()
    image.content.contentPropertiesType = fb.ContentProperties.ImageProperties
    image.content.contentProperties = fb.ImagePropertiesT()
    image.content.contentProperties.colorSpace = fb.ColorSpaceType.RGB
    unit = fb.ProcessUnitT()
    unit.optionsType = fb.ProcessUnitOptions.NormalizationOptions
    unit.options = fb.NormalizationOptionsT()
    unit.options.mean, unit.options.std = list(mean), list(std)
    image.processUnits = [unit]
    image.stats = fb.StatsT()
    image.stats.max, image.stats.min = [255], [0]
    score = fb.TensorMetadataT()
    score.name, score.description = "score", "Score of the labels respectively."
    score.content = fb.ContentT()
    score.content.contentPropertiesType = fb.ContentProperties.FeatureProperties
    score.content.contentProperties = fb.FeaturePropertiesT()
    score.stats = fb.StatsT()
    score.stats.max, score.stats.min = [255], [0]
    label_file = fb.AssociatedFileT()
    label_file.name = "labels.txt"
    label_file.description = "Labels for categories that the model can recognize."
    label_file.type = fb.AssociatedFileType.TENSOR_AXIS_LABELS
    score.associatedFiles = [label_file]
    subgraph = fb.SubGraphMetadataT()
    subgraph.inputTensorMetadata, subgraph.outputTensorMetadata = [image], [score]
    meta = fb.ModelMetadataT()
    meta.name, meta.description = "ImageClassifier", "Identify the most prominent object in the image"
    meta.subgraphMetadata = [subgraph]
    meta.minParserVersion = "1.0.0"
    builder = flatbuffers.Builder(0)
    builder.Finish(meta.Pack(builder), b"M001")
    metadata_buf = builder.Output()

    model_t = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    buffer = schema.BufferT()
    buffer.data = metadata_buf
    model_t.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name, entry.buffer = "TFLITE_METADATA", len(model_t.buffers) - 1
    model_t.metadata.append(entry)
    builder = flatbuffers.Builder(0)
    builder.Finish(model_t.Pack(builder), b"TFL3")
    out = io.BytesIO(bytes(builder.Output()))
    out.seek(0, io.SEEK_END)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("labels.txt", "\n".join(labels))
    return out.getvalue()


@pytest.mark.skipif(not (HAVE_MEDIAPIPE and HAVE_LITERT), reason="needs mediapipe and ai-edge-litert")
def test_read_metadata_reads_what_the_standard_metadata_writers_write(tmp_path):
    model = populate_the_standard_way(plain(), LABELS, mean=[127.0], std=[128.0])
    meta = read_metadata(model)
    assert meta.name == "ImageClassifier" and meta.labels == LABELS
    assert meta.mean == (127.0,) and meta.std == (128.0,) and meta.color_space == "RGB"
    path = tmp_path / "standard.tflite"
    path.write_bytes(model)
    with Classifier(path) as clf:
        assert clf.classify(quadrant_array(2))[0].label == "bottom left"
        assert clf.info.normalization_source == "metadata" and clf.info.name == "ImageClassifier"


def test_a_score_threshold_round_trips_and_is_absent_unless_set():
    assert read_metadata(write_metadata(plain(), META)).score_threshold is None
    written = read_metadata(write_metadata(plain(), dataclasses.replace(META, score_threshold=1 / 512)))
    assert written.score_threshold == pytest.approx(1 / 512)
    with pytest.raises(MetadataError, match=r"score_threshold must be in \[0, 1\) or None; received 1\.5"):
        write_metadata(plain(), dataclasses.replace(META, score_threshold=1.5))


def with_label_bomb(model: str, size: int) -> bytes:
    """The fixture model with its packed labels.txt replaced by ``size`` bytes that deflate to almost nothing."""
    flatbuffer = _embed.split_zip(pathlib.Path(fixture_path(model)).read_bytes())[0]
    packed = io.BytesIO()
    packed.write(flatbuffer)
    with zipfile.ZipFile(packed, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(LABELS_FILE, "w", force_zip64=True) as member:
            chunk = b"a" * (1 << 20)
            for _ in range(size >> 20):
                member.write(chunk)
    return packed.getvalue()


def test_a_zip_bomb_label_file_is_refused_before_it_is_inflated(tmp_path):
    # A 4.4 MB model whose labels.txt inflated to gigabytes reached 2.6 GB RSS before the LabelError.
    path = tmp_path / "bomb.tflite"
    path.write_bytes(with_label_bomb("quadrants_int8_metadata", 64 << 20))
    assert path.stat().st_size < 200_000
    message = (rf"{path}: label file 'labels.txt' unpacks to 67108864 bytes, over flowerlite's limit of 8388608 "
               r"bytes \(8 MiB\); the model is corrupt or hostile")
    with pytest.raises(MetadataError, match=message):
        read_metadata(path)
    with pytest.raises(MetadataError, match=message):
        Classifier(path, safe_load=False)


def test_a_confident_score_round_trips_as_custom_metadata_and_is_absent_unless_set():
    from flowerlite import _metadata_schema_py_generated as fb
    from flowerlite.metadata import CONFIDENT_SCORE_NAME

    plain_meta = read_metadata(write_metadata(plain(), META))
    assert plain_meta.confident_score is None and plain_meta.min_parser_version == "1.0.0"
    packed = write_metadata(plain(), dataclasses.replace(META, confident_score=0.55))
    written = read_metadata(packed)
    assert written.confident_score == 0.55 and written.labels == LABELS
    assert written.min_parser_version == "1.5.0"  # CustomMetadata came with metadata schema 1.5.0
    buf = parse_model(packed).metadata["TFLITE_METADATA"]
    (entry,) = fb.ModelMetadataT.InitFromObj(fb.ModelMetadata.GetRootAs(buf, 0)).subgraphMetadata[0].customMetadata
    assert entry.name == CONFIDENT_SCORE_NAME.encode() and bytes(entry.data) == b"0.55"


@pytest.mark.parametrize("value", [1.5, -0.1, float("nan"), "0.5", True])
def test_write_metadata_rejects_a_confident_score_that_is_not_a_score(value):
    with pytest.raises(MetadataError, match=r"metadata.confident_score must be in \[0, 1\] or None; received"):
        write_metadata(plain(), dataclasses.replace(META, confident_score=value))


def test_a_malformed_confident_score_in_a_model_is_a_metadata_error_naming_it():
    from flowerlite import _metadata_schema_py_generated as fb

    packed = write_metadata(plain(), dataclasses.replace(META, confident_score=0.5))
    buf = parse_model(packed).metadata["TFLITE_METADATA"]
    start = packed.find(buf)
    # Same length, so only the value changes: "0.5" -> "9.5", then "abc".
    for text in (b"9.5", b"abc"):
        damaged = bytearray(packed)
        offset = buf.find(b"\x03\x00\x00\x000.5") + 4  # the data vector: its length, then its bytes
        assert offset > 4
        damaged[start + offset : start + offset + 3] = text
        with pytest.raises(MetadataError, match=rf"flowerlite_confident_score in its metadata is '{text.decode()}', "
                                                r"not a score between 0 and 1; re-export the model"):
            read_metadata(bytes(damaged))


@pytest.mark.skipif(not HAVE_MEDIAPIPE, reason="mediapipe is not installed (pip install '.[interop]')")
def test_mediapipe_reads_the_labels_of_a_model_carrying_a_confident_score(tmp_path):
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    source = plain("quadrants_int8_metadata")
    model = tmp_path / "confident.tflite"
    model.write_bytes(write_metadata(source, dataclasses.replace(read_metadata(source), confident_score=0.55)))
    options = vision.ImageClassifierOptions(base_options=BaseOptions(model_asset_path=str(model)), max_results=4)
    with vision.ImageClassifier.create_from_options(options) as classifier:
        for quadrant in range(4):
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=quadrant_array(quadrant, 64, 64))
            categories = classifier.classify(image).classifications[0].categories
            assert categories[0].category_name == LABELS[quadrant]

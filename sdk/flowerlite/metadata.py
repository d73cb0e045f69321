"""Standard TFLite model metadata: read it from a model, and write it into one.

The metadata is the ``TFLITE_METADATA`` buffer of the TFLite metadata schema
(``sdk/schema/metadata_schema.fbs``), and the label file is packed into the
model as a zip archive appended to the flatbuffer, exactly as TFLite Support's
and MediaPipe's ``MetadataPopulator`` do. So MediaPipe Tasks, the TFLite Task
library and Android Studio read what :func:`write_metadata` writes, and
:func:`read_metadata` reads what they (and MediaPipe Model Maker) write.

Example::

    from flowerlite.metadata import ModelMetadata, read_metadata, write_metadata

    meta = ModelMetadata(name="flowerlite", version="1.0.0", labels=("rose", "tulip"),
                         mean=(127.5,), std=(127.5,))
    with open("model.tflite", "rb") as f:
        packed = write_metadata(f.read(), meta)
    assert read_metadata(packed).labels == ("rose", "tulip")
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import struct
import zipfile
import zlib
from collections.abc import Sequence

from . import _embed, _files, _flatbuffer, _metadata_layout, _tflite_model
from ._embed import METADATA_NAME
from .errors import MetadataError

__all__ = [
    "METADATA_NAME",
    "LABELS_FILE",
    "CONFIDENT_SCORE_NAME",
    "CONFIDENT_ACCURACY",
    "ModelMetadata",
    "read_metadata",
    "write_metadata",
]

METADATA_IDENTIFIER = b"M001"
LABELS_FILE = "labels.txt"
# The subgraph's CustomMetadata entry (schema 1.5.0) holding ModelMetadata.confident_score as
# UTF-8 decimal text. Standard readers (MediaPipe, TFLite Support) skip custom entries they do not know.
CONFIDENT_SCORE_NAME = "flowerlite_confident_score"
# What a model's confident score promises: its answers scoring at least that level were right at
# least this often on the real-world photos it was fitted on (the build chain fits it to this).
CONFIDENT_ACCURACY = 0.9

_COLOR_SPACES = {0: "UNKNOWN", 1: "RGB", 2: "GRAYSCALE"}
_TENSOR_AXIS_LABELS = 2
_NORMALIZATION_OPTIONS = 1
_SCORE_CALIBRATION_OPTIONS = 2
_SCORE_THRESHOLDING_OPTIONS = 3
_IMAGE_PROPERTIES = 2
_FEATURE_PROPERTIES = 1
# Zip entries get a fixed timestamp so that the same inputs give the same bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclasses.dataclass(frozen=True)
class ModelMetadata:
    """The model contract carried by standard TFLite metadata.

    Attributes:
        name, version, description, author, license: general model information.
        labels: one class name per output index (the ``TENSOR_AXIS_LABELS`` file).
        mean, std: per-channel input normalisation ``(pixel - mean) / std``; one
            value applies to all channels. ``None`` when the model has none.
        color_space: ``"RGB"``, ``"GRAYSCALE"`` or ``"UNKNOWN"``.
        score_type: ``"probability"``, or ``"calibrated"`` when the output carries
            a ScoreCalibration process unit (which flowerlite does not apply).
        input_min, input_max, output_min, output_max: per-channel value ranges
            from the tensors' ``Stats``, when present.
        score_threshold: the output's ``ScoreThresholdingOptions``: scores below it
            carry no information (e.g. exact zeros at a quantised output's
            resolution) and are not returned unless the caller asks; ``None`` when absent.
        confident_score: answers whose top score is at least this were right at least
            ``CONFIDENT_ACCURACY`` (90%) of the time on the real-world photos the
            release measured it on (see the model card); below it an answer is a best
            guess. ``None`` when the model carries none. Stored as the subgraph's
            ``CustomMetadata`` entry ``flowerlite_confident_score``.
        min_parser_version: the metadata parser version the model needs.
    """

    name: str = ""
    version: str = ""
    description: str = ""
    author: str = ""
    license: str = ""
    labels: tuple[str, ...] = ()
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    color_space: str = "RGB"
    score_type: str = "probability"
    input_min: tuple[float, ...] | None = None
    input_max: tuple[float, ...] | None = None
    output_min: tuple[float, ...] | None = None
    output_max: tuple[float, ...] | None = None
    score_threshold: float | None = None
    confident_score: float | None = None
    min_parser_version: str = ""


def _load(model: str | os.PathLike | bytes | bytearray | memoryview) -> tuple[bytes, str]:
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model), "model bytes"
    path = os.fspath(model)
    return _files.read_model(path), path


def _text(value: bytes | None) -> str:
    return value.decode("utf-8", "replace") if value else ""


def _floats(values) -> tuple[float, ...] | None:
    if values is None or len(values) == 0:
        return None
    return tuple(float(v) for v in values)


def read_metadata(model: str | os.PathLike | bytes) -> ModelMetadata | None:
    """Reads the standard metadata and label file of a ``.tflite`` model.

    Args:
        model: the model's path, or its bytes.

    Returns:
        The metadata, or ``None`` if the model has no ``TFLITE_METADATA``.

    Raises:
        ModelNotFoundError: ``model`` is a path that does not exist.
        InvalidModelError: the model is corrupt or truncated.
        MetadataError: the metadata is malformed, or names a label file that
            is not packed in the model.
    """
    data, source = _load(model)
    structure = _tflite_model.parse_model(data, source)
    return _read(data, structure, source)


def _read(data: bytes, structure, source: str) -> ModelMetadata | None:
    buf = structure.metadata.get(METADATA_NAME)
    if buf is None:
        return None
    try:
        _flatbuffer.verify(buf, "ModelMetadata", METADATA_IDENTIFIER,
                           _metadata_layout.TABLES, _metadata_layout.UNIONS)
    except _flatbuffer.VerifyError as exc:
        raise MetadataError(f"{source} has malformed TFLite metadata ({exc}); re-export the model") from None
    try:
        return _read_verified(data, buf, source)
    except (struct.error, IndexError, ValueError, TypeError, AttributeError) as exc:
        if isinstance(exc, MetadataError):
            raise
        raise MetadataError(f"{source} has malformed TFLite metadata ({exc}); re-export the model") from None


def _read_verified(data: bytes, buf: bytes, source: str) -> ModelMetadata:
    from . import _metadata_schema_py_generated as fb

    meta = fb.ModelMetadataT.InitFromBuf(buf, struct.unpack_from("<I", buf, 0)[0])
    fields: dict = {
        "name": _text(meta.name),
        "version": _text(meta.version),
        "description": _text(meta.description),
        "author": _text(meta.author),
        "license": _text(meta.license),
        "min_parser_version": _text(meta.minParserVersion),
    }
    subgraph = (meta.subgraphMetadata or [None])[0]
    if subgraph is not None:
        fields["confident_score"] = _confident_score(subgraph.customMetadata or [], source)
    image = (subgraph.inputTensorMetadata or [None])[0] if subgraph else None
    scores = (subgraph.outputTensorMetadata or [None])[0] if subgraph else None
    if image is not None:
        for unit in image.processUnits or []:
            if unit.optionsType == _NORMALIZATION_OPTIONS and unit.options is not None:
                fields["mean"] = _floats(unit.options.mean)
                fields["std"] = _floats(unit.options.std)
        content = image.content
        if content is not None and content.contentPropertiesType == _IMAGE_PROPERTIES:
            fields["color_space"] = _COLOR_SPACES.get(content.contentProperties.colorSpace, "UNKNOWN")
        if image.stats is not None:
            fields["input_min"] = _floats(image.stats.min)
            fields["input_max"] = _floats(image.stats.max)
    if scores is not None:
        if any(u.optionsType == _SCORE_CALIBRATION_OPTIONS for u in scores.processUnits or []):
            fields["score_type"] = "calibrated"
        for unit in scores.processUnits or []:
            if unit.optionsType == _SCORE_THRESHOLDING_OPTIONS and unit.options is not None:
                value = float(unit.options.globalScoreThreshold)
                if math.isfinite(value):  # a NaN threshold would silently drop every category
                    fields["score_threshold"] = value
        if scores.stats is not None:
            fields["output_min"] = _floats(scores.stats.min)
            fields["output_max"] = _floats(scores.stats.max)
        label_files = [f for f in scores.associatedFiles or [] if f.type == _TENSOR_AXIS_LABELS]
        if label_files:
            fields["labels"] = _read_labels(data, _text(label_files[0].name), source)
    return ModelMetadata(**fields)


def _confident_score(entries, source: str) -> float | None:
    for entry in entries:
        if _text(entry.name) != CONFIDENT_SCORE_NAME:
            continue
        text = bytes(entry.data if entry.data is not None else b"")[:32].decode("ascii", "replace")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and 0 <= value <= 1):
            raise MetadataError(f"{source}: {CONFIDENT_SCORE_NAME} in its metadata is {text!r}, not a score "
                                "between 0 and 1; re-export the model")
        return value
    return None


def _read_labels(data: bytes, name: str, source: str) -> tuple[str, ...]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            size = archive.getinfo(name).file_size
            if size > _files.MAX_LABELS_BYTES:
                raise MetadataError(
                    f"{source}: label file {name!r} unpacks to {size} bytes, over flowerlite's limit of "
                    f"{_files.MAX_LABELS_BYTES} bytes (8 MiB); the model is corrupt or hostile"
                )
            # The declared size bounds what zipfile inflates (a lying one fails its CRC check).
            with archive.open(name) as member:
                raw = member.read(_files.MAX_LABELS_BYTES + 1)
    except MetadataError:
        raise
    except KeyError:
        raise MetadataError(
            f"{source}: the metadata names label file {name!r} but it is not packed in the model; "
            "re-export the model with its labels"
        ) from None
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise MetadataError(
            f"{source}: cannot unpack label file {name!r} from the model ({exc}); "
            "the file is truncated or corrupt"
        ) from None
    return parse_labels(raw.decode("utf-8", "replace"))


def parse_labels(text: str) -> tuple[str, ...]:
    """Splits a label file: one label per line; ``\\r`` and trailing blank lines are dropped."""
    lines = [line.rstrip("\r") for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    return tuple(lines)


# --------------------------------------------------------------------------- writing


def write_metadata(
    model_bytes: bytes,
    metadata: ModelMetadata,
    *,
    input_name: str = "image",
    input_description: str = "Input image to be classified.",
    output_name: str = "probability",
    output_description: str = "Probabilities of the labels respectively.",
) -> bytes:
    """Returns ``model_bytes`` with ``metadata`` and its label file packed in.

    Writes name, version, description, author and license; the input image's
    ImageProperties (colour space), NormalizationOptions (mean, std) and Stats;
    the output's Stats, ScoreThresholdingOptions (when ``score_threshold`` is set)
    and a ``TENSOR_AXIS_LABELS`` associated file
    ``labels.txt`` (no score calibration: the scores are probabilities); the
    subgraph's ``CustomMetadata`` ``flowerlite_confident_score`` (when
    ``confident_score`` is set); and ``min_parser_version``. Any metadata and
    associated files already in the model are replaced. The flatbuffer itself is kept byte for byte (it is
    embedded, aligned, behind a new root table), so no operator, weight or
    unknown newer schema field can be lost, and the output is deterministic.

    Args:
        model_bytes: the ``.tflite`` model, with or without metadata.
        metadata: what to write; ``labels`` must hold one label per output class.
        input_name, input_description, output_name, output_description: the tensors' names
            and descriptions in the metadata (MediaPipe Model Maker's defaults).

    Returns:
        The model with its metadata, ready to be saved as a ``.tflite`` file.

    Raises:
        InvalidModelError: ``model_bytes`` is not a valid TFLite model.
        MetadataError: the model is not a single-input, single-output image
            classifier, or ``metadata`` does not fit it (label count, mean/std).
    """
    model_bytes = bytes(model_bytes)
    flatbuffer, _ = _embed.split_zip(model_bytes)
    structure = _tflite_model.parse_model(flatbuffer, "model bytes")
    image, scores = _check_fits(structure, metadata)
    from . import _metadata_schema_py_generated as fb

    meta_t = _metadata_object(fb, metadata, image, scores, input_name, input_description,
                              output_name, output_description)
    meta_t.minParserVersion = _min_parser_version(meta_t)
    builder = _flatbuffers_builder()
    builder.Finish(meta_t.Pack(builder), METADATA_IDENTIFIER)
    metadata_buf = bytes(builder.Output())

    packed = io.BytesIO()
    packed.write(_embed.embed_metadata(flatbuffer, metadata_buf))
    with zipfile.ZipFile(packed, "a", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(zipfile.ZipInfo(LABELS_FILE, date_time=_ZIP_DATE), "\n".join(metadata.labels))
    result = packed.getvalue()

    written = _read(result, _tflite_model.parse_model(result, "written model"), "written model")
    if written is None or written.labels != tuple(metadata.labels):  # pragma: no cover - self-check
        raise AssertionError("write_metadata produced a model whose metadata does not read back")
    return result


def _flatbuffers_builder():
    import flatbuffers

    return flatbuffers.Builder(1024)


def _check_fits(structure, metadata: ModelMetadata):
    if len(structure.inputs) != 1 or len(structure.outputs) != 1:
        raise MetadataError(
            f"write_metadata needs a model with one input and one output; this one has "
            f"{len(structure.inputs)} inputs and {len(structure.outputs)} outputs"
        )
    image, scores = structure.inputs[0], structure.outputs[0]
    if len(image.shape) != 4 or image.shape[-1] not in (1, 3):
        raise MetadataError(f"the model input must be an image [batch, height, width, 1 or 3]; "
                            f"received shape {list(image.shape)}")
    labels = tuple(metadata.labels)
    if not labels:
        raise MetadataError("metadata.labels is empty; give one label per output class")
    num_classes = scores.shape[-1] if scores.shape else 0
    if len(labels) != num_classes:
        raise MetadataError(f"the model outputs {num_classes} scores but metadata.labels has "
                            f"{len(labels)} labels; give one label per output class")
    for i, label in enumerate(labels):
        if not isinstance(label, str) or not label.strip() or "\n" in label or "\r" in label:
            raise MetadataError(f"label {i} must be a non-empty single-line string; received {label!r}")
    if len(set(labels)) != len(labels):
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        raise MetadataError(f"labels must be unique; received duplicates {duplicates}")
    channels = image.shape[-1]
    if (metadata.mean is None) != (metadata.std is None):
        raise MetadataError("give both metadata.mean and metadata.std, or neither")
    if metadata.mean is not None:
        for what, values in (("mean", metadata.mean), ("std", metadata.std)):
            if len(values) not in (1, channels) or not all(math.isfinite(v) for v in values):
                raise MetadataError(f"metadata.{what} must hold 1 or {channels} finite values; "
                                    f"received {tuple(values)}")
        if any(s <= 0 for s in metadata.std):
            raise MetadataError(f"metadata.std values must be positive; received {tuple(metadata.std)}")
    threshold = metadata.score_threshold
    if threshold is not None and (not isinstance(threshold, (int, float)) or not 0 <= threshold < 1):
        raise MetadataError(f"metadata.score_threshold must be in [0, 1) or None; received {threshold!r}")
    confident = metadata.confident_score
    if confident is not None and (isinstance(confident, bool) or not isinstance(confident, (int, float))
                                  or not 0 <= confident <= 1):
        raise MetadataError(f"metadata.confident_score must be in [0, 1] or None; received {confident!r}")
    if metadata.color_space not in ("RGB", "GRAYSCALE"):
        raise MetadataError(f"metadata.color_space must be 'RGB' or 'GRAYSCALE'; "
                            f"received {metadata.color_space!r}")
    return image, scores


def _value_range(dtype: str | None, mean, std, channels: int, pixels: bool):
    """Stats min/max as MediaPipe's metadata writer computes them."""
    if dtype == "uint8":
        return [0.0], [255.0]
    if dtype == "int8":
        return [-128.0], [127.0]
    if dtype == "float32" and not pixels:
        return [0.0], [1.0]
    if dtype == "float32" and mean is not None:
        mean = list(mean) * channels if len(mean) == 1 else list(mean)
        std = list(std) * channels if len(std) == 1 else list(std)
        return [(0.0 - m) / s for m, s in zip(mean, std)], [(255.0 - m) / s for m, s in zip(mean, std)]
    return None, None


def _metadata_object(fb, metadata, image, scores, input_name, input_description, output_name,
                     output_description):
    image_md = fb.TensorMetadataT()
    image_md.name = input_name
    image_md.description = input_description
    image_md.content = fb.ContentT()
    image_md.content.contentPropertiesType = _IMAGE_PROPERTIES
    image_md.content.contentProperties = fb.ImagePropertiesT()
    image_md.content.contentProperties.colorSpace = {"RGB": 1, "GRAYSCALE": 2}[metadata.color_space]
    if metadata.mean is not None:
        unit = fb.ProcessUnitT()
        unit.optionsType = _NORMALIZATION_OPTIONS
        unit.options = fb.NormalizationOptionsT()
        unit.options.mean = [float(v) for v in metadata.mean]
        unit.options.std = [float(v) for v in metadata.std]
        image_md.processUnits = [unit]
    low, high = _value_range(image.dtype, metadata.mean, metadata.std, image.shape[-1], pixels=True)
    if low is not None:
        image_md.stats = fb.StatsT()
        image_md.stats.min, image_md.stats.max = low, high

    scores_md = fb.TensorMetadataT()
    scores_md.name = output_name
    scores_md.description = output_description
    scores_md.content = fb.ContentT()
    scores_md.content.contentPropertiesType = _FEATURE_PROPERTIES
    scores_md.content.contentProperties = fb.FeaturePropertiesT()
    low, high = _value_range(scores.dtype, None, None, 1, pixels=False)
    if low is not None:
        scores_md.stats = fb.StatsT()
        scores_md.stats.min, scores_md.stats.max = low, high
    if metadata.score_threshold is not None:
        unit = fb.ProcessUnitT()
        unit.optionsType = _SCORE_THRESHOLDING_OPTIONS
        unit.options = fb.ScoreThresholdingOptionsT()
        unit.options.globalScoreThreshold = float(metadata.score_threshold)
        scores_md.processUnits = [unit]
    labels = fb.AssociatedFileT()
    labels.name = LABELS_FILE
    labels.description = "Labels for categories that the model can recognize."
    labels.type = _TENSOR_AXIS_LABELS
    scores_md.associatedFiles = [labels]

    subgraph = fb.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [image_md]
    subgraph.outputTensorMetadata = [scores_md]
    if metadata.confident_score is not None:
        entry = fb.CustomMetadataT()
        entry.name = CONFIDENT_SCORE_NAME
        entry.data = list(repr(float(metadata.confident_score)).encode("ascii"))
        subgraph.customMetadata = [entry]
    meta = fb.ModelMetadataT()
    for field in ("name", "version", "description", "author", "license"):
        value = getattr(metadata, field)
        setattr(meta, field, value or None)
    meta.subgraphMetadata = [subgraph]
    return meta


def _min_parser_version(meta) -> str:
    """The minimum metadata parser version, by the rules of TFLite Support's metadata_version.cc."""
    version = (1, 0, 0)
    files = list(meta.associatedFiles or [])
    for subgraph in meta.subgraphMetadata or []:
        files += subgraph.associatedFiles or []
        if subgraph.inputProcessUnits is not None or subgraph.outputProcessUnits is not None:
            version = max(version, (1, 1, 0))
        if subgraph.inputTensorGroups is not None or subgraph.outputTensorGroups is not None:
            version = max(version, (1, 2, 0))
        if subgraph.customMetadata is not None:
            version = max(version, (1, 5, 0))
        for tensor in (subgraph.inputTensorMetadata or []) + (subgraph.outputTensorMetadata or []):
            files += tensor.associatedFiles or []
    for f in files:
        if f.type == 5:  # VOCABULARY
            version = max(version, (1, 0, 1))
        if f.type == 6:  # SCANN_INDEX_FILE
            version = max(version, (1, 4, 0))
        if f.version is not None:
            version = max(version, (1, 4, 1))
    return ".".join(map(str, version))


def _associated_files(model: bytes) -> Sequence[str]:
    """Names of the files zipped into a model (for tests and tooling)."""
    return _embed.split_zip(model)[1]

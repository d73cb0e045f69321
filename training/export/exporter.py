"""Keras model -> TFLite file with standard metadata (one variant per call)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from training.export.errors import ExportError
from training.export.quantization import QuantizationConfig

__all__ = ["ModelInfo", "ExportedModel", "convert_model", "export_model", "set_confident_score", "sha256_file"]


@dataclass(frozen=True)
class ModelInfo:
    """What a file says about itself in its TFLite metadata."""

    name: str
    version: str
    description: str
    labels: Sequence[str]
    mean: Sequence[float]
    std: Sequence[float]
    author: str = "flowerlite"
    license: str = "Apache-2.0"
    confident_score: float | None = None  # fitted per file on real-world photos (`set_confident_score`)


@dataclass(frozen=True)
class ExportedModel:
    """One written file and what the converter made of it."""

    path: Path
    variant: str
    size_bytes: int
    sha256: str
    input_dtype: str
    output_dtype: str
    input_quantization: tuple[float, int] | None  # (scale, zero point) of a quantised input
    output_quantization: tuple[float, int] | None
    seconds: float
    score_threshold: float | None = None  # the metadata's ScoreThresholdingOptions, if written
    confident_score: float | None = None  # the metadata's flowerlite_confident_score, if written


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def convert_model(model, quantization: QuantizationConfig) -> bytes:
    """Convert a Keras model into a TFLite flatbuffer (no metadata yet).

    Raises:
        ExportError: if the converter fails (e.g. an op with no integer kernel for int8).
    """
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    quantization.configure(converter)
    # The converter prints the whole intermediate SavedModel signature to stdout: keep the CLI readable.
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            # int8: TF warns that the (float) input has no statistics; the calibration provides them.
            warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
            return bytes(converter.convert())
    except Exception as exc:  # the converter raises ConverterError, RuntimeError, ValueError...
        raise ExportError(f"TFLite conversion of {model.name!r} to {quantization.variant} failed: {exc}") from None


def _tensor_io(model_bytes: bytes):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model_bytes)
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]

    def quant(detail):
        scale, zero = detail["quantization"]
        return (float(scale), int(zero)) if scale else None

    return inp["dtype"].__name__, out["dtype"].__name__, quant(inp), quant(out)


def export_model(model, path: str | Path, quantization: QuantizationConfig, info: ModelInfo) -> ExportedModel:
    """Convert `model`, pack its metadata (labels, mean/std, ...) and write it atomically to `path`.

    Raises:
        ExportError: if conversion fails or the metadata cannot be written.
    """
    from flowerlite.errors import FlowerliteError as SdkError
    from flowerlite.metadata import ModelMetadata, write_metadata

    path = Path(path)
    t0 = time.time()
    flatbuffer = convert_model(model, quantization)
    # write_metadata keeps the flatbuffer byte for byte, so the tensors read here are the file's.
    in_dtype, out_dtype, in_q, out_q = _tensor_io(flatbuffer)
    threshold = out_q[0] / 2 if out_q else None
    metadata = ModelMetadata(
        name=info.name, version=info.version, description=info.description, author=info.author,
        license=info.license, labels=tuple(info.labels), mean=tuple(map(float, info.mean)),
        std=tuple(map(float, info.std)), color_space="RGB", score_type="probability",
        # A quantised output scores unlikely classes exactly 0 (below one step): not answers, and
        # in top-k they would come out in label order. Half a step drops exactly those.
        score_threshold=threshold, confident_score=info.confident_score,
    )
    try:
        flatbuffer = write_metadata(flatbuffer, metadata)
    except SdkError as exc:
        raise ExportError(f"Cannot write the metadata of {path}: {exc}") from None
    _write_atomically(path, flatbuffer)
    return ExportedModel(path, quantization.variant, len(flatbuffer), hashlib.sha256(flatbuffer).hexdigest(),
                         in_dtype, out_dtype, in_q, out_q, time.time() - t0, threshold, info.confident_score)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # atomic: an interrupted export never leaves half a model


def set_confident_score(exported: ExportedModel, confident_score: float | None) -> ExportedModel:
    """Rewrite a written file's metadata with its confident score level (the model itself is kept byte for byte).

    Raises:
        ExportError: if the file's metadata cannot be read or written.
    """
    import dataclasses

    from flowerlite.errors import FlowerliteError as SdkError
    from flowerlite.metadata import read_metadata, write_metadata

    try:
        data = exported.path.read_bytes()
        data = write_metadata(data, dataclasses.replace(read_metadata(data), confident_score=confident_score))
    except (SdkError, TypeError) as exc:  # TypeError: no metadata to replace
        raise ExportError(f"Cannot write the confident score into {exported.path}: {exc}") from None
    _write_atomically(exported.path, data)
    return dataclasses.replace(exported, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                               confident_score=confident_score)

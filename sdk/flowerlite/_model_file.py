"""What a classifier reads from files before any runtime sees them: a label file, and the model's shape check."""

from __future__ import annotations

import math

from . import _files, metadata
from .errors import LabelError, UnsupportedModelError

__all__ = ["MIN_INPUT_SIDE", "MAX_INPUT_SIDE", "read_labels", "check_image_classifier"]

_INPUT_DTYPES = ("float32", "uint8", "int8")
_OUTPUT_DTYPES = ("float32", "uint8", "int8")
MIN_INPUT_SIDE = 16
"""Models asking for smaller input images are refused (a tampered or foreign shape)."""
MAX_INPUT_SIDE = 1024
"""Models asking for larger input images are refused (a 4096x4096 input took 2.1 GB)."""


def read_labels(path: str) -> tuple[str, ...]:
    """The labels of a text file, one per line (UTF-8, at most 8 MiB).

    Raises:
        LabelError: the file is missing, not a regular file, too large, unreadable, not UTF-8, or empty.
    """
    try:
        raw = _files.read_bounded(path, _files.MAX_LABELS_BYTES)
    except FileNotFoundError:
        raise LabelError(f"labels file not found: {path}; check the path") from None
    except _files.NotRegularFileError as exc:
        raise LabelError(f"labels path {path} is a {exc.kind}, not a regular file; "
                         "pass a text file with one label per line") from None
    except _files.FileTooLargeError as exc:
        raise LabelError(f"labels file {path} is {exc.size} bytes, over flowerlite's limit of "
                         f"{exc.limit} bytes (8 MiB); pass a text file with one label per line") from None
    except OSError as exc:
        raise LabelError(f"cannot read labels file {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LabelError(f"labels file {path} is not UTF-8 text; save it as UTF-8, one label per line") from None
    labels = metadata.parse_labels(text)
    if not labels:
        raise LabelError(f"labels file {path} is empty; write one label per line")
    return labels


def check_image_classifier(structure, path: str):
    """The image input and the score output of a parsed model (``_tflite_model.parse_model``).

    Returns:
        ``(image, scores)``: the input and output tensor specs.

    Raises:
        UnsupportedModelError: the model is not one image in ([1, height, width, 1 or 3], 16 to 1024 pixels a
            side, float32/uint8/int8) and one row of scores out, with per-tensor quantisation.
    """
    if len(structure.inputs) != 1 or len(structure.outputs) != 1:
        raise UnsupportedModelError(
            f"{path} is not an image classifier: it has {len(structure.inputs)} inputs and "
            f"{len(structure.outputs)} outputs (expected one image input and one score output)"
        )
    image, scores = structure.inputs[0], structure.outputs[0]
    shape = list(image.shape)
    if len(shape) != 4 or shape[0] != 1 or shape[3] not in (1, 3) or min(shape) < 1:
        raise UnsupportedModelError(
            f"{path} is not an image classifier: input shape {shape} (expected [1, height, width, 3])"
        )
    if not MIN_INPUT_SIDE <= min(shape[1], shape[2]) <= max(shape[1], shape[2]) <= MAX_INPUT_SIDE:
        raise UnsupportedModelError(
            f"{path} asks for {shape[1]}x{shape[2]} input images; flowerlite supports "
            f"{MIN_INPUT_SIDE} to {MAX_INPUT_SIDE} pixels a side (is the model's input shape damaged?)"
        )
    if image.dtype not in _INPUT_DTYPES:
        raise UnsupportedModelError(f"{path} has a {image.dtype} input; flowerlite supports {_INPUT_DTYPES}")
    out = list(scores.shape)
    if len(out) < 2 or math.prod(out[:-1]) != 1 or out[-1] < 1:
        raise UnsupportedModelError(
            f"{path} is not an image classifier: output shape {out} (expected [1, number of classes])"
        )
    if scores.dtype not in _OUTPUT_DTYPES:
        raise UnsupportedModelError(f"{path} has a {scores.dtype} output; flowerlite supports {_OUTPUT_DTYPES}")
    for spec, what in ((image, "input"), (scores, "output")):
        if spec.dtype != "float32" and len(spec.scales) != 1:
            raise UnsupportedModelError(f"{path} has a {spec.dtype} {what} without per-tensor quantisation")
    return image, scores

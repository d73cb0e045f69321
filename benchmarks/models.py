"""The model files under test: variant names from file names, and the contract read from their metadata."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import flowerlite
from flowerlite.contract import CROP_FRACTION, RELEASE_GLOB, VARIANTS, parse_release_name

from benchmarks.errors import BenchmarkError

__all__ = ["ModelFile", "find_models", "read_model", "PRECISIONS"]

PRECISIONS = VARIANTS  # a released file's variant is the harness's "precision"


@dataclass(frozen=True)
class ModelFile:
    """A .tflite file and what the harness needs to know about it (from its name and its metadata)."""

    path: Path
    variant: str
    backbone: str
    precision: str
    size_bytes: int
    sha256: str
    labels: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    crop_fraction: float
    input_shape: tuple[int, ...]
    input_dtype: str


def find_models(paths: list[str | Path]) -> list[Path]:
    """The .tflite files named by `paths` (files, or folders holding flowerlite-*.tflite), released ones in precision order.

    Raises:
        BenchmarkError: if a path does not exist or no model is found.
    """
    found: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            found += sorted(entry.glob(RELEASE_GLOB)) or sorted(entry.glob("*.tflite"))
        elif entry.is_file():
            found.append(entry)
        else:
            raise BenchmarkError(f"Model not found: {entry} (pass .tflite files or a folder holding them, e.g. models/)")
    if not found:
        raise BenchmarkError(f"No .tflite model under {', '.join(map(str, paths))}: export one first (python -m training export) or pass --models FILE")

    def order(path: Path):
        name = parse_release_name(path)
        return (name.backbone, PRECISIONS.index(name.variant)) if name else (path.stem, 99)

    return sorted(dict.fromkeys(p.resolve() for p in found), key=order)


_PRECISION_IN_NAME = re.compile(rf"(?:^|[-_])({'|'.join(PRECISIONS)})(?:[-_]|$)")


def _name(path: Path) -> tuple[str, str, str]:
    """(variant, backbone, precision) from a file name: flowerlite-<backbone>-<precision>, else any name."""
    name = parse_release_name(path)
    if name:
        return f"{name.backbone}-{name.variant}", name.backbone, name.variant
    found = _PRECISION_IN_NAME.search(path.stem)  # e.g. a fixture "quadrants_int8_metadata"
    if found:
        rest = path.stem[: found.start(1)] + path.stem[found.end(1) :]
        backbone = re.sub(r"[-_]{2,}", lambda m: m.group(0)[0], rest).strip("-_") or path.stem
        return path.stem, backbone, found.group(1)
    return path.stem, path.stem, ""


def read_model(path: Path) -> ModelFile:
    """Name, size, checksum, labels and preprocessing of a model, through the SDK's public API.

    Raises:
        FlowerliteError: if the model or its metadata cannot be used (the SDK's message).
    """
    variant, backbone, precision = _name(path)
    data = path.read_bytes()
    with flowerlite.Classifier(path) as classifier:
        info = classifier.info
    return ModelFile(
        path=path, variant=variant, backbone=backbone, precision=precision, size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(), labels=tuple(info.labels), mean=tuple(info.mean), std=tuple(info.std),
        crop_fraction=float(CROP_FRACTION), input_shape=tuple(info.input_shape), input_dtype=info.input_dtype,
    )

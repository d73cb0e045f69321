"""Export checks: run a written file through the SDK and compare it with its Keras model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from training.export.errors import VerificationError
from training.export.evaluate import interpreter_threads
from training.export.exporter import ModelInfo

__all__ = ["Tolerance", "TOLERANCES", "VerificationReport", "sdk_probabilities", "verify_model"]


@dataclass(frozen=True)
class Tolerance:
    """How far a variant may drift from the Keras model on the check images."""

    min_top1_agreement: float  # fraction of images with the same top-1 class
    max_mean_delta: float  # mean over images of max_k |p_file - p_keras|
    max_delta: float  # worst single probability difference


# float32 should be the Keras model up to float rounding; float16 weights move probabilities by
# ~1e-3; int8 (and dynamic-range int8) by a few hundredths, and flip the odd borderline image.
# Measured on EfficientNet-Lite0, 200 val images: float32 mean 4e-7; float16 mean 1.1e-3, max 7e-3;
# int8 98.5% agreement, mean 2.3e-2, max 0.17. The limits leave about 2x room for other backbones.
TOLERANCES: dict[str, Tolerance] = {
    "float32": Tolerance(min_top1_agreement=0.99, max_mean_delta=1e-4, max_delta=1e-3),
    "float16": Tolerance(min_top1_agreement=0.98, max_mean_delta=4e-3, max_delta=5e-2),
    "dynamic": Tolerance(min_top1_agreement=0.95, max_mean_delta=5e-2, max_delta=0.5),
    "int8": Tolerance(min_top1_agreement=0.95, max_mean_delta=5e-2, max_delta=0.5),
}


@dataclass(frozen=True)
class VerificationReport:
    """What the check measured for one file (it passed if it was returned)."""

    path: Path
    variant: str
    images: int
    top1_agreement: float
    mean_delta: float
    max_delta: float

    def summary(self) -> str:
        """One line for logs and the model card."""
        return (f"top-1 agrees with Keras on {self.top1_agreement:.1%} of {self.images} images; "
                f"probability difference mean {self.mean_delta:.2e}, max {self.max_delta:.2e}; metadata round-trips")


def sdk_probabilities(path: str | Path, image_paths: Sequence[str | Path], chunk: int = 64) -> np.ndarray:
    """Probabilities (N, classes) of a .tflite file on image files, through `flowerlite.Classifier`."""
    from flowerlite.classifier import Classifier

    rows = []
    with Classifier(path, num_threads=interpreter_threads()) as classifier:
        for start in range(0, len(image_paths), chunk):
            batch = np.concatenate([classifier.preprocess(p) for p in image_paths[start : start + chunk]])
            rows.append(classifier.scores(batch))
    return np.concatenate(rows) if rows else np.zeros((0, 0), np.float32)


def _check_metadata(path: Path, info: ModelInfo, num_outputs: int) -> None:
    from flowerlite.metadata import read_metadata

    meta = read_metadata(path)
    if meta is None:
        raise VerificationError(f"{path} has no TFLite metadata: re-export it")
    problems = []
    if tuple(meta.labels) != tuple(info.labels):
        problems.append(f"labels differ ({len(meta.labels)} read, {len(info.labels)} expected)")
    if len(meta.labels) != num_outputs:
        problems.append(f"{len(meta.labels)} labels for {num_outputs} outputs")
    for what, got, want in (("mean", meta.mean, info.mean), ("std", meta.std, info.std)):
        if got is None or not np.allclose(np.broadcast_to(got, (3,)), np.broadcast_to(want, (3,))):
            problems.append(f"{what} reads {got}, expected {tuple(want)}")
    for what in ("name", "version", "author", "license", "confident_score"):
        if getattr(meta, what) != getattr(info, what):
            problems.append(f"{what} reads {getattr(meta, what)!r}, expected {getattr(info, what)!r}")
    if problems:
        raise VerificationError(f"{path}: metadata does not round-trip: {'; '.join(problems)}")


def verify_model(
    path: str | Path,
    variant: str,
    keras_probabilities: np.ndarray,
    image_paths: Sequence[str | Path],
    info: ModelInfo,
    tolerance: Tolerance | None = None,
) -> VerificationReport:
    """Check a written file: metadata round-trip, then SDK vs Keras on `image_paths`.

    `keras_probabilities` are the Keras model's outputs on the same images prepared with the
    SDK's preprocessing (see `calibration.load_crops`).

    Raises:
        VerificationError: if the metadata does not read back, or the file drifts beyond tolerance.
    """
    path = Path(path)
    tolerance = tolerance or TOLERANCES[variant]
    expected = np.asarray(keras_probabilities, dtype=np.float32)
    _check_metadata(path, info, expected.shape[1])
    got = sdk_probabilities(path, image_paths)
    if got.shape != expected.shape:
        raise VerificationError(f"{path} gives scores of shape {got.shape}; the Keras model gives {expected.shape}")
    agreement = float(np.mean(np.argmax(got, 1) == np.argmax(expected, 1)))
    deltas = np.abs(got - expected).max(axis=1)
    report = VerificationReport(path, variant, len(image_paths), agreement, float(deltas.mean()), float(deltas.max()))
    failures = []
    if agreement < tolerance.min_top1_agreement:
        failures.append(f"top-1 agreement {agreement:.1%} < {tolerance.min_top1_agreement:.1%}")
    if report.mean_delta > tolerance.max_mean_delta:
        failures.append(f"mean probability difference {report.mean_delta:.2e} > {tolerance.max_mean_delta:.0e}")
    if report.max_delta > tolerance.max_delta:
        failures.append(f"max probability difference {report.max_delta:.2e} > {tolerance.max_delta:.0e}")
    if failures:
        raise VerificationError(
            f"{path} ({variant}) disagrees with its Keras model on {len(image_paths)} val images: "
            f"{'; '.join(failures)}. Do not release it: check the conversion (or calibration for int8)"
        )
    return report

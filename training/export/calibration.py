"""Images for int8 calibration and export checks, prepared exactly as the SDK prepares them."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from training.data.oxford102 import Sample
from training.data.sampling import stratified_indices

__all__ = ["stratified_sample", "load_crops", "normalise"]


def stratified_sample(samples: Sequence[Sample], count: int, seed: int) -> list[Sample]:
    """`count` samples, seeded, spread evenly over the classes (`training.data.sampling.stratified_indices`)."""
    return [samples[i] for i in stratified_indices([s.label for s in samples], count, seed)]


def load_crops(paths: Sequence[str | Path], size: int) -> np.ndarray:
    """Decode and resize-then-centre-crop images with the SDK's rule: uint8 array (N, size, size, 3)."""
    from flowerlite.preprocessing import load_image, resize_and_crop

    crops = np.empty((len(paths), size, size, 3), np.uint8)
    for i, path in enumerate(paths):
        crops[i] = np.asarray(resize_and_crop(load_image(path), size), dtype=np.uint8)
    return crops


def normalise(pixels: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """(pixels - mean) / std as float32: the Keras model's and float TFLite files' input."""
    return ((pixels.astype(np.float32) - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)).astype(np.float32)

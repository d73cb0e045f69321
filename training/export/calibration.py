"""Images for int8 calibration and export checks, prepared exactly as the SDK prepares them."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Sequence

import numpy as np

from training.data.oxford102 import Sample

__all__ = ["stratified_sample", "load_crops", "normalise"]


def stratified_sample(samples: Sequence[Sample], count: int, seed: int) -> list[Sample]:
    """`count` samples, seeded, spread evenly over the classes (round-robin over shuffled classes)."""
    rng = np.random.default_rng(seed)
    by_class: dict[int, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_class[sample.label].append(sample)
    queues = []
    for label in sorted(by_class):
        group = by_class[label]
        queues.append([group[i] for i in rng.permutation(len(group))])
    order = rng.permutation(len(queues))
    chosen: list[Sample] = []
    depth = 0
    while len(chosen) < min(count, len(samples)):
        for q in order:
            if depth < len(queues[q]) and len(chosen) < count:
                chosen.append(queues[q][depth])
        depth += 1
    return chosen


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

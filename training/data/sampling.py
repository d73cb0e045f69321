"""The one stratified sampler: a seeded pick spread evenly over the classes (no TensorFlow).

Used for the release's int8 calibration and export-check images (`training.export.calibration`),
the explanations' int8 twin, and the benchmark harness's `--limit` subsets (`benchmarks.imageset`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["stratified_indices"]


def stratified_indices(labels: Sequence[int], count: int, seed: int) -> list[int]:
    """Indices of `count` items (all of them if fewer), seeded, spread evenly over the classes.

    Each class's items are shuffled, the classes are put in a shuffled order, and one item of every
    class is taken in turn (round robin) until `count` are taken; the indices come in the order taken.
    """
    rng = np.random.default_rng(seed)
    by_class: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        by_class.setdefault(label, []).append(index)
    queues = []
    for label in sorted(by_class):
        group = by_class[label]
        queues.append([group[i] for i in rng.permutation(len(group))])
    order = rng.permutation(len(queues))
    chosen: list[int] = []
    depth = 0
    while len(chosen) < min(count, len(labels)):
        for q in order:
            if depth < len(queues[q]) and len(chosen) < count:
                chosen.append(queues[q][depth])
        depth += 1
    return chosen

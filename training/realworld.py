"""Scores on a photo set against a model's full label set: top-1, top-5, per class and selective accuracy.

One owner for the real-world figures: `python -m training evaluate`, the release, the benchmark
harness and the per-epoch training monitor all call `score_predictions` on a model's
probabilities. No TensorFlow.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
from flowerlite.contract import top_k_indices
from flowerlite.metadata import CONFIDENT_ACCURACY

__all__ = ["THRESHOLDS", "CONFIDENT_TARGET", "LEVELS", "MIN_ANSWERED", "Selective", "PhotoScores", "score_predictions", "confident_level"]

# Score levels of the selective-accuracy curve (issue "Real-world photos").
THRESHOLDS = (0.3, 0.5, 0.7, 0.9)
# A "confident" answer is right at least this often on the real-world photos it was measured on: the
# promise the model's metadata carries, so the SDK owns the number.
CONFIDENT_TARGET = CONFIDENT_ACCURACY


@dataclass(frozen=True)
class Selective:
    """Answers whose top score is at least `threshold`: their share of the photos and their accuracy."""

    threshold: float
    coverage: float
    accuracy: float  # nan when no photo is answered
    answered: int


@dataclass(frozen=True)
class PhotoScores:
    """How a model did on a photo set, each photo scored over all of the model's classes."""

    images: int
    top1: float
    top5: float
    per_class: dict[str, float]  # label -> top-1 of that class's photos
    mean_class_top1: float
    selective: tuple[Selective, ...]

    def to_dict(self) -> dict:
        """Plain nested dict (JSON-ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "PhotoScores":
        """The inverse of `to_dict`."""
        values = dict(values)
        # JSON has no NaN: writers that store null (the benchmark report) get NaN back.
        values["selective"] = tuple(Selective(**{**s, "accuracy": float("nan") if s["accuracy"] is None else s["accuracy"],
                                                 "coverage": float("nan") if s["coverage"] is None else s["coverage"]})
                                    for s in values["selective"])
        values["per_class"] = dict(values["per_class"])
        return cls(**values)

    def at(self, threshold: float) -> Selective:
        """The selective-accuracy point at `threshold`."""
        for point in self.selective:
            if abs(point.threshold - threshold) < 1e-9:
                return point
        raise KeyError(f"No selective-accuracy point at {threshold}. Received thresholds: {[s.threshold for s in self.selective]}")


def _selective(top_score: np.ndarray, right: np.ndarray, threshold: float) -> Selective:
    answered = top_score >= threshold
    n = int(answered.sum())
    return Selective(float(threshold), float(answered.mean()) if len(right) else float("nan"),
                     float(right[answered].mean()) if n else float("nan"), n)


def score_predictions(probs: np.ndarray, labels: Sequence[int], labels_text: Sequence[str],
                      thresholds: Sequence[float] = THRESHOLDS) -> PhotoScores:
    """Top-1/top-5, per-class top-1 and their mean, and selective accuracy from (images, classes) scores.

    Raises:
        ValueError: if `probs` is not (len(labels), len(labels_text)).
    """
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if probs.ndim != 2 or probs.shape != (len(labels), len(labels_text)):
        raise ValueError(f"Expected scores of shape ({len(labels)}, {len(labels_text)}). Received: {probs.shape}")
    if not len(labels):
        raise ValueError("No photos to score")
    order = top_k_indices(probs)  # the SDK's order: ties go to the lower index
    right = order[:, 0] == labels
    in_top5 = (order[:, :5] == labels[:, None]).any(axis=1)
    per_class = {labels_text[c]: float(right[labels == c].mean()) for c in sorted(set(labels.tolist()))}
    top_score = probs[np.arange(len(labels)), order[:, 0]]
    return PhotoScores(
        images=int(len(labels)), top1=float(right.mean()), top5=float(in_top5.mean()),
        per_class=per_class, mean_class_top1=float(np.mean(list(per_class.values()))),
        selective=tuple(_selective(top_score, right, t) for t in thresholds),
    )


# Score levels a confident level is chosen from, and the fewest answers a level must give to be trusted.
LEVELS = tuple(float(v) for v in np.round(np.arange(0.05, 1.0, 0.05), 2))
MIN_ANSWERED = 20


def confident_level(probs: np.ndarray, labels: Sequence[int], target: float = CONFIDENT_TARGET,
                    grid: Sequence[float] = LEVELS, min_answered: int = MIN_ANSWERED) -> Selective | None:
    """The lowest score level on `grid` from which on answers are right at least `target` of the time.

    Lowest, so that as many photos as possible are answered; it and every higher level must reach
    the target, and levels that answer fewer than `min_answered` photos are not trusted. None when
    no level qualifies.
    """
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    top = probs.argmax(axis=1)
    right = top == labels
    top_score = probs.max(axis=1)
    points = [_selective(top_score, right, float(level)) for level in sorted(grid)]
    trusted = [p for p in points if p.answered >= min_answered]
    for i, point in enumerate(trusted):
        # Every higher level must hold the target too: a lucky dip in the curve is not a level.
        if all(p.accuracy >= target for p in trusted[i:]):
            return point
    return None

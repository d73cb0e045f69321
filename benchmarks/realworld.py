"""Real-world photo sets in the harness: every variant scored over all its labels on folders named by some of them.

`python -m benchmarks run --photos ../shared/realworld-val` adds, for each variant, top-1, top-5, per-class
top-1 and their mean, the selective-accuracy curve, the confident level these photos give, and how the
file's own confident score (from its metadata) holds on them. The figures come from
`training.realworld` (their one owner) and the photo set from `training.data.photoset`; neither imports
TensorFlow. The photos are classified through `flowerlite.Classifier` (score threshold 0) in the harness
process, after the timed jobs, so no timing is disturbed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

import numpy as np

from benchmarks.models import ModelFile
from training.benchmark_json import RealWorldResult, Target  # benchmark.json's schema owns the result type

__all__ = ["RealWorldResult", "check_photo_sets", "measure_photo_sets", "realworld_targets", "MEAN_CLASS_TOP1_GOAL"]

# The goal for the released int8 file on real-world photos (mean per-class top-1).
MEAN_CLASS_TOP1_GOAL = 0.80


def check_photo_sets(photo_sets: Sequence[str | Path], models: Sequence[ModelFile]) -> None:
    """Fail before any timing if a folder of a photo set is not a label of some model.

    Raises:
        DatasetError: naming the folder (and the photo set) that a model does not know.
    """
    from training.data.photoset import load_photo_set

    for root in photo_sets:
        for model in models:
            load_photo_set(root, model.labels)


def _probabilities(model: ModelFile, paths: Sequence[Path], threads: int | None) -> tuple[np.ndarray, float | None]:
    import flowerlite

    rows = [np.zeros((0, len(model.labels)), np.float32)]
    with flowerlite.Classifier(model.path, num_threads=threads, score_threshold=0.0) as classifier:
        for start in range(0, len(paths), 32):
            batch = np.concatenate([classifier.preprocess(p) for p in paths[start : start + 32]])
            rows.append(classifier.scores(batch))
        confident = getattr(classifier.info, "confident_score", None)
    return np.concatenate(rows), confident


def measure_photo_sets(photo_sets: Sequence[str | Path], models: Sequence[ModelFile],
                       threads: int | None = None) -> list[RealWorldResult]:
    """Score every model on every photo set (photo sets in the order given, models in report order)."""
    from training.data.photoset import load_photo_set
    from training.realworld import confident_level, score_predictions

    results = []
    for root in photo_sets:
        for model in models:
            start = time.perf_counter()
            photos = load_photo_set(root, model.labels)
            truth = [s.label for s in photos.samples]
            probs, confident = _probabilities(model, [s.path for s in photos.samples], threads)
            at_confident = None
            if confident is not None:
                at_confident = score_predictions(probs, truth, model.labels, thresholds=(confident,)).selective[0]
            results.append(RealWorldResult(
                variant=model.variant, photo_set=str(root), n_classes=len(photos.classes),
                scores=score_predictions(probs, truth, model.labels), fitted=confident_level(probs, truth),
                confident_score=confident, at_confident=at_confident, seconds=time.perf_counter() - start,
            ))
    return results


def realworld_targets(results: Sequence[RealWorldResult], precisions: dict[str, str]) -> list:
    """The issue's real-world goals for every int8 variant: mean per-class top-1, and accuracy at its confident score.

    `precisions` maps variant -> precision (float32, float16, int8 or "").
    """
    from training.realworld import CONFIDENT_TARGET

    targets = []
    for r in results:
        if precisions.get(r.variant) != "int8":
            continue
        s = r.scores
        targets.append(Target(
            f"Mean per-class top-1 of {r.variant} on {r.photo_set} ≥ {MEAN_CLASS_TOP1_GOAL:g}", s.mean_class_top1,
            MEAN_CLASS_TOP1_GOAL, ">=", s.mean_class_top1 >= MEAN_CLASS_TOP1_GOAL,
            f"{s.images} photos of {r.n_classes} classes; image top-1 {s.top1:.3f}",
        ))
        point = r.at_confident
        accuracy = None if point is None or point.answered == 0 else point.accuracy
        targets.append(Target(
            f"Answers of {r.variant} at its confident score right ≥ {CONFIDENT_TARGET:g} on {r.photo_set}", accuracy,
            CONFIDENT_TARGET, ">=", None if accuracy is None else accuracy >= CONFIDENT_TARGET,
            "the file carries no confident score" if r.confident_score is None else
            f"confident score {r.confident_score:g}: {point.answered} of {s.images} photos answered ({point.coverage:.1%})",
        ))
    return targets

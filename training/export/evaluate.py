"""Accuracy of exported .tflite files through the flowerlite SDK: top-1 on a dataset subset, and the
real-world figures (`training.realworld`) on a folder-per-class photo set named by the model's labels."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from flowerlite.contract import parse_release_name

from training.data.oxford102 import Sample
from training.export.errors import ExportError
from training.realworld import PhotoScores, Selective

__all__ = ["AccuracyResult", "PhotoSetResult", "interpreter_threads", "variant_of", "evaluate_model", "evaluate_photo_set"]


@dataclass(frozen=True)
class AccuracyResult:
    """Top-1 of one file on a set of labelled images."""

    path: Path
    variant: str
    subset: str
    images: int
    correct: int
    seconds: float

    @property
    def top1(self) -> float:
        """Fraction of images whose top-1 class is the label."""
        return self.correct / self.images if self.images else float("nan")


@dataclass(frozen=True)
class PhotoSetResult:
    """One file on a real-world photo set: its scores over all its labels, and the confident level they give."""

    path: Path
    variant: str
    photo_set: Path
    scores: PhotoScores
    confident: Selective | None  # `realworld.confident_level` of this file's own scores on these photos

    def summary(self) -> str:
        """One line for logs: top-1, mean per-class top-1 and the confident level."""
        s, c = self.scores, self.confident
        level = "no confident level" if c is None else (
            f"confident level {c.threshold:g} ({c.coverage:.1%} answered, {c.accuracy:.1%} right)")
        return (f"{s.images} photos of {len(s.per_class)} classes: top-1 {s.top1:.1%}, mean per-class top-1 "
                f"{s.mean_class_top1:.1%}, top-5 {s.top5:.1%}; {level}")

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        from dataclasses import asdict

        return {"path": str(self.path), "variant": self.variant, "photo_set": str(self.photo_set),
                "scores": self.scores.to_dict(), "confident": asdict(self.confident) if self.confident else None}


def interpreter_threads() -> int:
    """Interpreter threads for evaluating a file: the machine's cores, at most 4.

    Not the harness's `benchmarks.plan.default_threads`, which lists the thread counts a benchmark measures.
    """
    return max(1, min(4, os.cpu_count() or 1))


def variant_of(path: str | Path) -> str:
    """The variant in a released file name (`flowerlite.contract`), else the file's stem."""
    name = parse_release_name(path)
    return name.variant if name else Path(path).stem


def evaluate_model(path: str | Path, samples: Sequence[Sample], *, subset: str = "test",
                   class_names: Sequence[str] | None = None, progress: bool = True, chunk: int = 64) -> AccuracyResult:
    """Classify every sample with `flowerlite.Classifier` and count correct top-1 answers.

    Labels are compared by index; when `class_names` is given the file's own labels must equal them
    (so an index means the same class in the file and in the dataset).

    Raises:
        ExportError: if the file's labels differ from `class_names`.
    """
    from flowerlite.classifier import Classifier

    path = Path(path)
    start = time.perf_counter()
    with Classifier(path, num_threads=interpreter_threads()) as classifier:
        if class_names is not None and tuple(classifier.labels) != tuple(class_names):
            raise ExportError(f"{path} carries other labels than the dataset's {len(class_names)} classes: "
                              "evaluate it on the dataset it was trained for")
        probs = _probabilities(classifier, [s.path for s in samples], path.name, progress, chunk)
    correct = int(np.sum(np.argmax(probs, axis=1) == np.array([s.label for s in samples])))
    return AccuracyResult(path, variant_of(path), subset, len(samples), correct, time.perf_counter() - start)


def _probabilities(classifier, paths: Sequence[Path], name: str, progress: bool, chunk: int) -> np.ndarray:
    from tqdm import tqdm

    rows = [np.zeros((0, len(classifier.labels)), np.float32)]
    with tqdm(total=len(paths), desc=name, unit="img", disable=not progress, mininterval=5) as bar:
        for i in range(0, len(paths), chunk):
            part = paths[i : i + chunk]
            rows.append(classifier.scores(np.concatenate([classifier.preprocess(p) for p in part])))
            bar.update(len(part))
    return np.concatenate(rows)


def evaluate_photo_set(path: str | Path, photo_set: str | Path, *, progress: bool = True,
                       chunk: int = 64) -> PhotoSetResult:
    """Score a file on photo_set/<label>/*.jpg over all of its labels: top-1/5, per class, selective accuracy.

    The folder names must be some of the file's own labels (case-insensitive); each photo counts as
    right only if the file's best class among all its labels is the folder's.

    Raises:
        DatasetError: if the photo set is missing or empty, or a folder is not one of the file's labels.
    """
    from flowerlite.classifier import Classifier

    from training.data.photoset import load_photo_set
    from training.realworld import confident_level, score_predictions

    path = Path(path)
    with Classifier(path, num_threads=interpreter_threads()) as classifier:
        labels = tuple(classifier.labels)
        photos = load_photo_set(photo_set, labels)
        probs = _probabilities(classifier, [s.path for s in photos.samples], f"{path.name} photos", progress, chunk)
    truth = [s.label for s in photos.samples]
    return PhotoSetResult(path, variant_of(path), Path(photo_set), score_predictions(probs, truth, labels),
                          confident_level(probs, truth))

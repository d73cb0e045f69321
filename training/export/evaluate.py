"""Top-1 accuracy of exported .tflite files on labelled images, through the flowerlite SDK."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from training.data.oxford102 import Sample
from training.export.errors import ExportError

__all__ = ["AccuracyResult", "default_threads", "variant_of", "evaluate_model"]


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


def default_threads() -> int:
    """Interpreter threads: the machine's cores, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def variant_of(path: str | Path) -> str:
    """The variant in a released file name (flowerlite-<backbone>-<variant>.tflite), else the stem."""
    stem = Path(path).stem
    return stem.rsplit("-", 1)[-1] if "-" in stem else stem


def evaluate_model(path: str | Path, samples: Sequence[Sample], *, subset: str = "test",
                   class_names: Sequence[str] | None = None, progress: bool = True, chunk: int = 64) -> AccuracyResult:
    """Classify every sample with `flowerlite.Classifier` and count correct top-1 answers.

    Labels are compared by index; when `class_names` is given the file's own labels must equal them
    (so an index means the same class in the file and in the dataset).

    Raises:
        ExportError: if the file's labels differ from `class_names`.
    """
    from flowerlite.classifier import Classifier
    from tqdm import tqdm

    path = Path(path)
    start = time.perf_counter()
    correct = 0
    with Classifier(path, num_threads=default_threads()) as classifier:
        if class_names is not None and tuple(classifier.labels) != tuple(class_names):
            raise ExportError(f"{path} carries other labels than the dataset's {len(class_names)} classes: "
                              "evaluate it on the dataset it was trained for")
        with tqdm(total=len(samples), desc=path.name, unit="img", disable=not progress, mininterval=5) as bar:
            for i in range(0, len(samples), chunk):
                part = samples[i : i + chunk]
                scores = classifier.scores(np.concatenate([classifier.preprocess(s.path) for s in part]))
                correct += int(np.sum(np.argmax(scores, axis=1) == np.array([s.label for s in part])))
                bar.update(len(part))
    return AccuracyResult(path, variant_of(path), subset, len(samples), correct, time.perf_counter() - start)

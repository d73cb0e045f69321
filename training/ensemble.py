"""Accuracy of finished runs averaged together (the teachers of a distilled run), on val and test.

An ensemble of several backbones does not fit the release's size budget; this measures what it is
worth, i.e. what `[distill]` can hope to pass on to one model.  Each run sees the images through its
own contract (input size, normalisation); the ensemble averages the softmax outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = ["EnsembleReport", "evaluate_ensemble"]


@dataclass(frozen=True)
class EnsembleReport:
    """Top-1 of each run and of their average, per evaluated subset."""

    runs: tuple[str, ...]
    subsets: tuple[str, ...]
    members: dict[str, dict[str, float]]  # run -> subset -> top-1
    ensemble: dict[str, float]  # subset -> top-1

    def table(self) -> str:
        """A Markdown table: one row per run, then the average."""
        lines = ["| model | " + " | ".join(f"{s} top-1" for s in self.subsets) + " |",
                 "|---|" + "---|" * len(self.subsets)]
        for run in self.runs:
            lines.append(f"| {run} | " + " | ".join(f"{100 * self.members[run][s]:.2f}%" for s in self.subsets) + " |")
        lines.append(f"| **average of the {len(self.runs)}** | "
                     + " | ".join(f"**{100 * self.ensemble[s]:.2f}%**" for s in self.subsets) + " |")
        return "\n".join(lines) + "\n"


def evaluate_ensemble(run_dirs: Sequence[str | Path], split, subsets: Sequence[str] = ("val", "test")) -> EnsembleReport:
    """Predict every subset with every run (its own preprocessing) and score each run and the average.

    Raises:
        ConfigError: if a run is not finished or predicts another number of classes than the data has.
    """
    from training.distill import load_teachers
    from training.pipeline import make_dataset

    num_classes = len(split.class_names)
    teachers = load_teachers([str(r) for r in run_dirs], num_classes)
    members: dict[str, dict[str, float]] = {str(t.path): {} for t in teachers}
    ensemble: dict[str, float] = {}
    for subset in subsets:
        samples = split.subset(subset)
        if not samples:  # e.g. a folder dataset without a test share
            print(f"[ensemble] {subset}: no images, skipped", flush=True)
            continue
        labels = np.array([s.label for s in samples])
        total = np.zeros((len(samples), num_classes))
        for teacher in teachers:
            ds = make_dataset([s.path for s in samples], labels, size=teacher.size, mean=teacher.mean, std=teacher.std,
                              num_classes=num_classes, batch_size=64, cache=False)
            probs = teacher.model.predict(ds, verbose=0)
            members[str(teacher.path)][subset] = float(np.mean(probs.argmax(axis=1) == labels))
            total += probs
        ensemble[subset] = float(np.mean(total.argmax(axis=1) == labels))
        print(f"[ensemble] {subset}: " + ", ".join(f"{r} {m[subset]:.4f}" for r, m in members.items())
              + f" -> average {ensemble[subset]:.4f}", flush=True)
    return EnsembleReport(tuple(members), tuple(s for s in subsets if s in ensemble), members, ensemble)

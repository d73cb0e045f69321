"""The accuracies of a finished run, as the trainer returns them and writes them to metrics.json."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RunResult"]


@dataclass
class RunResult:
    """Accuracies of a finished run (test is reported, never used for a choice)."""

    phase1_val: float | None  # None: phase 1 skipped (phase 2 started from `[distill] init_from`)
    phase1_test: float | None
    phase2_val: float
    phase2_test: float | None
    phase1_seconds: float
    phase2_seconds: float
    best_epoch: int  # with no val (train+val runs): the last epoch
    realworld: dict | None = None  # training.realworld.PhotoScores.to_dict() of the final model, if a photo set was given
    wise_alpha: float = 1.0  # the kept model mixes phase 2's start and end so (1: the fine-tuned weights; training.wise)
    finetuned: dict | None = None  # val, test and realworld of the fine-tuned weights before mixing
    soup: list[str] | None = None  # a soup's runs, whose weights the kept model averages (training.soup); no phases of its own

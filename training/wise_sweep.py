"""`python -m training wise`: a finished run's start/end mix (`training.wise`) scored over a grid of alphas.

Scores val top-1 and, with `--photos`, the real-world photo set's top-1 and mean per-class top-1 at
each alpha; never test. Writes `wise_sweep.csv` into the run directory and prints a table. The
suggested alpha maximises the mean of val top-1 and real-world mean per-class top-1 (with no val:
the real-world score alone; a train+val run should take the alpha of its official-protocol twin).
"""

from __future__ import annotations

import argparse
import csv
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = ["SweepRow", "sweep", "suggest", "add_arguments", "run"]

SWEEP_FILE = "wise_sweep.csv"
DEFAULT_ALPHAS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclass(frozen=True)
class SweepRow:
    """Scores of the mix at one alpha (None where there are no images)."""

    alpha: float
    val_top1: float | None
    realworld_top1: float | None
    realworld_mean_class: float | None

    def objective(self) -> float:
        """What `suggest` maximises: the mean of the scores present."""
        present = [v for v in (self.val_top1, self.realworld_mean_class) if v is not None]
        return float(np.mean(present)) if present else float("nan")


def sweep(run_dir: str | Path, split, photos=None, alphas: Sequence[float] = DEFAULT_ALPHAS) -> list[SweepRow]:
    """Score the mix of `run_dir`'s phase-2 start and end at each alpha on val and `photos`."""
    from training.checksums import read_run_config
    from training.realworld import score_predictions
    from training.run_state import _state
    from training.trainer import build_run_start, evaluate, predict
    from training.wise import end_weights, mix, start_weights

    run_dir = Path(run_dir)
    config = read_run_config(run_dir)
    if config.soup.runs:
        from training.errors import ConfigError

        raise ConfigError(f"{run_dir} is a soup (it averages {', '.join(config.soup.runs)}) and has no phase 2 of its own: "
                          "sweep its runs instead")
    model = build_run_start(config, len(split.class_names), run_dir)
    end = end_weights(model, run_dir)  # first: an unfinished run is refused as such
    start = start_weights(model, run_dir, phase1_skipped=bool(_state(run_dir).get("phase1_skipped")))
    rows = []
    for alpha in alphas:
        model.set_weights(mix(start, end, float(alpha)))
        val = evaluate(model, config, split.val) if split.val else None
        rw_top1 = rw_mean = None
        if photos is not None:
            probs = predict(model, config, photos.samples, verbose=0)
            scores = score_predictions(probs, [s.label for s in photos.samples], photos.labels)
            rw_top1, rw_mean = scores.top1, scores.mean_class_top1
        rows.append(SweepRow(float(alpha), val, rw_top1, rw_mean))
        print(_line(rows[-1]), flush=True)
    return rows


def suggest(rows: Sequence[SweepRow]) -> SweepRow:
    """The row with the highest objective; on a tie, the larger alpha (closer to the fine-tuned weights)."""
    if not rows:
        raise ValueError("no sweep rows to choose from")
    return max(rows, key=lambda r: (r.objective(), r.alpha))


def write_csv(rows: Sequence[SweepRow], path: Path) -> None:
    """Write the rows as CSV (atomically)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(asdict(rows[0])))
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)
    os.replace(tmp, path)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def _line(row: SweepRow) -> str:
    return (f"| {row.alpha:.2f} | {_pct(row.val_top1)} | {_pct(row.realworld_top1)} | "
            f"{_pct(row.realworld_mean_class)} |")


def _alphas(text: str) -> list[float]:
    from training.errors import ConfigError

    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"--alphas is a comma-separated list of shares in [0, 1]. Received: {text!r}") from None
    if not values or any(not 0.0 <= v <= 1.0 for v in values):
        raise ConfigError(f"--alphas is a comma-separated list of shares in [0, 1]. Received: {text!r}")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `wise` subcommand's options."""
    parser.add_argument("--run", required=True, help="a finished run directory")
    parser.add_argument("--data-dir", help="dataset folder (default: the download cache)")
    parser.add_argument("--photos", help="real-world photo set (a folder per class), e.g. ../shared/realworld-val")
    parser.add_argument("--alphas", default=",".join(str(a) for a in DEFAULT_ALPHAS),
                        help="comma-separated alphas in [0, 1] (1: the fine-tuned weights; 0: phase 2's start)")


def run(args) -> int:
    """Sweep, print the table and the suggested alpha, write wise_sweep.csv into the run."""
    from training.checksums import read_run_config
    from training.data import load_dataset

    alphas = _alphas(args.alphas)
    config = read_run_config(args.run)
    split = load_dataset(config.data, args.data_dir, seed=config.seed)
    photos = None
    if args.photos:
        from training.data.photoset import load_photo_set

        photos = load_photo_set(args.photos, split.class_names)
    print("| alpha | val top-1 | real-world top-1 | real-world mean per class |\n|---|---|---|---|", flush=True)
    rows = sweep(args.run, split, photos, alphas)
    write_csv(rows, Path(args.run) / SWEEP_FILE)
    best = suggest(rows)
    basis = "val top-1 and real-world mean per class" if best.val_top1 is not None and best.realworld_mean_class is not None \
        else ("val top-1" if best.val_top1 is not None else "real-world mean per class")
    print(f"suggested [wise] alpha = {best.alpha} (best mean of {basis}); written {Path(args.run) / SWEEP_FILE}")
    return 0

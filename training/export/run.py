"""A finished training run as the exporter sees it, and the choice of the run to release (on val)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from training.checksums import CONFIG_FILE, read_run_config
from training.config import TrainConfig
from training.export.errors import RunError

__all__ = ["FinishedRun", "load_run", "select_best_run"]


@dataclass(frozen=True)
class FinishedRun:
    """The files of a finished run directory, read and checked."""

    run_dir: Path
    config: TrainConfig
    config_toml: str
    metrics: dict
    data_checksums: dict

    @property
    def model_path(self) -> Path:
        """The trained Keras model (normalised float input -> softmax)."""
        return self.run_dir / "model.keras"

    @property
    def trained_on_val(self) -> bool:
        """True for a run trained on train + val (`[data] train_on`): it has no val accuracy."""
        return self.config.data.train_on == "train+val"

    @property
    def val_accuracy(self) -> float | None:
        """Top-1 on val after phase 2: the only number a release choice may use (None: trained on val)."""
        return None if self.trained_on_val else float(self.metrics["phase2_val"])

    def load_model(self):
        """Load model.keras for inference (no optimiser state)."""
        import keras

        import training.backbones.registry  # noqa: F401  (registers the backbones' custom layers, if any)

        try:
            return keras.saving.load_model(self.model_path, compile=False)
        except Exception as exc:  # keras raises many types for a bad archive
            raise RunError(f"Cannot load {self.model_path} ({exc}): re-run training for {self.run_dir}") from None


def load_run(run_dir: str | Path) -> FinishedRun:
    """Read a finished run directory (config.toml, metrics.json, data_checksums.json, model.keras).

    Raises:
        RunError: if a file is missing (the run is unfinished) or unreadable.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"Run directory not found: {run_dir}")
    for name in (CONFIG_FILE, "metrics.json", "data_checksums.json", "model.keras"):
        if not (run_dir / name).exists():
            raise RunError(f"{run_dir} has no {name}: the run is unfinished; resume it with `python -m training train`")
    try:
        config_toml = (run_dir / CONFIG_FILE).read_text()
        config = read_run_config(run_dir)
        metrics = json.loads((run_dir / "metrics.json").read_text())
        sums = json.loads((run_dir / "data_checksums.json").read_text())
    except ValueError as exc:  # ConfigError (a bad config.toml) and JSON errors
        raise RunError(f"{run_dir} holds an unreadable run file ({exc}): re-run training") from None
    val = metrics.get("phase2_val")
    if config.data.train_on != "train+val" and (not isinstance(val, (int, float)) or math.isnan(val)):
        raise RunError(f"{run_dir / 'metrics.json'} has no phase2_val accuracy. Received: {val!r}")
    return FinishedRun(run_dir, config, config_toml, metrics, sums)


def select_best_run(run_dirs: Iterable[str | Path]) -> tuple[FinishedRun, list[FinishedRun]]:
    """The finished run with the highest val top-1 (never test), and every finished candidate.

    Unfinished runs are skipped; ties keep the first given. A run trained on train + val has no val
    accuracy to compare: when one is given it is the release (its recipe and epochs were chosen on
    val by the official-protocol runs given beside it, which are listed as candidates). A train+val
    soup (`[soup]`) given with its own train+val runs is the release over them.

    Raises:
        RunError: if no run directory given is finished, or more than one was trained on val.
    """
    candidates, skipped = [], []
    for run_dir in run_dirs:
        try:
            candidates.append(load_run(run_dir))
        except RunError as exc:
            skipped.append(str(exc))
    if not candidates:
        detail = "; ".join(skipped) or "no run directory given"
        raise RunError(f"No finished run to release ({detail})")
    on_val = [run for run in candidates if run.trained_on_val]
    # A train+val soup is made of train+val runs given beside it: the soup is the release, not its runs.
    in_soup = {Path(r).resolve() for run in on_val for r in run.config.soup.runs}
    on_val = [run for run in on_val if run.run_dir.resolve() not in in_soup]
    if len(on_val) > 1:
        raise RunError("More than one run trained on train+val (" + ", ".join(str(r.run_dir) for r in on_val)
                       + "): they have no val accuracy to choose between; release one of them")
    if on_val:
        return on_val[0], candidates
    best = max(candidates, key=lambda run: run.val_accuracy)  # max keeps the first of equals
    return best, candidates

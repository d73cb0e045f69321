"""`[phase1] from_run`: a run takes phase 1 (the head on frozen features) from another finished run.

Why: runs that share phase 1 start phase 2 from the same weights, which is what a model soup
(`training.soup`) needs to average them, and it saves phase 1's time. Phase 1 depends only on the
backbone, input size, weights, seed, loss, data, augmentation and `[phase1]`, so the source run must
match in all of those (its `[phase2]`, `[distill]`, `[wise]` may differ). Its head, cached features and
phase-1 history are copied into this run, with its phase-1 scores.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from training.config import TrainConfig
from training.errors import ConfigError

__all__ = ["PHASE1_FILES", "phase1_inputs", "check_phase1_source", "copy_phase1"]

PHASE1_FILES = ("phase1_head.weights.h5", "phase1_features.npz", "history_phase1.csv")  # the head comes first


def phase1_inputs(config: TrainConfig) -> dict:
    """What phase 1's result depends on, as a plain dict (`[phase1] from_run` itself left out)."""
    values = config.to_dict()
    phase1 = dict(values["phase1"])
    phase1.pop("from_run", None)
    return {key: values[key] for key in ("backbone", "image_size", "weights", "seed", "label_smoothing", "data", "augment")} | {
        "phase1": phase1}


def check_phase1_source(config: TrainConfig) -> Path:
    """The run `config.phase1.from_run` names, checked: phase 1 finished there, with the same inputs.

    Raises:
        ConfigError: naming the run and the first input that differs, or what is missing.
    """
    from training.checksums import read_run_config
    from training.run_state import _state

    source = Path(config.phase1.from_run)
    if not (source / PHASE1_FILES[0]).is_file() or not _state(source).get("phase1_done"):
        raise ConfigError(f"[phase1] from_run {str(source)!r} has no finished phase 1 ({PHASE1_FILES[0]} and state.json): "
                          "train it first or fix the path")
    if _state(source).get("phase1_skipped"):
        raise ConfigError(f"[phase1] from_run {str(source)!r} skipped phase 1 (it started from [distill] init_from)")
    theirs, mine = phase1_inputs(read_run_config(source)), phase1_inputs(config)
    for key in mine:
        if mine[key] != theirs[key]:
            raise ConfigError(f"[phase1] from_run {str(source)!r} trained phase 1 with another {key}: "
                              f"{theirs[key]!r} against {mine[key]!r}")
    return source


def copy_phase1(config: TrainConfig, run_dir: Path) -> None:
    """Copy phase 1's files and scores from `[phase1] from_run` into `run_dir`, and mark phase 1 done.

    Raises:
        ConfigError: see `check_phase1_source`, or if the two runs' data checksums differ.
    """
    from training.run_state import _save_state, _state

    source = check_phase1_source(config)
    sums = source / "data_checksums.json"
    try:
        same = json.loads(sums.read_text()) == json.loads((run_dir / "data_checksums.json").read_text())
    except (OSError, ValueError):  # missing or unreadable: its data cannot be shown to be this run's
        same = False
    if not same:
        raise ConfigError(f"[phase1] from_run {str(source)!r} was trained on other data (its data_checksums.json "
                          "differs, or is missing or unreadable)")
    for name in PHASE1_FILES:
        if (source / name).is_file():
            tmp = run_dir / f"{name}.tmp"
            shutil.copyfile(source / name, tmp)
            tmp.replace(run_dir / name)
    scores = {k: v for k, v in _state(source).items() if k.startswith("phase1_")}
    _save_state(run_dir, **scores, phase1_from=str(source))
    print(f"[phase 1] taken from {source}", flush=True)

"""Model soup: the kept weights of finished runs averaged into one model (Wortsman et al., "Model soups:
averaging weights of multiple fine-tuned models improves accuracy without increasing inference time", ICML 2022).

Why: one recipe's real-world score moves by 7 points from one run to the next (training/RESULTS.md), so a
release that is one run is one draw. Runs fine-tuned from the same start stay in one basin of the loss,
and the uniform average of their weights is a single model of the same size and speed that is usually at
least as good as its best ingredient and varies less. Whether it is here is measured on the official
protocol first (training/RESULTS.md), as for every other choice.

A config with `[soup] runs = [...]` trains nothing. `python -m training train` on it checks that the runs
are finished, were trained on the same data with the same backbone, input size and classes, and started
phase 2 from the same weights (the same phase-1 head, or the same `init_from`) with the same frozen
BatchNorm statistics; then it averages their model.keras weights, scores val, test and the photo set
like any run, and writes a run directory that the exporter reads like any other.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import numpy as np

from training.config import TrainConfig
from training.errors import ConfigError

__all__ = ["average_weights", "check_ingredients", "make_soup"]


def average_weights(weight_lists: Sequence[Sequence[np.ndarray]]) -> list[np.ndarray]:
    """The uniform average of several models' weight lists (as `model.get_weights()` returns them).

    Floating-point weights are averaged in float64 and cast back; integer state (counters) is the first model's.

    Raises:
        ValueError: if fewer than two lists are given or their lengths or shapes differ.
    """
    if len(weight_lists) < 2:
        raise ValueError(f"a soup averages at least two models. Received: {len(weight_lists)}")
    first = weight_lists[0]
    if any(len(ws) != len(first) or any(np.shape(a) != np.shape(b) for a, b in zip(first, ws)) for ws in weight_lists[1:]):
        raise ValueError("the models are different architectures (their weight shapes differ)")
    out = []
    for i, w in enumerate(first):
        w = np.asarray(w)
        if np.issubdtype(w.dtype, np.floating):
            out.append(np.mean([np.asarray(ws[i], np.float64) for ws in weight_lists], axis=0).astype(w.dtype))
        else:
            out.append(np.array(w))
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _start(run_dir: Path, config: TrainConfig) -> str:
    """What phase 2 of `run_dir` started from: its phase-1 head's digest, or the run it was initialised from."""
    from training.run_state import _state

    if _state(run_dir).get("phase1_skipped"):
        return f"init_from {Path(config.distill.init_from).resolve()}"
    head = run_dir / "phase1_head.weights.h5"
    if not head.is_file():
        raise ConfigError(f"[soup] run {str(run_dir)!r} has no phase1_head.weights.h5: its phase-2 start is unknown; "
                          "a soup averages runs fine-tuned from one start")
    return f"phase-1 head {_sha256(head)}"


def check_ingredients(config: TrainConfig, data_sums: dict | None = None) -> list[TrainConfig]:
    """Check that `config.soup.runs` can be averaged; return their configs.

    `data_sums` (the soup's own data checksums) must equal every run's data_checksums.json when given.

    Raises:
        ConfigError: naming the first run that is unfinished, a soup itself, or differs in backbone, input
            size, data or phase-2 start.
    """
    from training.checksums import read_run_config
    from training.distill import check_finished_runs

    runs = [Path(r) for r in config.soup.runs]
    check_finished_runs(runs, what="run", section="soup")
    configs, starts = [], set()
    for run in runs:
        cfg = read_run_config(run)
        if cfg.soup.runs:
            raise ConfigError(f"[soup] run {str(run)!r} is a soup itself: name its runs instead")
        for what, mine, theirs in (("backbone", config.backbone, cfg.backbone), ("image_size", config.image_size, cfg.image_size),
                                   ("[data]", config.data, cfg.data)):
            if mine != theirs:
                raise ConfigError(f"[soup] run {str(run)!r} has another {what} than the soup's config: {theirs!r} against {mine!r}")
        if data_sums is not None:
            sums_path = run / "data_checksums.json"
            if not sums_path.is_file() or json.loads(sums_path.read_text()) != data_sums:
                raise ConfigError(f"[soup] run {str(run)!r} was trained on other data than the soup is scored on "
                                  "(its data_checksums.json differs)")
        starts.add(_start(run, cfg))
        configs.append(cfg)
    if len(starts) > 1:
        raise ConfigError("[soup] the runs did not start phase 2 from the same weights (" + "; ".join(sorted(starts))
                          + "): a soup averages runs fine-tuned from one start; give them the same phase 1 "
                          "(copy its files into each run directory before training) or the same [distill] init_from")
    return configs


def _load(run: Path):
    import keras

    import training.backbones.registry  # noqa: F401  (registers the backbones' custom layers, if any)

    try:
        return keras.saving.load_model(run / "model.keras", compile=False)
    except Exception as exc:  # keras raises many types for a bad archive
        raise ConfigError(f"[soup] cannot load {run / 'model.keras'} ({exc}): re-run training for {run}") from None


def make_soup(config: TrainConfig, split, run_dir: str | Path, photos=None):
    """Average the runs of `config.soup`, score the soup and write `run_dir`; returns its RunResult.

    A finished soup whose runs' model files are unchanged is not made again.

    Raises:
        ConfigError: if the runs cannot be averaged (see `check_ingredients`).
    """
    from training.checksums import data_checksums
    from training.run_result import RunResult
    from training.run_state import _save_state, _state
    from training.evaluation import _scores

    run_dir = Path(run_dir)
    check_ingredients(config, data_checksums(split))
    ingredients = {str(r): _sha256(Path(r) / "model.keras") for r in config.soup.runs}
    metrics_path = run_dir / "metrics.json"
    state = _state(run_dir)
    if state.get("soup") == ingredients and metrics_path.is_file() and (run_dir / "model.keras").is_file():
        return RunResult(**json.loads(metrics_path.read_text()))
    t0 = time.time()
    models = [_load(Path(r)) for r in config.soup.runs]
    if any(m.output_shape[-1] != len(split.class_names) for m in models):
        raise ConfigError(f"[soup] the runs predict {[m.output_shape[-1] for m in models]} classes; "
                          f"the data has {len(split.class_names)}")
    frozen = [[np.asarray(w) for w in m.non_trainable_weights] for m in models]
    if any(len(f) != len(frozen[0]) or any(not np.array_equal(a, b) for a, b in zip(frozen[0], f)) for f in frozen[1:]):
        raise ConfigError("[soup] the runs' frozen weights (BatchNorm statistics) differ: they were not fine-tuned "
                          "from one start with BatchNorm frozen, so their average is not a model of either")
    model = models[0]
    print(f"[soup] averaging {len(models)} runs: " + ", ".join(config.soup.runs), flush=True)
    model.set_weights(average_weights([m.get_weights() for m in models]))
    scores = _scores(model, config, split, photos)
    tmp = run_dir / "model.tmp.keras"
    model.save(tmp)
    os.replace(tmp, run_dir / "model.keras")
    result = RunResult(phase1_val=None, phase1_test=None, phase2_val=scores["val"], phase2_test=scores["test"],
                       phase1_seconds=0.0, phase2_seconds=time.time() - t0, best_epoch=0,
                       realworld=scores["realworld"], soup=list(config.soup.runs))
    metrics_path.write_text(json.dumps(asdict(result), indent=2))
    _save_state(run_dir, soup=ingredients, phase2_val=scores["val"], phase2_test=scores["test"], realworld=scores["realworld"])
    val = "— (no val images: trained on train+val)" if scores["val"] is None else f"{scores['val']:.4f}"
    print(f"[soup] val {val}" + (f"  test {scores['test']:.4f}" if scores["test"] is not None else ""), flush=True)
    return result

"""Weight-space mixing of phase 2's start and end (WiSE-FT: Wortsman et al., "Robust fine-tuning of
zero-shot models", CVPR 2022).

Why: fine-tuning on Oxford's photos fits their style. On real-world photos the fine-tuned model's
score peaks mid-schedule and falls as the schedule cools (training/RESULTS.md). The weights phase 2
starts from are the ImageNet backbone with phase 1's linear head on its frozen features: they know
less about Oxford and have not forgotten the rest of the world. The straight-line mix

    theta(alpha) = (1 - alpha) * theta_start + alpha * theta_end

is a single model of the same shape (no extra latency or size). For CLIP models the paper finds it
beats both ends on shifted photos at little cost in distribution. Whether it does for an ImageNet CNN
on Oxford is what `python -m training wise` measures, on val and a real-world photo set, never on
test. The chosen alpha goes into the config's `[wise] alpha` and the trainer keeps that mix.

Non-trainable weights (frozen BatchNorm statistics) are the same at both ends, so mixing keeps them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = ["START_FILE", "END_FILE", "mix", "save_start", "start_weights", "end_weights"]

START_FILE = "phase2_start.weights.h5"  # the weights phase 2 started from, written before its first step
END_FILE = "phase2_best.weights.h5"  # the fine-tuned weights the run kept (best on val, or the last epoch)


def mix(start: Sequence[np.ndarray], end: Sequence[np.ndarray], alpha: float) -> list[np.ndarray]:
    """`(1 - alpha) * start + alpha * end`, weight by weight (alpha 1: `end`, alpha 0: `start`).

    Raises:
        ValueError: if alpha is outside [0, 1] or the two weight lists differ in length or shapes.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha is a share in [0, 1]. Received: {alpha!r}")
    if len(start) != len(end) or any(np.shape(a) != np.shape(b) for a, b in zip(start, end)):
        raise ValueError("the start and end weights are different architectures (their weight shapes differ)")
    out = []
    for a, b in zip(start, end):
        if alpha == 1.0:
            out.append(np.array(b))
        elif alpha == 0.0:
            out.append(np.array(a))
        elif np.issubdtype(np.asarray(b).dtype, np.floating):
            out.append(((1.0 - alpha) * np.asarray(a, np.float64) + alpha * np.asarray(b, np.float64)).astype(np.asarray(b).dtype))
        else:  # integer state (counters) is not mixed
            out.append(np.array(b))
    return out


def save_start(model, run_dir: str | Path) -> None:
    """Write `model`'s weights as phase 2's start (once: a resumed phase 2 keeps the first)."""
    path = Path(run_dir) / START_FILE
    if not path.exists():
        tmp = path.with_name("phase2_start.tmp.weights.h5")
        model.save_weights(tmp)
        tmp.replace(path)


def start_weights(model, run_dir: str | Path, *, phase1_skipped: bool) -> list[np.ndarray]:
    """The weights phase 2 started from, as `model.get_weights()` lists them.

    `model` must be freshly built with the run's config and weights and carry phase 1's head: a run
    from before `START_FILE` existed is rebuilt that way (the ImageNet weights and the head are files).

    Raises:
        RunError: if the run has no start file and phase 1 was skipped (phase 2 started from another run).
    """
    from training.export.errors import RunError

    path = Path(run_dir) / START_FILE
    if path.exists():
        fresh = [np.array(w) for w in model.get_weights()]
        model.load_weights(path)
        weights = [np.array(w) for w in model.get_weights()]
        model.set_weights(fresh)
        return weights
    if phase1_skipped:
        raise RunError(f"{run_dir} has no {START_FILE} and phase 2 started from another run's weights: "
                       "its start cannot be rebuilt; retrain it to mix its weights")
    return [np.array(w) for w in model.get_weights()]


def end_weights(model, run_dir: str | Path) -> list[np.ndarray]:
    """The fine-tuned weights the run kept (`END_FILE`), leaving `model` as it was.

    Raises:
        RunError: if the run has no finished phase 2.
    """
    from training.export.errors import RunError

    path = Path(run_dir) / END_FILE
    if not path.exists():
        raise RunError(f"{run_dir} has no {END_FILE}: phase 2 has not finished; train the run first")
    fresh = [np.array(w) for w in model.get_weights()]
    model.load_weights(path)
    weights = [np.array(w) for w in model.get_weights()]
    model.set_weights(fresh)
    return weights

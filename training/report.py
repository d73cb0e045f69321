"""Markdown table of finished runs: `python -m training.report runs/efficientnet_lite*`."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

__all__ = ["results_table"]


def _pct(value) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def _realworld(value) -> str:
    # metrics.json's "realworld": PhotoScores.to_dict() of the final model on the real-world photos
    # (older runs have none): mean per-class top-1, then image top-1.
    if not value:
        return "—"
    from training.realworld import PhotoScores

    scores = PhotoScores.from_dict(value)
    return f"{_pct(scores.mean_class_top1)} / {_pct(scores.top1)}"


def _recipe(cfg: dict) -> str:
    # The phase-2 choices that differ between runs, in a few words.
    p2, aug = cfg.get("phase2", {}), cfg.get("augment", {})
    parts = [
        "all layers" if p2.get("fine_tune_from") == "all" else "top",
        f"{p2.get('epochs', '?')} ep",
        f"lr {p2.get('learning_rate', '?'):g}" if isinstance(p2.get("learning_rate"), (int, float)) else "lr ?",
    ]
    mixing = [name for name, key in (("mixup", "mixup_alpha"), ("cutmix", "cutmix_alpha")) if aug.get(key, 0) > 0]
    if mixing:
        parts.append("+".join(mixing))
    if p2.get("ema_momentum", 0) > 0:
        parts.append(f"EMA {p2['ema_momentum']:g}")
    if p2.get("train_batchnorm"):
        parts.append("BatchNorm trained")
    distill = cfg.get("distill", {})
    if distill.get("teachers"):
        names = ", ".join(Path(t).name for t in distill["teachers"])
        parts.append(f"distilled from {names}" + (f" (weight {distill['weight']:g})" if distill.get("weight", 1) != 1 else ""))
    if distill.get("init_from"):
        parts.append(f"started from {Path(distill['init_from']).name}")
    return ", ".join(parts)


def results_table(run_dirs: list[Path]) -> str:
    """One row per run directory that has a metrics.json: accuracies after each phase, real-world photos, wall time."""
    rows = [
        "| run | backbone | input | phase 2 recipe | phase 1 val | phase 1 test | phase 2 val | phase 2 test | "
        "real-world (mean per-class / top-1) | best epoch | phase 1 time | phase 2 time |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in run_dirs:
        metrics_path = run / "metrics.json"
        if not metrics_path.exists():
            continue
        m = json.loads(metrics_path.read_text())
        cfg = tomllib.loads((run / "config.toml").read_text())
        size = cfg.get("image_size") or "native"
        # A run started from another one (`init_from`) skips phase 1: no time to report.
        skipped = m["phase1_val"] is None and not m["phase1_seconds"]
        phase1_time = "skipped" if skipped else f"{m['phase1_seconds'] / 60:.1f} min"
        rows.append(
            f"| {run.name} | {cfg['backbone']} | {size} | {_recipe(cfg)} | {_pct(m['phase1_val'])} | {_pct(m['phase1_test'])} | "
            f"{_pct(m['phase2_val'])} | {_pct(m['phase2_test'])} | {_realworld(m.get('realworld'))} | {m['best_epoch']} | "
            f"{phase1_time} | {m['phase2_seconds'] / 60:.1f} min |"
        )
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(results_table([Path(p) for p in sys.argv[1:]]), end="")

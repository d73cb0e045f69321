"""Markdown table of finished runs: `python -m training.report runs/efficientnet_lite*`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from training.checksums import read_run_config
from training.config import TrainConfig

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


def _recipe(config: TrainConfig) -> str:
    # The phase-2 choices that differ between runs, in a few words.
    p2, aug, distill = config.phase2, config.augment, config.distill
    if config.soup.runs:
        names = ", ".join(Path(r).name for r in config.soup.runs)
        return f"soup (weight average) of {names}" + (", **trained on train+val**" if config.data.train_on == "train+val" else "")
    parts = ["all layers" if p2.fine_tune_from == "all" else "top", f"{p2.epochs} ep", f"lr {p2.learning_rate:g}"]
    mixing = [name for name, alpha in (("mixup", aug.mixup_alpha), ("cutmix", aug.cutmix_alpha)) if alpha > 0]
    if mixing:
        parts.append("+".join(mixing))
    if p2.ema_momentum > 0:
        parts.append(f"EMA {p2.ema_momentum:g}")
    if aug.realworld:
        parts.append("real-world augmentation")
    if config.data.train_on == "train+val":
        parts.append("**trained on train+val**")
    if p2.train_batchnorm:
        parts.append("BatchNorm trained")
    if distill.teachers:
        names = ", ".join(Path(t).name for t in distill.teachers)
        parts.append(f"distilled from {names}" + (f" (weight {distill.weight:g})" if distill.weight != 1 else ""))
    if distill.init_from:
        parts.append(f"started from {Path(distill.init_from).name}")
    if config.wise.alpha != 1.0:
        parts.append(f"WiSE-FT alpha {config.wise.alpha:g} (mixed with phase 2's start)")
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
        config = read_run_config(run)
        size = config.image_size or "native"
        # A run started from another one (`init_from`) skips phase 1: no time to report.
        skipped = m["phase1_val"] is None and not m["phase1_seconds"]
        phase1_time = "skipped" if skipped else f"{m['phase1_seconds'] / 60:.1f} min"
        best_epoch = "—" if m.get("soup") else m["best_epoch"]  # a soup has no epochs: it averages finished runs
        if m.get("soup"):
            phase1_time = "—"
        rows.append(
            f"| {run.name} | {config.backbone} | {size} | {_recipe(config)} | {_pct(m['phase1_val'])} | {_pct(m['phase1_test'])} | "
            f"{_pct(m['phase2_val'])} | {_pct(m['phase2_test'])} | {_realworld(m.get('realworld'))} | {best_epoch} | "
            f"{phase1_time} | {m['phase2_seconds'] / 60:.1f} min |"
        )
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(results_table([Path(p) for p in sys.argv[1:]]), end="")

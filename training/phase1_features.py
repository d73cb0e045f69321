"""Phase 1's cached features: pooled outputs of the frozen backbone, kept in the run directory."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from training.data.oxford102 import Split
from training.evaluation import _dataset, _verbose


def _extract_features(backbone_pool, config, split: Split, run_dir: Path) -> dict[str, np.ndarray]:
    """Pooled backbone features: augmented views + centre crop of train; centre crop of val/test."""
    cache = run_dir / "phase1_features.npz"
    if cache.exists():
        return dict(np.load(cache))
    p1 = config.phase1
    out = {}
    parts = [("train_aug", split.train, True, p1.views), ("train", split.train, False, 1)]
    if split.val:
        parts.append(("val", split.val, False, 1))
    if split.test:
        parts.append(("test", split.test, False, 1))
    for name, samples, training, views in parts:
        if views == 0:
            continue
        print(f"[phase 1] extracting features: {name} ({len(samples) * views} images)", flush=True)
        ds = _dataset(config, samples, training=training, batch_size=64, views=views)
        feats = backbone_pool.predict(ds.map(lambda x, y: x), verbose=_verbose())
        labels = np.tile(np.array([s.label for s in samples]), views)
        out[f"{name}_x"], out[f"{name}_y"] = feats.astype(np.float32), labels
    tmp = run_dir / "phase1_features.tmp.npz"
    np.savez(tmp, **out)
    os.replace(tmp, cache)
    return out

"""Datasets for the build chain; importing this package never imports TensorFlow."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from training.config import DataConfig
from training.data.oxford102 import CLASS_NAMES, Sample, Split, load_split
from training.errors import ConfigError

__all__ = ["CLASS_NAMES", "Sample", "Split", "load_split", "load_dataset"]


def load_dataset(config: DataConfig, data_dir: str | Path | None = None, seed: int = 42) -> Split:
    """Resolve a dataset config (and an optional --data-dir override) into a Split.

    With `train_on = "train+val"` the val images join train and val is left empty.
    """
    split = _load(config, data_dir, seed)
    if config.train_on == "train+val":
        split = dataclasses.replace(split, train=split.train + split.val, val=())
    return split


def _load(config: DataConfig, data_dir, seed: int) -> Split:
    root = data_dir or config.dir
    if config.dataset == "oxford102":
        if not root:
            from training.data.download import ensure_oxford102

            root = ensure_oxford102()
        return load_split(root)
    if config.dataset == "folder":
        if not root:
            raise ConfigError("A folder dataset needs a directory: set [data] dir or pass --data-dir")
        from training.data.folder import load_folder_split

        return load_folder_split(root, val_fraction=config.val_fraction, test_fraction=config.test_fraction, seed=seed)
    raise ConfigError(f"Unknown dataset {config.dataset!r}: use 'oxford102' or 'folder'")

"""Keras callbacks for phase 2 that carry on from the epochs an interrupted `fit()` already logged.

`BackupAndRestore` brings back the weights, the optimiser and the epoch counter, but a new
`ModelCheckpoint` starts with no best value (its first epoch would overwrite the best checkpoint
saved before the interruption) and a new `EarlyStopping` forgets how long it has waited.  Both are
seeded here from the validation accuracies in the run's history CSV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import keras
import numpy as np

__all__ = ["ResumableEarlyStopping", "best_checkpoint"]


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """Early stopping on val_accuracy that counts the epochs logged before an interruption."""

    def __init__(self, previous: Sequence[float], patience: int):
        super().__init__(monitor="val_accuracy", mode="max", patience=patience)
        self.previous = list(previous)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self.previous:
            best = int(np.argmax(self.previous))
            self.best = self.previous[best]
            self.wait = len(self.previous) - 1 - best  # epochs already spent without beating it


def best_checkpoint(path: str | Path, previous: Sequence[float]) -> keras.callbacks.ModelCheckpoint:
    """Save the weights whenever val_accuracy beats every epoch so far, including logged ones."""
    seeded = bool(previous) and Path(path).exists()  # without the file, nothing is there to protect
    return keras.callbacks.ModelCheckpoint(
        str(path), monitor="val_accuracy", mode="max", save_best_only=True, save_weights_only=True,
        initial_value_threshold=max(previous) if seeded else None,
    )

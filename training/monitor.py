"""Per-epoch real-world scores of the model being trained (validation only: never a training signal).

A Keras callback that scores the model on a folder-per-class photo set (`training.data.photoset`)
at the end of every epoch and adds `realworld_top1` and `realworld_mean_class` to the epoch's logs,
so the run's history CSV shows how real-world photos fare as Oxford accuracy climbs. Place it after
`SwapEMAWeights`, so that it scores the weight average the epoch ends with.
"""

from __future__ import annotations

from typing import Callable

import keras
import numpy as np

from training.data.photoset import PhotoSet
from training.realworld import PhotoScores, score_predictions

__all__ = ["RealWorldMonitor"]


class RealWorldMonitor(keras.callbacks.Callback):
    """Scores `photos` with `predict(model) -> (images, classes)` after each epoch."""

    def __init__(self, photos: PhotoSet, predict: Callable[[keras.Model], np.ndarray]):
        super().__init__()
        self.photos = photos
        self.predict = predict
        self.last: PhotoScores | None = None

    def score(self, model: keras.Model) -> PhotoScores:
        """The photo set's scores for `model` as it is now."""
        probs = self.predict(model)
        self.last = score_predictions(probs, [s.label for s in self.photos.samples], self.photos.labels)
        return self.last

    def on_epoch_end(self, epoch, logs=None):
        scores = self.score(self.model)
        if logs is not None:
            logs["realworld_top1"] = scores.top1
            logs["realworld_mean_class"] = scores.mean_class_top1
        print(f"\n[real-world] epoch {epoch + 1}: top-1 {scores.top1:.4f}, mean per class {scores.mean_class_top1:.4f} "
              f"({scores.images} photos)", flush=True)

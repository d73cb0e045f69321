"""What a config's classifier is fed and how it is scored: datasets, predictions, top-1 accuracy.

Datasets use the backbone's preprocessing (`training.pipeline.make_dataset`); evaluation never
augments. The real-world monitor scores a photo set with the same preprocessing.
"""

from __future__ import annotations

import os

import numpy as np

from training.classifier_model import _num_classes, _spec_and_size
from training.config import TrainConfig

__all__ = ["predict", "evaluate"]


def _dataset(config, samples, *, training, batch_size, views=1, shuffle=False, mix=False):
    from training.pipeline import make_dataset

    spec, size = _spec_and_size(config)
    return make_dataset(
        [s.path for s in samples],
        [s.label for s in samples],
        size=size,
        mean=spec.mean,
        std=spec.std,
        num_classes=_num_classes(config),
        batch_size=batch_size,
        augment=config.augment if training else None,
        seed=config.seed,
        shuffle=shuffle,
        repeat_views=views,
        mix=mix,
    )


def predict(model, config: TrainConfig, samples, batch_size: int = 64, verbose: int | None = None) -> np.ndarray:
    """`model`'s scores (images, classes) for `samples` with the evaluation preprocessing."""
    dataset = _dataset(config, samples, training=False, batch_size=batch_size)
    return model.predict(dataset, verbose=_verbose() if verbose is None else verbose)


def evaluate(model, config: TrainConfig, samples, batch_size: int = 64) -> float:
    """Top-1 accuracy of `model` on `samples` with the evaluation preprocessing."""
    if not samples:
        return float("nan")
    probs = predict(model, config, samples, batch_size)
    return float(np.mean(np.argmax(probs, axis=1) == np.array([s.label for s in samples])))


def _verbose() -> int:
    # Keras' live progress bar in a terminal; one line per epoch when logging to a file.
    return 1 if os.isatty(1) else 2


def _monitor(config: TrainConfig, photos):
    """The real-world monitor for `photos` (None without a photo set)."""
    if photos is None:
        return None
    from training.monitor import RealWorldMonitor

    return RealWorldMonitor(photos, lambda model: predict(model, config, photos.samples, verbose=0))


def _scores(model, config: TrainConfig, split, photos) -> dict:
    """Val and test top-1 and the photo set's scores (None where there are no images)."""
    return {
        "val": evaluate(model, config, split.val) if split.val else None,
        "test": evaluate(model, config, split.test) if split.test else None,
        "realworld": _monitor(config, photos).score(model).to_dict() if photos else None,
    }


def _accuracy(model, x, y) -> float:
    return float(np.mean(np.argmax(model.predict(x, verbose=0), axis=1) == y))

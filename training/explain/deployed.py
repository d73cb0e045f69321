"""The deployed TFLite model as the explanations see it, through the flowerlite SDK.

Shared by `explanation` (the panels) and `lime_explainer` (LIME's classifier function), so that
neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["ModelFacts", "model_facts", "model_batch"]


@dataclass(frozen=True)
class ModelFacts:
    """What the explanation tools need to know about a deployed model, read from the SDK."""

    input_size: tuple[int, int]
    labels: tuple[str, ...]
    runtime: str
    name: str


def model_facts(classifier, path: str | Path = "") -> ModelFacts:
    """Input size, labels and a short runtime description of an SDK classifier."""
    info = classifier.info
    kind = "int8" if info.input_dtype in ("uint8", "int8") else info.input_dtype
    name = Path(path).name or info.name
    return ModelFacts(input_size=tuple(info.input_size), labels=tuple(info.labels), runtime=f"TFLite {kind}", name=name)


def model_batch(classifier, crops: np.ndarray) -> np.ndarray:
    """Crops (N, H, W, 3) uint8, already of the model's size -> the model's input batch, via the SDK.

    `Classifier.preprocess` would resize and crop again (shrinking the view by CROP_FRACTION), so
    only the SDK's last step runs here: normalise and quantise with the model's own contract.
    """
    from flowerlite.preprocessing import to_input_tensor

    info = classifier.info
    return np.stack([
        to_input_tensor(crop, mean=info.mean, std=info.std, dtype=info.input_dtype, scale=info.input_scale,
                        zero_point=info.input_zero_point, channels=info.input_shape[3])
        for crop in crops
    ])

"""Backbone registry: each backbone declared once, with its own preprocessing contract.

Like timm's `PretrainedCfg`, each entry says how its images must be prepared (input size and
per-channel mean/std on 0-255 RGB pixels); resizing and cropping follow the one rule shared with
the SDK (`flowerlite.contract.CROP_FRACTION`).  `build` returns a Keras model whose output is
the backbone's last feature map, so heads and Grad-CAM attach to it.

As in timm, the registry never imports its entries: each model module declares its backbones with
the `@register_backbone` decorator, and the package `training.backbones` imports those modules, so
importing anything from the package registers every built-in backbone, with no import circle.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Union

from flowerlite import contract

from training.errors import ConfigError, WeightsError

__all__ = ["BackboneSpec", "BACKBONES", "get_backbone", "register_backbone", "weights_cache_dir"]


@dataclass(frozen=True)
class BackboneSpec:
    """One registered backbone and its preprocessing contract."""

    name: str
    input_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    # builder(input_shape, weights) -> keras.Model mapping normalised RGB to the last feature map
    builder: Callable
    # the convolutional layer Grad-CAM reads (its output is the last spatial feature map)
    grad_cam_layer: str
    # first layer unfrozen by default in phase 2 (everything from it onwards is fine-tuned)
    fine_tune_from: str
    description: str = ""

    def build(self, weights: str | os.PathLike | None = "imagenet", input_size: int | None = None):
        """Build the feature extractor; `weights` is "imagenet", a local weights file, or None."""
        size = input_size or self.input_size
        return self.builder((size, size, 3), weights)


BACKBONES: dict[str, BackboneSpec] = {}


SpecFactory = Callable[[], Union[BackboneSpec, Iterable[BackboneSpec]]]


def register_backbone(factory: SpecFactory) -> SpecFactory:
    """Decorator: registers the backbone spec(s) the decorated function returns (names are unique).

    Raises:
        ValueError: if a name is already registered.
    """
    specs = factory()
    for spec in [specs] if isinstance(specs, BackboneSpec) else specs:
        if spec.name in BACKBONES:
            raise ValueError(f"Backbone already registered. Received: name={spec.name!r}")
        BACKBONES[spec.name] = spec
    return factory


def get_backbone(name: str) -> BackboneSpec:
    """Return the registered backbone called `name`."""
    try:
        return BACKBONES[name]
    except KeyError:
        raise ConfigError(f"Unknown backbone {name!r}: choose one of {', '.join(sorted(BACKBONES))}") from None


def weights_cache_dir() -> Path:
    """Where ImageNet weights are cached: the `weights` folder of `flowerlite.contract.cache_dir()`.

    Raises:
        WeightsError: there is no home directory to cache them in and FLOWERLITE_CACHE is unset.
    """
    root = contract.cache_dir()
    if root is None:
        raise WeightsError("No home directory to cache ImageNet weights in (HOME is unset): "
                           "set FLOWERLITE_CACHE to a writable folder")
    return root / "weights"

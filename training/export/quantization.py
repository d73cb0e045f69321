"""How a Keras model is quantised on its way to TFLite: one config object with factory methods.

As in MediaPipe Model Maker, a `QuantizationConfig` is handed to `export_model`; it configures a
fresh converter owned by the exporter and never changes after construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np
from flowerlite.contract import VARIANTS  # released variants, in the order the release builds and reports them

from training.errors import ConfigError

__all__ = ["QuantizationConfig", "VARIANTS"]

RepresentativeData = Callable[[], Iterator[list[np.ndarray]]]


@dataclass(frozen=True)
class QuantizationConfig:
    """One TFLite variant: float32, float16 weights, full-integer int8, or dynamic-range int8."""

    variant: str
    # int8 only: yields [batch-of-one float32 input] lists, on the model's (normalised) input scale
    representative_data: RepresentativeData | None = None
    # per-channel weight scales (the converter's default); per-tensor only if this is False
    per_channel: bool = True

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ConfigError(f"Unknown quantisation variant. Received: variant={self.variant!r}; expected one of {VARIANTS}")
        if self.variant == "int8" and self.representative_data is None:
            raise ConfigError("Full-integer int8 needs representative data: use QuantizationConfig.for_int8(images)")

    @classmethod
    def for_float32(cls) -> "QuantizationConfig":
        """No quantisation: float32 weights and activations."""
        return cls("float32")

    @classmethod
    def for_float16(cls) -> "QuantizationConfig":
        """Weights stored as float16 (about half the size); float32 input and output."""
        return cls("float16")

    @classmethod
    def for_dynamic(cls) -> "QuantizationConfig":
        """Dynamic-range quantisation: int8 weights, float activations, no calibration."""
        return cls("dynamic")

    @classmethod
    def for_int8(cls, representative_data: np.ndarray | Iterable[np.ndarray] | RepresentativeData,
                 per_channel: bool = True) -> "QuantizationConfig":
        """Full-integer int8 with uint8 input and output, calibrated on `representative_data`.

        `representative_data` is an array (N, H, W, 3) of model inputs (already normalised), an
        iterable of single images, or a callable returning a generator of converter samples.
        """
        if callable(representative_data):
            return cls("int8", representative_data, per_channel)
        images = np.asarray(list(representative_data) if not isinstance(representative_data, np.ndarray) else representative_data,
                            dtype=np.float32)
        if images.ndim != 4 or images.shape[0] == 0:
            raise ConfigError(f"Representative data must be a non-empty (N, H, W, C) array. Received: shape={images.shape}")

        def samples() -> Iterator[list[np.ndarray]]:
            for image in images:
                yield [image[None]]

        return cls("int8", samples, per_channel)

    @property
    def is_integer_only(self) -> bool:
        """True when every op runs in int8 with uint8 input and output."""
        return self.variant == "int8"

    def configure(self, converter) -> None:
        """Set this variant's options on a fresh `tf.lite.TFLiteConverter`."""
        import tensorflow as tf

        if self.variant == "float32":
            return
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if self.variant == "float16":
            converter.target_spec.supported_types = [tf.float16]
        elif self.variant == "int8":
            converter.representative_dataset = self.representative_data
            # Integer-only: conversion fails rather than silently keeping a float op.
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.inference_input_type = tf.uint8
            converter.inference_output_type = tf.uint8
            if not self.per_channel:
                converter._experimental_disable_per_channel = True

    def describe(self) -> str:
        """One line for the model card."""
        return {
            "float32": "float32 weights and activations (no quantisation)",
            "float16": "float16 weights, float32 activations, float32 input/output",
            "dynamic": "dynamic-range: int8 weights, float activations, float32 input/output",
            "int8": ("full-integer post-training quantisation: int8 weights ("
                     + ("per-channel" if self.per_channel else "per-tensor")
                     + ") and activations, uint8 input and output"),
        }[self.variant]

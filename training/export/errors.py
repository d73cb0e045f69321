"""Errors of the export stage, rooted (through training.errors) at `FlowerliteError`."""

from __future__ import annotations

from training.errors import FlowerliteError

__all__ = ["ExportError", "VerificationError", "QuantizationLossError", "RunError"]


class ExportError(FlowerliteError):
    """A model cannot be converted to TFLite or written."""


class VerificationError(ExportError):
    """An exported file disagrees with its Keras model, or its metadata does not round-trip."""


class QuantizationLossError(ExportError):
    """The int8 model loses more test accuracy against float32 than the release allows."""


class RunError(ExportError):
    """A run directory is missing, unfinished, or was trained on other data."""

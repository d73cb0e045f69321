"""Errors of the explanation tools, rooted (through training.errors) at `FlowerliteError`."""

from __future__ import annotations

from training.errors import FlowerliteError

__all__ = ["ExplainError"]


class ExplainError(FlowerliteError):
    """A model, image or option given to the explanation tools cannot be used."""

"""Errors of the build chain, rooted at the SDK's `FlowerliteError`."""

from __future__ import annotations

try:
    from flowerlite import FlowerliteError
except ImportError:  # the SDK is not installed: keep the build chain usable on its own

    class FlowerliteError(Exception):
        """Base class of every flowerlite error."""


class ConfigError(FlowerliteError, ValueError):
    """A training or export configuration is invalid."""


class DatasetError(FlowerliteError):
    """A dataset is missing, incomplete or fails its checksum."""


class WeightsError(FlowerliteError):
    """Pretrained weights cannot be found, downloaded or converted."""

"""Errors of the build chain, rooted at the SDK's `FlowerliteError`."""

from __future__ import annotations

from flowerlite import FlowerliteError  # the build chain depends on the SDK (same repository)

__all__ = ["FlowerliteError", "ConfigError", "DatasetError", "WeightsError", "BenchmarkFileError"]


class ConfigError(FlowerliteError, ValueError):
    """A training or export configuration is invalid."""


class DatasetError(FlowerliteError):
    """A dataset is missing, incomplete or fails its checksum."""


class WeightsError(FlowerliteError):
    """Pretrained weights cannot be found, downloaded or converted."""


class BenchmarkFileError(FlowerliteError):
    """A benchmark result (benchmark.json) is missing, unreadable, or of another schema version."""

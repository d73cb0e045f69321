"""Errors of the benchmark harness, rooted at the SDK's `FlowerliteError` when the SDK is importable."""

from __future__ import annotations

try:
    from flowerlite import FlowerliteError
except ImportError:  # the harness can still compare two result files without the SDK

    class FlowerliteError(Exception):
        """Base class of every flowerlite error."""


__all__ = ["BenchmarkError"]


class BenchmarkError(FlowerliteError):
    """A benchmark cannot run or a result file cannot be read: the message says which path or value and why."""

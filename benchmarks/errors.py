"""Errors of the benchmark harness, rooted at the SDK's `FlowerliteError` (the harness depends on the SDK)."""

from __future__ import annotations

from flowerlite import FlowerliteError

__all__ = ["BenchmarkError"]


class BenchmarkError(FlowerliteError):
    """A benchmark cannot run or a result file cannot be read: the message says which path or value and why."""

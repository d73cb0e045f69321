"""Checking a classifier's options: every type and value, with a message naming the option and what it received."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Iterator

from . import _runtime
from .containers import ClassifierOptions

__all__ = ["check_options", "check_limits"]


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_positive_int(value, message: str) -> None:
    """TypeError for a non-integer (or a bool), ValueError for one below 1; ``message`` names the option."""
    if not _is_int(value):
        raise TypeError(message)
    if value < 1:
        raise ValueError(message)


def check_limits(top_k, score_threshold) -> None:
    """Checks ``top_k`` (a positive integer or None) and ``score_threshold`` (a finite number or None).

    Raises:
        TypeError, ValueError: naming the option and the value received.
    """
    if top_k is not None:
        _check_positive_int(top_k, f"top_k must be a positive integer or None; received top_k={top_k!r}")
    if score_threshold is not None and not _is_number(score_threshold):
        raise TypeError(f"score_threshold must be a finite number or None; received {score_threshold!r}")
    if score_threshold is not None and not math.isfinite(score_threshold):
        raise ValueError(f"score_threshold must be a finite number; received {score_threshold!r}")


def check_options(options: ClassifierOptions) -> None:
    """Checks every option's type and value.

    Raises:
        TypeError, ValueError: naming the option and the value received.
    """
    for name in ("model_path", "labels_path"):
        value = getattr(options, name)
        if value is not None and not isinstance(value, (str, bytes, os.PathLike)):
            raise TypeError(f"{name} must be a path (str or os.PathLike) or None; "
                            f"received {value!r} ({type(value).__name__})")
    if options.runtime is not None and not isinstance(options.runtime, str):
        raise TypeError(f"runtime must be a runtime name (str) or None; received {options.runtime!r}")
    check_limits(options.top_k, options.score_threshold)
    threads = options.num_threads
    if threads is not None:
        _check_positive_int(threads, f"num_threads must be a positive integer or None; received {threads!r}")
    if threads is not None and threads > _runtime.max_threads():
        raise ValueError(
            f"num_threads={threads} is more than this machine can use: at most {_runtime.max_threads()} "
            f"({_runtime.THREADS_PER_CPU} per usable CPU, {_runtime.usable_cpus()} here); "
            "pass a smaller number or None"
        )
    if options.max_pixels is not None:
        _check_positive_int(options.max_pixels,
                            f"max_pixels must be a positive integer or None; received {options.max_pixels!r}")
    _check_positive_int(options.max_batch_size,
                        f"max_batch_size must be a positive integer; received {options.max_batch_size!r}")
    if not isinstance(options.safe_load, bool):
        raise TypeError(f"safe_load must be True or False; received {options.safe_load!r}")
    if (options.mean is None) != (options.std is None):
        raise ValueError("give both mean and std, or neither")
    for name in ("mean", "std"):
        values = getattr(options, name)
        if values is None:
            continue
        if (isinstance(values, (str, bytes, Iterator)) or not isinstance(values, Iterable)
                or not all(map(_is_number, values))):
            raise TypeError(f"{name} must be a sequence of numbers (one, or one per channel); received {values!r}")
        floats = [float(v) for v in values]
        if not floats or not all(map(math.isfinite, floats)) or (name == "std" and min(floats) <= 0):
            raise ValueError(f"{name} must hold finite numbers{', all positive' if name == 'std' else ''}; "
                             f"received {values!r}")

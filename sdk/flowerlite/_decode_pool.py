"""A bounded pool of threads that decode and preprocess images ahead of inference, in order.

Pillow decodes and resizes, and the TFLite runtime invokes, with the GIL released, so a
decoding thread overlaps the next images' decoding with the current image's inference.
At most ``depth`` images are in flight (submitted, decoded, or waiting to be consumed),
so memory stays flat however long the input is: the input iterable is read lazily.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple

from .errors import FlowerliteError

__all__ = ["DEFAULT_WORKERS", "Decoded", "decode_in_order"]


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


DEFAULT_WORKERS = max(1, min(2, _usable_cpus() - 1))
"""Decoding threads: one beside the interpreter on 2 cores, two on a 4-core Pi (the
interpreter's own threads keep the rest busy; more only compete with it)."""


class Decoded(NamedTuple):
    """One preprocessed image: exactly one of ``tensor`` and ``error`` is None."""

    source: Any
    tensor: Any
    error: FlowerliteError | None


def _run(preprocess: Callable[[Any], Any], source: Any) -> Decoded:
    try:
        return Decoded(source, preprocess(source), None)
    except FlowerliteError as exc:  # a bad image is a result; anything else is a bug and propagates
        return Decoded(source, None, exc)


def decode_in_order(
    preprocess: Callable[[Any], Any], sources: Iterable[Any], *, workers: int = DEFAULT_WORKERS,
    depth: int | None = None,
) -> Iterator[Decoded]:
    """Yields ``Decoded(source, preprocess(source), None)`` (or the FlowerliteError) in input order.

    ``workers`` threads preprocess ahead of the consumer, at most ``depth``
    (default ``4 * workers``) images at a time. Closing the iterator early (or an
    exception in the consumer) cancels what was not started and waits for the rest.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1; received {workers!r}")
    depth = max(1, depth if depth is not None else 4 * workers)
    pending: collections.deque[Future] = collections.deque()
    iterator = iter(sources)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="flowerlite-decode")
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < depth:
                try:
                    source = next(iterator)
                except StopIteration:
                    exhausted = True
                    break
                pending.append(pool.submit(_run, preprocess, source))
            if not pending:
                return
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)

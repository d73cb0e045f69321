"""Classifying a stream of images: decoded ahead on a bounded pool, run in bounded batches, yielded in order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ._decode_pool import Decoded, decode_in_order
from .containers import ImageResult

if TYPE_CHECKING:
    from .classifier import Classifier

__all__ = ["classify_stream"]


def classify_stream(classifier: Classifier, images: Iterable[Any], top_k: int | None, threshold: float,
                    raise_errors: bool) -> Iterator[ImageResult]:
    """Yields an :class:`ImageResult` per image, in order; raises an image's error instead when ``raise_errors``.

    At most ``max_batch_size`` tensors and the decode pool's few images are held at a
    time, so memory does not grow with the number of images. Each image's scores are
    bit-identical to :meth:`Classifier.classify` on it (same preprocessing, and the
    integer and XNNPACK float kernels give each row of a batch the single-image result;
    ``sdk/tests/test_batch.py`` checks it).
    """
    size = classifier.options.max_batch_size
    chunk: list[Decoded] = []
    decoded = 0
    for item in decode_in_order(classifier.preprocess, images):
        chunk.append(item)
        decoded += item.tensor is not None
        if decoded == size or (item.error is not None and raise_errors):
            yield from _flush(classifier, chunk, top_k, threshold, raise_errors)
            chunk, decoded = [], 0
    yield from _flush(classifier, chunk, top_k, threshold, raise_errors)


def _flush(classifier: Classifier, chunk: list[Decoded], top_k: int | None, threshold: float,
           raise_errors: bool) -> Iterator[ImageResult]:
    tensors = [item.tensor for item in chunk if item.tensor is not None]
    rows = iter(classifier.scores(np.concatenate(tensors)) if tensors else ())
    for item in chunk:
        if item.error is not None:
            if raise_errors:
                raise item.error
            yield ImageResult(item.source, [], item.error)
        else:
            yield ImageResult(item.source, classifier._categories(next(rows), top_k, threshold))

"""Classifying a stream of images: decoded ahead on a bounded pool, run one by one, yielded in order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ._decode_pool import decode_in_order
from .containers import ImageResult

__all__ = ["classify_stream"]


def classify_stream(classifier: Any, images: Iterable[Any], top_k: int | None, threshold: float,
                    raise_errors: bool) -> Iterator[ImageResult]:
    """Yields an :class:`ImageResult` per image of `classifier` (a `Classifier`), in order; raises an image's error instead when ``raise_errors``.

    Each image runs alone through the interpreter, as :meth:`Classifier.classify` runs it, so
    its scores are bit-identical to ``classify``'s whatever the model's kernels do with a batch;
    the decode pool keeps the next few images decoded meanwhile. Measured on this project's
    2-core machine with the int8 model, this was faster than batches of 8 or 32 (the runtime
    gains little from a batch there, and a batch stalls the decoding while it runs). Only the
    pool's few images are held at a time, so memory does not grow with the number of images.
    """
    for item in decode_in_order(classifier.preprocess, images):
        if item.error is not None:
            if raise_errors:
                raise item.error
            yield ImageResult(item.source, [], item.error)
        else:
            yield ImageResult(item.source, classifier._categories(classifier.scores(item.tensor)[0], top_k, threshold))

"""classify_batch / classify_iter: decoding overlapped with inference, bounded memory, same results as classify."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from PIL import Image

from conftest import CLASSIFIERS, fixture_path, quadrant_array, random_images
from flowerlite import Classifier, ImageDecodeError, ImageNotFoundError, ImageResult
from flowerlite._decode_pool import decode_in_order


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("model", CLASSIFIERS)
def test_batches_are_bit_identical_to_one_by_one_classify(model):
    images = random_images(40, seed=11) + [quadrant_array(q) for q in range(4)]
    with Classifier(fixture_path(model), top_k=None) as clf:
        singles = [clf.classify(image) for image in images]
        assert clf.classify_batch(images) == singles  # Category scores compared as floats: bit for bit
        assert clf.classify_batch(iter(images)) == singles  # any iterable, read lazily


def test_classify_iter_returns_bad_images_as_results_in_order(tmp_path):
    good = [png_bytes(quadrant_array(q)) for q in range(4)]
    sources = [good[0], b"not an image", good[1], str(tmp_path / "missing.png"), good[2], good[3]]
    with Classifier(fixture_path("quadrants_int8_metadata"), top_k=1) as clf:
        results = list(clf.classify_iter(sources, errors="return"))
        assert all(isinstance(r, ImageResult) for r in results)
        assert [r.source for r in results] == sources
        assert [r.ok for r in results] == [True, False, True, False, True, True]
        assert isinstance(results[1].error, ImageDecodeError) and results[1].categories == []
        assert isinstance(results[3].error, ImageNotFoundError) and "missing.png" in str(results[3].error)
        assert [r.categories[0].index for r in results if r.ok] == [0, 1, 2, 3]
        assert [r.categories for r in results if r.ok] == [clf.classify(s) for s in sources if isinstance(s, bytes)
                                                           and s != b"not an image"]


def test_classify_batch_raises_the_first_bad_image_and_iter_yields_what_came_before():
    sources = [png_bytes(quadrant_array(0)), png_bytes(quadrant_array(1)), b"junk", b"more junk"]
    with Classifier(fixture_path("quadrants_int8_metadata"), top_k=1) as clf:
        with pytest.raises(ImageDecodeError, match=r"image bytes \(4 bytes\)"):
            clf.classify_batch(sources)
        stream = clf.classify_iter(sources)
        assert [next(stream).categories[0].index for _ in range(2)] == [0, 1]
        with pytest.raises(ImageDecodeError, match=r"image bytes \(4 bytes\)"):
            next(stream)
        with pytest.raises(ValueError, match="errors must be 'raise' or 'return'; received errors='skip'"):
            clf.classify_iter(sources, errors="skip")


def test_the_decode_pool_keeps_order_and_never_holds_more_than_its_depth():
    lock = threading.Lock()
    state = {"taken": 0, "done": 0, "most_ahead": 0}

    def produce():
        for i in range(200):
            with lock:
                state["taken"] += 1
                state["most_ahead"] = max(state["most_ahead"], state["taken"] - state["done"])
            yield i

    out = []
    for item in decode_in_order(lambda i: i * i, produce(), workers=2, depth=5):
        out.append(item.tensor)
        with lock:
            state["done"] += 1
    assert out == [i * i for i in range(200)]
    assert state["most_ahead"] <= 6  # the depth in flight, plus the one being handed over


def test_closing_the_stream_early_stops_the_decoding():
    started = []

    def slow(i):
        started.append(i)
        return i

    stream = decode_in_order(slow, iter(range(10_000)), workers=1, depth=4)
    assert next(stream).tensor == 0
    stream.close()
    assert len(started) <= 5


def test_classify_batch_does_not_hold_every_tensor_at_once(monkeypatch):
    # 2000 images: each reaches scores() alone, never all of them at once (the old code concatenated
    # every tensor first), and the generator is read as the images are classified, not all up front.
    taken = []

    def images():
        for i in range(2000):
            taken.append(i)
            yield quadrant_array(i % 4)

    with Classifier(fixture_path("quadrants_int8_metadata"), top_k=1, max_batch_size=16) as clf:
        sizes, ahead = [], []
        scores = clf.scores

        def counting_scores(batch):
            sizes.append(len(batch))
            ahead.append(len(taken) - len(sizes))
            return scores(batch)

        monkeypatch.setattr(clf, "scores", counting_scores)
        results = clf.classify_batch(images())
    assert len(results) == 2000 and [r[0].index for r in results[:8]] == [0, 1, 2, 3] * 2
    assert sizes == [1] * 2000 and max(ahead) <= 8

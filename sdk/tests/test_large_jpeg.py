"""Big JPEGs are decoded at a reduced scale by the classifier, and only they; the shared rule always decodes in full."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from conftest import fixture_path
from flowerlite import Classifier, ImageDecodeError, ImageTooLargeError, preprocessing
from flowerlite._large_jpeg import MARGIN, MIN_BYTES, open_reduced, reduced_scale


def photo(width: int, height: int, fmt: str = "JPEG", orientation: int | None = None) -> bytes:
    y, x = np.mgrid[0:height, 0:width]
    noise = np.random.default_rng(0).integers(0, 40, (height, width), dtype=np.int64)  # photo-sized files
    pixels = np.stack([x * 215 // width + noise, y * 215 // height + noise, (x // 37 + y // 23) % 2 * 200 + noise],
                      axis=-1).astype(np.uint8)
    image = Image.fromarray(pixels)
    buffer = io.BytesIO()
    exif = None
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
    image.save(buffer, format=fmt, **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def clf():
    with Classifier(fixture_path("quadrants_int8_metadata"), top_k=None) as classifier:
        yield classifier


def shared_rule(clf, source) -> np.ndarray:
    info = clf.info
    return preprocessing.preprocess(source, info.input_size, mean=info.mean, std=info.std, dtype=info.input_dtype,
                                    scale=info.input_scale, zero_point=info.input_zero_point)[None]


def test_the_scale_keeps_the_shorter_side_at_least_margin_times_the_target():
    assert MARGIN == 2
    assert reduced_scale(4000, 3000, 256) == 4  # 750 >= 512; 1/8 would leave 375
    assert reduced_scale(3000, 4000, 256) == 4
    assert reduced_scale(8000, 6000, 256) == 8
    assert reduced_scale(1200, 1100, 256) == 2
    assert reduced_scale(1000, 800, 256) == 1  # 400 < 512: decoded in full
    assert reduced_scale(500, 256, 256) == 1  # an Oxford 102 photo (and so every training image)


def test_a_big_jpeg_is_decoded_at_a_reduced_scale_by_the_classifier_only(clf):
    data = photo(1200, 900)  # the fixture's 32 px input: resize target 37, so 1/8 scale (150 >= 74)
    reduced = Image.open(io.BytesIO(data))
    reduced.draft("RGB", (150, 112))
    reduced.load()
    assert reduced.size == (150, 113)
    tensor = clf.preprocess(data)
    assert np.array_equal(tensor, shared_rule(clf, reduced))
    assert not np.array_equal(tensor, shared_rule(clf, data))  # the shared rule decodes in full: other pixels
    assert clf.classify(data) == clf.classify_batch([data])[0]


def test_small_jpegs_and_other_formats_are_decoded_in_full(clf, tmp_path):
    assert len(photo(1200, 900)) >= MIN_BYTES
    for data in (photo(120, 90), photo(1200, 900, "PNG"), photo(1200, 900, "WEBP")):
        assert open_reduced(data, 37, None) is None
        assert np.array_equal(clf.preprocess(data), shared_rule(clf, data))
    flat = io.BytesIO()
    Image.new("RGB", (1200, 900), (200, 30, 90)).save(flat, format="JPEG")  # big, but a small file
    assert len(flat.getvalue()) < MIN_BYTES and open_reduced(flat.getvalue(), 37, None) is None
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    assert open_reduced(str(fifo), 37, None) is None  # not opened (it would wait for a writer)


def test_the_exif_orientation_still_applies(clf):
    data = photo(1200, 900, orientation=6)  # rotated 90 degrees: the upright image is 900 x 1200
    upright = open_reduced(data, 37, None)
    assert upright is not None and upright.size == (150, 113)
    assert np.array_equal(clf.preprocess(data), shared_rule(clf, upright))
    assert preprocessing.load_image(upright).size == (113, 150)


def test_a_corrupt_or_oversized_big_jpeg_gets_the_usual_error(clf, tmp_path):
    truncated = photo(1200, 900)[:3000]
    with pytest.raises(ImageDecodeError, match="truncated or corrupt"):
        clf.preprocess(truncated)
    path = tmp_path / "big.jpg"
    path.write_bytes(photo(1200, 900))
    with Classifier(fixture_path("quadrants_int8_metadata"), max_pixels=1_000_000) as small_limit:
        with pytest.raises(ImageTooLargeError, match="over the limit of 1000000"):
            small_limit.preprocess(str(path))
    assert open_reduced(str(path), 37, 1_000_000) is None

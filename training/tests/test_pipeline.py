"""The tf.data pipeline prepares evaluation images as the SDK does (decode, resize, crop, normalise)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

tf = pytest.importorskip("tensorflow")
preprocessing = pytest.importorskip("flowerlite.preprocessing", reason="needs the flowerlite SDK (pip install -e .)")

from training.config import AugmentConfig  # noqa: E402
from training.pipeline import decode_image, make_dataset, resize_and_crop  # noqa: E402


def _photo_like(height: int, width: int, seed: int) -> np.ndarray:
    """Smooth colour gradients with fine texture, like a photo (noise alone hides resize errors)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (height // 8 + 2, width // 8 + 2, 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC), np.float64)
    return np.clip(smooth + rng.normal(0, 6, smooth.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    "height, width, size",
    [(40, 30, 32), (30, 40, 75), (333, 500, 224), (500, 333, 32), (257, 256, 224), (100, 1000, 75), (256, 256, 224)],
)
def test_the_eval_transform_matches_the_sdk_resize_and_crop(height, width, size):
    pixels = _photo_like(height, width, seed=height + width)

    expected = np.asarray(preprocessing.resize_and_crop(Image.fromarray(pixels), size), np.float32)
    received = resize_and_crop(tf.constant(pixels), size).numpy()

    assert received.shape == expected.shape == (size, size, 3)
    # Pillow rounds to uint8 after each pass; TF keeps floats: at most one grey level apart.
    diff = np.abs(received - expected)
    assert diff.max() <= 1.0 + 1e-3 and diff.mean() < 0.4, (diff.max(), diff.mean())


def _encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _cases() -> dict[str, bytes]:
    rng = np.random.default_rng(5)
    rgba = rng.integers(0, 256, (24, 36, 4), dtype=np.uint8)
    palette = Image.fromarray(rng.integers(0, 8, (24, 36), dtype=np.uint8), "P")
    palette.putpalette(rng.integers(0, 256, 8 * 3, dtype=np.uint8).tobytes())
    return {
        "jpeg": _encoded(Image.fromarray(_photo_like(48, 64, seed=1)), "JPEG", quality=90),
        "grey jpeg": _encoded(Image.fromarray(_photo_like(40, 40, seed=2)[..., 0]), "JPEG", quality=85),
        "rgb png": _encoded(Image.fromarray(rgba[..., :3]), "PNG"),
        "rgba png": _encoded(Image.fromarray(rgba, "RGBA"), "PNG"),
        "grey+alpha png": _encoded(Image.fromarray(rgba).convert("LA"), "PNG"),
        "palette png with a transparent colour": _encoded(palette, "PNG", transparency=3),
    }


@pytest.mark.parametrize("name", list(_cases()))
def test_decoding_matches_pillow_pixel_for_pixel(name, tmp_path):
    path = tmp_path / "image"
    path.write_bytes(_cases()[name])

    expected = np.asarray(preprocessing.load_image(path))
    received = decode_image(tf.constant(str(path))).numpy()

    np.testing.assert_array_equal(received, expected)


def test_an_eval_batch_equals_the_sdk_preprocess(tmp_path):
    paths = []
    for i, (h, w) in enumerate([(50, 70), (90, 40), (64, 64)]):
        paths.append(tmp_path / f"{i}.jpg")
        Image.fromarray(_photo_like(h, w, seed=i)).save(paths[-1], quality=92)
    mean, std = (123.68, 116.779, 103.939), (58.0, 57.0, 57.5)

    batch, labels = next(iter(make_dataset(paths, [0, 1, 2], size=32, mean=mean, std=std, num_classes=3, batch_size=3)))

    expected = np.stack([preprocessing.preprocess(p, 32, mean=mean, std=std) for p in paths])
    np.testing.assert_allclose(batch.numpy(), expected, atol=1.01 / min(std))
    np.testing.assert_array_equal(labels.numpy(), np.eye(3))


def test_augmentation_is_repeatable_for_a_seed(tmp_path):
    paths = [tmp_path / f"{i}.jpg" for i in range(4)]
    for i, p in enumerate(paths):
        Image.fromarray(_photo_like(60, 80, seed=i)).save(p)

    def batch(seed):
        ds = make_dataset(paths, [0, 1, 0, 1], size=32, mean=(0, 0, 0), std=(1, 1, 1), num_classes=2,
                          batch_size=4, augment=AugmentConfig(), seed=seed, shuffle=True)
        return next(iter(ds))[0].numpy()

    first, again, other = batch(1), batch(1), batch(2)

    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).mean() > 1.0

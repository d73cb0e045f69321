"""tf.data input pipeline: decode, augment, normalise and batch without starving the CPU.

Evaluation follows the SDK's one rule (`flowerlite.preprocessing`): resize the shorter side to
round(size / CROP_FRACTION) with antialiased bilinear filtering, then centre-crop size x size.
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf
from flowerlite.contract import CROP_FRACTION  # the SDK's release contract owns the crop rule

from training.augment import camera, colour_and_light, mosaic_tiles, zoom_out
from training.config import AugmentConfig
from training.mixing import mix_batch, mixing_enabled

__all__ = ["CROP_FRACTION", "decode_image", "resize_and_crop", "random_resized_crop", "make_dataset"]

AUTOTUNE = tf.data.AUTOTUNE


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _decode_png_over_white(data: tf.Tensor) -> tf.Tensor:
    # As the SDK's load_image: transparent pixels are composited over white, not dropped.
    rgba = tf.cast(tf.io.decode_png(data, channels=4), tf.float32)
    alpha = rgba[..., 3:] / 255.0
    return tf.cast(tf.round(rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)), tf.uint8)


def decode_image(path: tf.Tensor) -> tf.Tensor:
    """Read and decode a JPEG/PNG file into an RGB uint8 tensor, pixel for pixel as Pillow does."""
    data = tf.io.read_file(path)
    # TF's default JPEG IDCT is the fast integer one, which differs from Pillow's (the SDK) by up
    # to 18 levels on real photos; the accurate one matches Pillow exactly.
    image = tf.cond(
        tf.io.is_jpeg(data),
        lambda: tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE"),
        lambda: tf.cond(
            tf.strings.substr(data, 0, len(_PNG_SIGNATURE)) == _PNG_SIGNATURE,
            lambda: _decode_png_over_white(data),
            lambda: tf.io.decode_image(data, channels=3, expand_animations=False),
        ),
    )
    image.set_shape([None, None, 3])
    return image


def resize_and_crop(image: tf.Tensor, size: int) -> tf.Tensor:
    """Resize the shorter side to round(size / CROP_FRACTION), then centre-crop (float32, 0-255)."""
    shape = tf.cast(tf.shape(image)[:2], tf.float64)
    target = tf.round(tf.constant(size / CROP_FRACTION, tf.float64))
    # round(side * target / shorter) in this order, as the SDK computes it (same ties).
    new_hw = tf.cast(tf.round(shape * target / tf.reduce_min(shape)), tf.int32)
    resized = tf.image.resize(image, new_hw, method="bilinear", antialias=True)
    top = (new_hw[0] - size) // 2
    left = (new_hw[1] - size) // 2
    return tf.clip_by_value(resized[top : top + size, left : left + size, :], 0.0, 255.0)


def random_resized_crop(image: tf.Tensor, size: int, aug: AugmentConfig, seed: tf.Tensor) -> tf.Tensor:
    """Inception-style random crop (area and aspect ratio), flip and mild colour jitter."""
    seeds = tf.random.experimental.stateless_split(seed, 6)
    begin, crop_size, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image),
        bounding_boxes=tf.constant([[[0.0, 0.0, 1.0, 1.0]]]),
        seed=seeds[0],
        area_range=(aug.min_area, 1.0),
        aspect_ratio_range=(3 / 4, 4 / 3),
        max_attempts=10,
        use_image_if_no_bounding_boxes=True,
    )
    crop = tf.slice(image, begin, crop_size)
    out = tf.image.resize(crop, (size, size), method="bilinear", antialias=True)
    if aug.flip:
        out = tf.image.stateless_random_flip_left_right(out, seeds[1])
    if aug.brightness:
        out = tf.image.stateless_random_brightness(out, aug.brightness * 255.0, seeds[2])
    if aug.contrast:
        out = tf.image.stateless_random_contrast(out, 1 - aug.contrast, 1 + aug.contrast, seeds[3])
    if aug.saturation:
        out = tf.image.stateless_random_saturation(out, 1 - aug.saturation, 1 + aug.saturation, seeds[4])
    return tf.clip_by_value(out, 0.0, 255.0)


def _crop_tile(path: tf.Tensor, seed: tf.Tensor, tile: int, aug: AugmentConfig) -> tf.Tensor:
    seeds = tf.random.experimental.stateless_split(seed, 2)
    image = decode_image(path)
    begin, crop_size, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image), bounding_boxes=tf.constant([[[0.0, 0.0, 1.0, 1.0]]]), seed=seeds[0],
        area_range=(max(aug.min_area, 0.3), 1.0), aspect_ratio_range=(3 / 4, 4 / 3), max_attempts=10,
        use_image_if_no_bounding_boxes=True,
    )
    out = tf.image.resize(tf.slice(image, begin, crop_size), (tile, tile), method="bilinear", antialias=True)
    return tf.image.stateless_random_flip_left_right(out, seeds[1])


def _mosaic(paths: Sequence[str], labels: Sequence[int], size: int, aug: AugmentConfig):
    """A function (image, label, seed) -> image that, with `aug.mosaic_prob`, returns a same-class 2x2 or 3x3 mosaic."""
    by_class: dict[int, list[str]] = {}
    for path, label in zip(map(str, paths), labels):
        by_class.setdefault(int(label), []).append(path)
    classes = max(by_class) + 1
    widest = max(len(v) for v in by_class.values())
    table = tf.constant([by_class.get(c, []) + [""] * (widest - len(by_class.get(c, []))) for c in range(classes)])
    counts = tf.constant([len(by_class.get(c, [])) for c in range(classes)], tf.float32)

    def grid_of(grid: int, label, seed):
        n = grid * grid
        seeds = tf.random.experimental.stateless_split(seed, n + 1)
        picks = tf.cast(tf.random.stateless_uniform([n], seeds[0]) * counts[label], tf.int32)
        chosen = tf.gather(table[label], tf.minimum(picks, tf.cast(counts[label], tf.int32) - 1))
        tile = -(-size // grid)
        tiles = tf.map_fn(lambda args: _crop_tile(args[0], args[1], tile, aug), (chosen, seeds[1:]),
                          fn_output_signature=tf.TensorSpec((tile, tile, 3), tf.float32))
        return mosaic_tiles(tiles, grid, size)

    def apply(image, label, seed):
        seeds = tf.random.experimental.stateless_split(seed, 3)
        use = tf.random.stateless_uniform([], seeds[0]) < aug.mosaic_prob
        three = tf.random.stateless_uniform([], seeds[1]) < 0.5
        return tf.cond(
            use,
            lambda: tf.cond(three, lambda: grid_of(3, label, seeds[2]), lambda: grid_of(2, label, seeds[2])),
            lambda: image,
        )

    return apply


def make_dataset(
    paths: Sequence[str],
    labels: Sequence[int],
    *,
    size: int,
    mean: Sequence[float],
    std: Sequence[float],
    num_classes: int,
    batch_size: int,
    augment: AugmentConfig | None = None,
    seed: int = 0,
    shuffle: bool = False,
    repeat_views: int = 1,
    cache: bool = True,
    mix: bool = False,
) -> tf.data.Dataset:
    """Batched (image, one-hot label) pairs, normalised as (x - mean) / std.

    With `augment`, each image gets a random-resized crop seeded by (seed, epoch-free index), so a
    run is repeatable; without it, the evaluation rule.  With `mix` too, batches are mixed by
    MixUp/CutMix as `augment` asks (`training.mixing`).  Decoded images are cached in memory.
    """
    mean_t = tf.constant(mean, tf.float32)
    std_t = tf.constant(std, tf.float32)
    ds = tf.data.Dataset.from_tensor_slices((list(map(str, paths)), list(labels)))
    ds = ds.map(lambda p, y: (decode_image(p), y), num_parallel_calls=AUTOTUNE)
    if cache:
        ds = ds.cache()
    if repeat_views > 1:
        ds = ds.repeat(repeat_views)
    if shuffle:
        ds = ds.shuffle(len(paths) * max(1, repeat_views), seed=seed, reshuffle_each_iteration=True)
    # A per-element counter makes augmentation seeds repeatable yet different every epoch.
    ds = ds.enumerate()
    # The real-world families belong with the mixed batches (phase 2); phase 1's cached views stay as they were.
    realworld = augment is not None and mix
    mosaic = _mosaic(paths, labels, size, augment) if realworld and augment.mosaic_prob > 0 else None

    def transform(i, item):
        image, label = item
        if augment is not None:
            element_seed = tf.stack([tf.cast(seed, tf.int64), i])
            image = random_resized_crop(image, size, augment, element_seed)
            if realworld:
                seeds = tf.random.experimental.stateless_split(element_seed + 7_000_003, 4)
                if mosaic is not None:
                    image = mosaic(image, label, seeds[0])
                image = zoom_out(image, augment, seeds[1])
                image = colour_and_light(image, augment, seeds[2])
                image = camera(image, augment, seeds[3])
        else:
            image = resize_and_crop(image, size)
        image = (image - mean_t) / std_t
        return image, tf.one_hot(label, num_classes)

    ds = ds.map(transform, num_parallel_calls=AUTOTUNE, deterministic=True).batch(batch_size)
    if mix and mixing_enabled(augment):
        mix_seed = tf.cast(seed, tf.int64) + 1_000_003  # apart from the crops' seeds
        ds = ds.enumerate().map(
            lambda i, batch: mix_batch(batch[0], batch[1], tf.stack([mix_seed, i]), augment),
            num_parallel_calls=AUTOTUNE, deterministic=True,
        )
    return ds.prefetch(AUTOTUNE)

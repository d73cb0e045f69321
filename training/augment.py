"""Augmentations aimed at real-world photos, which Oxford 102's centred close-ups never show.

Each family answers one way users' photos differ from the training photos (issue "Real-world
photos"): flowers small in the frame (`zoom_out`), many flowers at once (`mosaic`: a 2x2 or 3x3
grid of crops of the same class, a field or a bunch), colour and light (`hue`, `white_balance`,
`grey`), the camera (`blur`, `jpeg`, `low_res`). Context (flowers on other scenes) comes from
CutMix in `training.mixing`. Every draw is stateless and seeded by (run seed, element index), so a
resumed run replays the same images. All work on float32 images in 0..255.
"""

from __future__ import annotations

import tensorflow as tf

from training.config import AugmentConfig

__all__ = ["realworld_enabled", "zoom_out", "colour_and_light", "camera", "mosaic_tiles"]


def realworld_enabled(aug: AugmentConfig | None) -> bool:
    """True if `aug` asks for any of the real-world families."""
    return aug is not None and aug.realworld


def _coin(p: float, seed) -> tf.Tensor:
    return tf.random.stateless_uniform([], seed) < p


def _uniform(low: float, high: float, seed) -> tf.Tensor:
    return tf.random.stateless_uniform([], seed, low, high)


def zoom_out(image: tf.Tensor, aug: AugmentConfig, seed) -> tf.Tensor:
    """With probability `zoom_out_prob`, shrink the view and place it anywhere on a blurred copy of itself.

    The flower then fills as little as `zoom_out_min_scale` of the frame's side, off centre, with
    a background of the photo's own colours (as a garden or a field behind a small bloom).
    """
    if aug.zoom_out_prob <= 0:
        return image
    seeds = tf.random.experimental.stateless_split(seed, 4)
    size = tf.shape(image)[0]

    def apply():
        scale = _uniform(aug.zoom_out_min_scale, 1.0, seeds[1])
        inner = tf.maximum(8, tf.cast(tf.cast(size, tf.float32) * scale, tf.int32))
        small = tf.image.resize(image, (inner, inner), method="bilinear", antialias=True)
        # A background without detail: the photo at 1/16 of its size, blown up again.
        canvas = tf.image.resize(tf.image.resize(image, (16, 16), antialias=True), (size, size), method="bilinear")
        canvas = tf.image.flip_up_down(canvas)  # not the flower's own place
        room = size - inner
        top = tf.cast(_uniform(0.0, 1.0, seeds[2]) * tf.cast(room + 1, tf.float32), tf.int32)
        left = tf.cast(_uniform(0.0, 1.0, seeds[3]) * tf.cast(room + 1, tf.float32), tf.int32)
        top, left = tf.minimum(top, room), tf.minimum(left, room)
        padded = tf.pad(small, [[top, room - top], [left, room - left], [0, 0]])
        mask = tf.pad(tf.ones((inner, inner, 1)), [[top, room - top], [left, room - left], [0, 0]])
        return padded * mask + canvas * (1.0 - mask)

    return tf.cond(_coin(aug.zoom_out_prob, seeds[0]), apply, lambda: image)


def colour_and_light(image: tf.Tensor, aug: AugmentConfig, seed) -> tf.Tensor:
    """Hue shifts within `hue`, a white-balance cast (per-channel gains within 1 +- `white_balance`), grey with `grey_prob`."""
    seeds = tf.random.experimental.stateless_split(seed, 4)
    if aug.hue > 0:
        image = tf.image.stateless_random_hue(image / 255.0, aug.hue, seeds[0]) * 255.0
    if aug.white_balance > 0:
        gains = tf.random.stateless_uniform([3], seeds[1], 1 - aug.white_balance, 1 + aug.white_balance)
        image = image * gains / tf.reduce_mean(gains)  # a colour cast, not a brightness change
    if aug.grey_prob > 0:
        grey = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(image))
        image = tf.cond(_coin(aug.grey_prob, seeds[2]), lambda: grey, lambda: image)
    return tf.clip_by_value(image, 0.0, 255.0)


def _gaussian_blur(image: tf.Tensor, sigma: tf.Tensor) -> tf.Tensor:
    radius = 4
    x = tf.cast(tf.range(-radius, radius + 1), tf.float32)
    kernel = tf.exp(-0.5 * tf.square(x / sigma))
    kernel = kernel / tf.reduce_sum(kernel)
    batch = image[None]
    horizontal = tf.tile(tf.reshape(kernel, [1, -1, 1, 1]), [1, 1, 3, 1])
    vertical = tf.tile(tf.reshape(kernel, [-1, 1, 1, 1]), [1, 1, 3, 1])
    batch = tf.pad(batch, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
    batch = tf.nn.depthwise_conv2d(batch, horizontal, [1, 1, 1, 1], "VALID")
    batch = tf.nn.depthwise_conv2d(batch, vertical, [1, 1, 1, 1], "VALID")
    return batch[0]


def camera(image: tf.Tensor, aug: AugmentConfig, seed) -> tf.Tensor:
    """Another camera: defocus blur, a low resolution blown up, JPEG artefacts (each with its probability)."""
    seeds = tf.random.experimental.stateless_split(seed, 6)
    size = tf.shape(image)[0]
    if aug.blur_prob > 0:
        sigma = _uniform(0.5, 2.0, seeds[1])
        image = tf.cond(_coin(aug.blur_prob, seeds[0]), lambda: _gaussian_blur(image, sigma), lambda: image)
    if aug.low_res_prob > 0:
        side = tf.cast(tf.cast(size, tf.float32) * _uniform(0.25, 0.6, seeds[3]), tf.int32)

        def low_res():
            small = tf.image.resize(image, (side, side), method="bilinear", antialias=True)
            return tf.image.resize(small, (size, size), method="bilinear")

        image = tf.cond(_coin(aug.low_res_prob, seeds[2]), low_res, lambda: image)
    if aug.jpeg_prob > 0:
        def jpeg():
            out = tf.image.stateless_random_jpeg_quality(tf.clip_by_value(image, 0.0, 255.0) / 255.0, 20, 80, seeds[5])
            return tf.reshape(out * 255.0, tf.shape(image))

        image = tf.cond(_coin(aug.jpeg_prob, seeds[4]), jpeg, lambda: image)
    return tf.clip_by_value(image, 0.0, 255.0)


def mosaic_tiles(tiles: tf.Tensor, grid: int, size: int) -> tf.Tensor:
    """Tile `grid * grid` images (grid*grid, t, t, 3) into one size x size image (row-major)."""
    t = tiles.shape[1]
    rows = [tf.concat(tf.unstack(tiles[r * grid : (r + 1) * grid]), axis=1) for r in range(grid)]
    image = tf.concat(rows, axis=0)
    if grid * t != size:
        image = tf.image.resize(image, (size, size), method="bilinear", antialias=True)
    return image

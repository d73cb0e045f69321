"""MixUp and CutMix on training batches: what keeps fine-tuning learning after 1020 images are memorised.

Batch mode, as timm's `Mixup`: each batch is mixed with itself reversed, one mixing ratio per batch,
and the labels are mixed by the same ratio (for CutMix, by the pasted box's real area).  Seeded and
stateless, so a run is repeatable.

Why not Keras' own `keras.layers.MixUp` / `keras.layers.CutMix` (Keras 3.15, read and compared):
they draw one ratio per *sample* against a random permutation, CutMix draws its Beta parameter
itself uniformly in (0, factor] and keeps the box inside the image, and neither picks one of the
two per batch (timm's `switch_prob`); their randomness comes from a stateful `SeedGenerator`, while
here the seed is (run seed, batch index), so a resumed run replays exactly the mixes it would have seen.
"""

from __future__ import annotations

import tensorflow as tf

from training.config import AugmentConfig

__all__ = ["mixing_enabled", "mix_batch"]


def mixing_enabled(aug: AugmentConfig | None) -> bool:
    """True if `aug` asks for MixUp or CutMix."""
    return aug is not None and (aug.mixup_alpha > 0 or aug.cutmix_alpha > 0) and aug.mix_prob > 0


def _beta(alpha: float, seed: tf.Tensor) -> tf.Tensor:
    # Beta(a, a) from two gammas; stateless_gamma has no stateless beta sibling.
    seeds = tf.random.experimental.stateless_split(seed, 2)
    g1 = tf.random.stateless_gamma([], seeds[0], alpha)
    g2 = tf.random.stateless_gamma([], seeds[1], alpha)
    return g1 / tf.maximum(g1 + g2, 1e-12)


def _cutmix(images, partner, alpha, seed):
    seeds = tf.random.experimental.stateless_split(seed, 3)
    lam = _beta(alpha, seeds[0])
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    ratio = tf.sqrt(1.0 - lam)
    cut_h = tf.cast(tf.cast(height, tf.float32) * ratio, tf.int32)
    cut_w = tf.cast(tf.cast(width, tf.float32) * ratio, tf.int32)
    cy = tf.random.stateless_uniform([], seeds[1], 0, height, dtype=tf.int32)
    cx = tf.random.stateless_uniform([], seeds[2], 0, width, dtype=tf.int32)
    y0, y1 = tf.clip_by_value(cy - cut_h // 2, 0, height), tf.clip_by_value(cy + cut_h // 2, 0, height)
    x0, x1 = tf.clip_by_value(cx - cut_w // 2, 0, width), tf.clip_by_value(cx + cut_w // 2, 0, width)
    rows = tf.range(height)
    cols = tf.range(width)
    inside = ((rows >= y0) & (rows < y1))[:, None] & ((cols >= x0) & (cols < x1))[None, :]
    mixed = tf.where(inside[None, :, :, None], partner, images)
    # The box may be clipped at the border: the label follows the area really pasted.
    area = tf.cast((y1 - y0) * (x1 - x0), tf.float32) / tf.cast(height * width, tf.float32)
    return mixed, 1.0 - area


def _mixup(images, partner, alpha, seed):
    lam = _beta(alpha, seed)
    return lam * images + (1.0 - lam) * partner, lam


def mix_batch(images: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor, aug: AugmentConfig):
    """Mix a batch (B, H, W, C) with its reverse; one-hot `labels` become the matching soft labels.

    With probability `mix_prob` the batch is mixed; CutMix is chosen with `switch_prob` when both
    alphas are set.  `seed` is a stateless seed (shape [2]).
    """
    if not mixing_enabled(aug):
        return images, labels
    seeds = tf.random.experimental.stateless_split(seed, 4)
    partner = tf.reverse(images, axis=[0])
    partner_labels = tf.reverse(labels, axis=[0])
    labels = tf.cast(labels, tf.float32)
    partner_labels = tf.cast(partner_labels, tf.float32)

    def cutmix():
        return _cutmix(images, partner, aug.cutmix_alpha, seeds[2])

    def mixup():
        return _mixup(images, partner, aug.mixup_alpha, seeds[3])

    if aug.mixup_alpha > 0 and aug.cutmix_alpha > 0:
        use_cutmix = tf.random.stateless_uniform([], seeds[1]) < aug.switch_prob
        mixed, lam = tf.cond(use_cutmix, cutmix, mixup)
    elif aug.cutmix_alpha > 0:
        mixed, lam = cutmix()
    else:
        mixed, lam = mixup()
    apply = tf.random.stateless_uniform([], seeds[0]) < aug.mix_prob
    lam = tf.where(apply, lam, 1.0)
    mixed = tf.where(apply, mixed, images)
    return mixed, lam * labels + (1.0 - lam) * partner_labels

"""MixUp / CutMix: labels follow the pixels, seeds repeat, off means off."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from training.config import AugmentConfig  # noqa: E402
from training.mixing import mix_batch, mixing_enabled  # noqa: E402


def _batch(n=6, size=16, classes=5):
    # Image i is the constant i + 1, so every output pixel tells which images it came from.
    images = tf.constant(np.arange(1, n + 1, dtype=np.float32)[:, None, None, None] * np.ones((1, size, size, 3), np.float32))
    labels = tf.one_hot(np.arange(n) % classes, classes)
    return images, labels


def _seed(i):
    return tf.constant([7, i], tf.int64)


def test_mixing_is_off_by_default_and_returns_the_batch_untouched():
    images, labels = _batch()
    assert not mixing_enabled(AugmentConfig())
    out_x, out_y = mix_batch(images, labels, _seed(0), AugmentConfig())
    np.testing.assert_array_equal(out_x.numpy(), images.numpy())
    np.testing.assert_array_equal(out_y.numpy(), labels.numpy())


def test_mixup_labels_carry_the_same_ratio_as_the_pixels():
    images, labels = _batch()
    aug = AugmentConfig(mixup_alpha=0.8)
    for i in range(10):
        x, y = mix_batch(images, labels, _seed(i), aug)
        x, y = x.numpy(), y.numpy()
        # pixel = lam * (k + 1) + (1 - lam) * (n - k): recover lam from the first image.
        lam = (x[0, 0, 0, 0] - 6.0) / (1.0 - 6.0)
        assert 0.0 <= lam <= 1.0
        assert np.allclose(x[0], x[0, 0, 0, 0])  # MixUp blends every pixel alike
        np.testing.assert_allclose(y[0], lam * labels.numpy()[0] + (1 - lam) * labels.numpy()[5], atol=1e-5)
        np.testing.assert_allclose(y.sum(axis=1), 1.0, atol=1e-5)


def test_cutmix_labels_follow_the_pasted_area():
    images, labels = _batch()
    aug = AugmentConfig(cutmix_alpha=1.0)
    seen_partial = False
    for i in range(20):
        x, y = mix_batch(images, labels, _seed(i), aug)
        x, y = x.numpy(), y.numpy()
        pasted = np.mean(x[0, :, :, 0] == 6.0)  # pixels of image 0 taken from its partner (image 5)
        assert set(np.unique(x[0])) <= {1.0, 6.0}  # CutMix pastes, never blends
        np.testing.assert_allclose(y[0], (1 - pasted) * labels.numpy()[0] + pasted * labels.numpy()[5], atol=1e-5)
        seen_partial |= 0.0 < pasted < 1.0
    assert seen_partial


def test_both_on_uses_both_and_the_same_seed_repeats():
    images, labels = _batch()
    aug = AugmentConfig(mixup_alpha=0.8, cutmix_alpha=1.0)
    kinds = set()
    for i in range(30):
        x1, y1 = mix_batch(images, labels, _seed(i), aug)
        x2, y2 = mix_batch(images, labels, _seed(i), aug)
        np.testing.assert_array_equal(x1.numpy(), x2.numpy())
        np.testing.assert_array_equal(y1.numpy(), y2.numpy())
        values = np.unique(x1.numpy()[0])
        kinds.add("cutmix" if set(values) <= {1.0, 6.0} else "mixup")
    assert kinds == {"cutmix", "mixup"}


def test_mix_prob_zero_disables_and_a_half_mixes_some_batches():
    images, labels = _batch()
    assert not mixing_enabled(AugmentConfig(mixup_alpha=0.8, mix_prob=0.0))
    aug = AugmentConfig(mixup_alpha=0.8, mix_prob=0.5)
    mixed = [not np.array_equal(mix_batch(images, labels, _seed(i), aug)[0].numpy(), images.numpy()) for i in range(40)]
    assert 5 < sum(mixed) < 35

"""The real-world augmentation families: what each does to an image, and that each is off by default."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

tf = pytest.importorskip("tensorflow")

from training.augment import camera, colour_and_light, realworld_enabled, zoom_out  # noqa: E402
from training.config import AugmentConfig  # noqa: E402
from training.errors import ConfigError  # noqa: E402
from training.pipeline import make_dataset  # noqa: E402

SEED = tf.constant([3, 4], tf.int64)


def _noise(size=64, seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(0, 255, (size, size, 3)), tf.float32)


def _edges(image) -> float:
    """Share of pixels with a strong horizontal step: fine detail, which blurred canvases lack."""
    x = np.asarray(image)
    return float(np.mean(np.abs(np.diff(x, axis=1)).max(axis=-1) > 20))


def test_the_default_config_turns_every_real_world_family_off():
    aug = AugmentConfig()
    image = _noise()

    assert not realworld_enabled(aug)
    np.testing.assert_array_equal(zoom_out(image, aug, SEED), image)
    np.testing.assert_array_equal(colour_and_light(image, aug, SEED), image)
    np.testing.assert_array_equal(camera(image, aug, SEED), image)


def test_zoom_out_shrinks_the_view_onto_a_plain_canvas():
    aug = AugmentConfig(zoom_out_prob=1.0, zoom_out_min_scale=0.35)
    image = _noise(96)

    shares = [_edges(zoom_out(image, aug, tf.constant([s, 1], tf.int64))) for s in range(12)]

    # The detailed part is the shrunk view (shrinking blurs the noise a little): never all of the
    # frame, never nothing, and not always the same size.
    assert all(0.03 < share < 0.9 * _edges(image) for share in shares), shares
    assert len({round(s, 2) for s in shares}) > 3


def test_zoom_out_of_a_plain_image_leaves_no_seam():
    aug = AugmentConfig(zoom_out_prob=1.0)
    image = tf.fill((64, 64, 3), 120.0)

    np.testing.assert_allclose(zoom_out(image, aug, SEED), image, atol=1e-3)


def test_grey_makes_the_channels_equal_and_white_balance_keeps_the_brightness():
    image = _noise()

    grey = colour_and_light(image, AugmentConfig(grey_prob=1.0), SEED).numpy()
    cast = colour_and_light(tf.fill((8, 8, 3), 100.0), AugmentConfig(white_balance=0.2), SEED).numpy()

    np.testing.assert_allclose(grey[..., 0], grey[..., 1], atol=1e-3)
    np.testing.assert_allclose(grey[..., 1], grey[..., 2], atol=1e-3)
    assert np.ptp(cast[0, 0]) > 1.0  # a colour cast ...
    assert abs(cast.mean() - 100.0) < 1e-3  # ... not a brightness change


@pytest.mark.parametrize("family", ["blur_prob", "low_res_prob", "jpeg_prob"])
def test_each_camera_effect_removes_fine_detail(family):
    image = _noise(64)

    out = camera(image, AugmentConfig(**{family: 1.0}), SEED)

    assert out.shape == image.shape
    assert 0.0 <= float(tf.reduce_min(out)) and float(tf.reduce_max(out)) <= 255.0
    assert np.std(np.diff(np.asarray(out), axis=1)) < 0.8 * np.std(np.diff(np.asarray(image), axis=1))


def test_the_families_are_repeatable_for_a_seed():
    aug = AugmentConfig(zoom_out_prob=0.5, hue=0.05, white_balance=0.1, grey_prob=0.3, blur_prob=0.5, jpeg_prob=0.5, low_res_prob=0.5)
    image = _noise()

    def run(seed):
        return camera(colour_and_light(zoom_out(image, aug, seed), aug, seed), aug, seed).numpy()

    np.testing.assert_array_equal(run(SEED), run(SEED))
    assert not np.array_equal(run(SEED), run(tf.constant([9, 9], tf.int64)))


@pytest.mark.parametrize("key, value", [("mosaic_prob", 1.5), ("zoom_out_prob", -0.1), ("zoom_out_min_scale", 0.0), ("hue", 0.7), ("white_balance", 1.0)])
def test_out_of_range_settings_are_refused_with_the_value(key, value):
    with pytest.raises(ConfigError, match=f"{key}.*{value}"):
        AugmentConfig(**{key: value})


def test_a_mosaic_is_made_of_photos_of_the_same_class_only(tmp_path):
    # Class 0: three shades of red; class 1: blue. Every mosaic of a red photo must be all red,
    # and (over a few draws) show more than one of the reds.
    paths, labels = [], []
    for i, colour in enumerate([(250, 0, 0), (200, 0, 0), (150, 0, 0), (0, 0, 250)]):
        path = tmp_path / f"{i}.png"
        Image.new("RGB", (40, 30), colour).save(path)
        paths.append(path)
        labels.append(0 if i < 3 else 1)
    aug = dataclasses.replace(AugmentConfig(flip=False, brightness=0, contrast=0, saturation=0), mosaic_prob=1.0)

    ds = make_dataset(paths * 4, labels * 4, size=48, mean=(0, 0, 0), std=(1, 1, 1), num_classes=2,
                      batch_size=16, augment=aug, seed=1, mix=True)
    images, onehot = next(iter(ds))
    images, classes = images.numpy(), onehot.numpy().argmax(axis=1)

    reds = images[classes == 0]
    assert np.all(reds[..., 1:] < 1.0) and np.all(reds[..., 0] > 140)
    assert np.all(images[classes == 1][..., 0] < 1.0)
    assert len(np.unique(np.round(reds[..., 0]))) >= 2


def test_phase_1_views_ignore_the_real_world_families(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (40, 30), (10, 200, 10)).save(path)
    aug = AugmentConfig(flip=False, brightness=0, contrast=0, saturation=0, grey_prob=1.0)

    (image, _), = make_dataset([path], [0], size=32, mean=(0, 0, 0), std=(1, 1, 1), num_classes=1, batch_size=1,
                               augment=aug, seed=1, mix=False).unbatch().take(1)

    assert float(image[0, 0, 1]) > 150 and float(image[0, 0, 0]) < 50  # still green, not grey


def test_every_probed_family_is_a_valid_config_and_all_of_them_is_the_realworld_recipe():
    import tomllib
    from pathlib import Path

    from training.probe import FAMILIES

    configs = [dataclasses.replace(AugmentConfig(), **changes) for changes in FAMILIES.values()]
    recipe = tomllib.loads((Path(__file__).resolve().parents[1] / "configs" / "efficientnet_lite0_realworld.toml").read_text())["augment"]

    assert not realworld_enabled(configs[0]) and all(realworld_enabled(c) or c.min_area < 0.25 for c in configs[1:])
    mixing = ("mixup_alpha", "cutmix_alpha", "mix_prob", "switch_prob")
    assert dataclasses.replace(configs[-1], flip=True) == AugmentConfig(**{k: v for k, v in recipe.items() if k not in mixing})


def test_the_probe_table_shows_each_family_against_the_plain_crops():
    from training.probe import ProbeResult, results_table

    rows = [ProbeResult("plain crops", {}, 0.9, 0.6, 0.58, 1.0), ProbeResult("zoom-out", {"zoom_out_prob": 0.6}, 0.88, 0.65, 0.631, 1.0)]

    table = results_table(rows).splitlines()

    assert table[2] == "| plain crops | 90.00% | 60.00% | 58.00% |"
    assert table[3] == "| zoom-out | 88.00% | 65.00% | 63.10% (+5.1) |"

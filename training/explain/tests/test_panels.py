"""Panels are PNGs of the expected layout, and their overlays show what they claim."""

from __future__ import annotations

import numpy as np
from PIL import Image

from training.explain.explanation import Explanation
from training.explain.gradcam import GradCam
from training.explain.lime_explainer import LimeConfig, LimeResult
from training.explain.panels import lime_overlay, overlay_heatmap, write_grid, write_panel


def _explanation(true_label=None, predicted="red") -> Explanation:
    image = np.full((48, 48, 3), 128, np.uint8)
    heat = np.zeros((48, 48), np.float32)
    heat[6:18, 6:18] = 1.0
    segments = np.repeat(np.arange(4), 12)[None, :].repeat(48, 0)  # four vertical stripes
    lime = LimeResult(segments=segments, class_index=0, weights={0: 0.9, 1: 0.1, 2: -0.2, 3: 0.0}, top_segments=[0],
                      mask=segments == 0, local_r2=0.8, probability=0.9, config=LimeConfig(num_samples=10))
    labels = ("red", "green", "blue")
    scores = {"red": 0.7, "green": 0.2, "blue": 0.1}
    if predicted != "red":
        scores = {"green": 0.6, "red": 0.3, "blue": 0.1}
    return Explanation(name="img.png", image=image, labels=labels, top5=list(scores.items()),
                       grad_cam=GradCam(heat, heat[::4, ::4], 0, 3.0, 0.7, "cam_conv"), lime=lime,
                       model_name="patch model", runtime="TFLite int8", true_label=true_label)


def test_heat_map_overlay_is_red_where_the_map_is_hot_and_blue_where_cold():
    image = np.full((20, 20, 3), 128, np.uint8)
    heat = np.zeros((5, 5), np.float32)
    heat[:2, :2] = 1.0  # a coarse map: resized to the image
    out = overlay_heatmap(image, heat)
    assert out.shape == (20, 20, 3) and out.dtype == np.uint8
    hot, cold = out[0, 0].astype(int), out[19, 19].astype(int)
    assert hot[0] > hot[2] + 50  # hot corner: red
    assert cold[2] > cold[0] + 50  # cold corner: blue


def test_lime_overlay_dims_everything_but_the_chosen_superpixels():
    image = np.full((24, 24, 3), 200, np.uint8)
    segments = (np.arange(24)[None, :] // 12).repeat(24, 0)
    out = lime_overlay(image, segments, segments == 0).astype(int)
    assert out[12, 4].mean() > 190  # inside the chosen superpixel: unchanged
    assert out[12, 20].mean() < 70  # outside: dimmed
    assert (out[:, 11] == [255, 255, 0]).all(axis=-1).any()  # its outline is yellow


def test_a_panel_is_one_row_of_four_panes(tmp_path):
    path = write_panel(_explanation(true_label="red"), tmp_path / "out" / "img.png")
    with Image.open(path) as png:
        assert png.format == "PNG" and png.size == (1700, 430)


def test_a_grid_has_one_row_per_image_and_counts_the_wrong_ones(tmp_path):
    exps = [_explanation(true_label="red"), _explanation(true_label="red", predicted="green"), _explanation(true_label="blue")]
    path = write_grid(exps, tmp_path / "grid.png", title="patch model")
    with Image.open(path) as png:
        assert png.size == (1700, 3 * 430)
    assert sum(e.top5[0][0] != e.true_label for e in exps) == 2

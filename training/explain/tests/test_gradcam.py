"""Grad-CAM points at the pixels that decide the class, and the checks fail for models that don't."""

from __future__ import annotations

import numpy as np
import pytest

from training.explain.errors import ExplainError
from training.explain.gradcam import GradCamExplainer, grad_cam, grad_cam_layer_for_run
from training.explain.tests import synthetic

P = synthetic.box_mask(synthetic.P_BOX)
Q = synthetic.box_mask(synthetic.Q_BOX)


def peak_inside(heatmap: np.ndarray, region: np.ndarray) -> bool:
    """Does the heat map's maximum fall inside `region`?"""
    return bool(region[np.unravel_index(np.argmax(heatmap), heatmap.shape)])


def peak_rate(heatmaps, region) -> float:
    """Fraction of heat maps whose peak falls inside `region` (the check: at least 0.75)."""
    return float(np.mean([peak_inside(h, region) for h in heatmaps]))


def heatmaps(model, images) -> list[np.ndarray]:
    explainer = GradCamExplainer(model, synthetic.CAM_LAYER)
    return [explainer.explain(synthetic.normalise(image)).heatmap for image in images]


def test_grad_cam_peak_falls_inside_the_class_deciding_patch(patch_model, patch_data):
    maps = heatmaps(patch_model, patch_data[1].images)
    assert peak_rate(maps, P) >= 0.75
    assert maps[0].shape == (synthetic.SIZE, synthetic.SIZE)
    assert 0.0 <= maps[0].min() and maps[0].max() == pytest.approx(1.0, abs=1e-3)


def test_grad_cam_of_a_model_reading_another_region_fails_the_patch_check(other_region_model, patch_data):
    maps = heatmaps(other_region_model, patch_data[1].images)
    assert peak_rate(maps, P) < 0.75
    assert peak_rate(maps, P) <= 0.1
    assert peak_rate(maps, Q) >= 0.75  # it does point at what that model reads


def test_a_shuffled_heat_map_fails_the_patch_check(patch_model, patch_data):
    rng = np.random.default_rng(0)
    maps = heatmaps(patch_model, patch_data[1].images)
    shuffled = [rng.permutation(m.ravel()).reshape(m.shape) for m in maps]
    assert peak_rate(shuffled, P) < 0.75
    assert peak_rate(shuffled, P) <= 0.25


def test_grad_cam_explains_the_requested_class_with_its_pre_softmax_logit(patch_model, patch_data):
    image = synthetic.normalise(patch_data[1].images[0])
    probs = patch_model.predict(image[None], verbose=0)[0]
    other = int(np.argsort(probs)[0])  # the least likely class
    cam = grad_cam(patch_model, image, synthetic.CAM_LAYER, class_index=other)
    assert cam.class_index == other
    assert cam.probability == pytest.approx(float(probs[other]), rel=1e-4, abs=1e-6)
    top = grad_cam(patch_model, image, synthetic.CAM_LAYER)
    assert top.class_index == int(np.argmax(probs))
    # log-probabilities differ by logit differences: the logit is pre-softmax
    assert top.logit - cam.logit == pytest.approx(np.log(probs[top.class_index]) - np.log(probs[other]), rel=1e-3)


def test_grad_cam_names_a_missing_layer(patch_model):
    with pytest.raises(ExplainError, match="Layer 'block99_conv' is not in model 'patch_reader'"):
        GradCamExplainer(patch_model, "block99_conv")


def test_grad_cam_refuses_a_layer_without_a_spatial_map(patch_model):
    with pytest.raises(ExplainError, match="spatial feature map. Received: layer 'avg_pool'"):
        GradCamExplainer(patch_model, "avg_pool")


def test_grad_cam_refuses_an_image_of_another_size(patch_model):
    with pytest.raises(ExplainError, match=r"input size \(48, 48\). Received: shape \(40, 48, 3\)"):
        GradCamExplainer(patch_model, synthetic.CAM_LAYER).explain(np.zeros((40, 48, 3), np.float32))


def test_grad_cam_layer_of_a_run_is_the_registered_one(tmp_path):
    (tmp_path / "config.toml").write_text('name = "lite0"\nbackbone = "efficientnet_lite0"\n')
    assert grad_cam_layer_for_run(tmp_path / "model.keras") == "head_relu6"


def test_grad_cam_layer_of_a_run_without_config_says_what_to_do(tmp_path):
    with pytest.raises(ExplainError, match=r"No config.toml beside .*model.keras.*--layer NAME"):
        grad_cam_layer_for_run(tmp_path / "model.keras")


def test_grad_cam_layer_of_an_unknown_backbone_names_it(tmp_path):
    (tmp_path / "config.toml").write_text('name = "x"\nbackbone = "alexnet"\n')
    with pytest.raises(ExplainError, match="Unknown backbone 'alexnet'"):
        grad_cam_layer_for_run(tmp_path / "model.keras")


@pytest.mark.parametrize("name", ["efficientnet_lite0", "resnet50", "vgg16", "inception_v3"])
def test_grad_cam_runs_on_the_classifier_of_each_registered_backbone(name):
    from training.backbones.registry import BACKBONES
    from training.config import TrainConfig
    from training.trainer import build_classifier

    if name not in BACKBONES:
        pytest.skip(f"{name} is not registered here")
    spec = BACKBONES[name]
    size = 75 if name == "inception_v3" else 64  # small inputs (75: InceptionV3's minimum)
    model, _, _ = build_classifier(TrainConfig(name="t", backbone=name, image_size=size, weights="none"), 5)
    image = np.random.default_rng(0).normal(0, 1, (size, size, 3)).astype(np.float32)
    cam = GradCamExplainer(model, spec.grad_cam_layer).explain(image, class_index=3)
    assert cam.layer == spec.grad_cam_layer and cam.class_index == 3
    assert cam.heatmap.shape == (size, size) and np.isfinite(cam.heatmap).all()
    assert cam.coarse.shape == tuple(model.get_layer(spec.grad_cam_layer).output.shape[1:3])
    assert 0.0 <= cam.heatmap.min() and cam.heatmap.max() <= 1.0

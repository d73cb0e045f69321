"""The TFLite twin's forward-only CAM points at the patch, matches the deployed int8 model, and its controls fail."""

from __future__ import annotations

import numpy as np
import pytest

from training.explain.cam_tflite import TfliteCam, build_cam_model, class_weights, export_cam_tflite
from training.explain.errors import ExplainError
from training.explain.tests import synthetic
from training.explain.tests.test_gradcam import P, Q, peak_rate


@pytest.fixture(scope="module")
def int8_twin(patch_model, patch_data, tmp_path_factory):
    # Calibrated on the very images the deployed int8 fixture was calibrated on, as the CLI does.
    calibration = synthetic.normalise(patch_data[0].images[:64])
    path = export_cam_tflite(build_cam_model(patch_model, synthetic.CAM_LAYER),
                             tmp_path_factory.mktemp("twin") / "twin_int8.tflite", calibration)
    return TfliteCam(path, synthetic.MEAN, synthetic.STD, class_weights(patch_model))


def test_the_int8_twin_cam_peak_falls_inside_the_patch(int8_twin, patch_data):
    test = patch_data[1]
    results = [int8_twin.explain(image) for image in test.images]
    assert int8_twin.runtime == "TFLite int8 twin"
    assert peak_rate([r.heatmap for r in results], P) >= 0.75
    assert [r.class_index for r in results] == list(test.p_labels)


def test_the_int8_twin_scores_like_the_deployed_int8_model(int8_twin, patch_tflite_int8, patch_data):
    from flowerlite import Classifier

    from training.explain.explanation import model_batch

    images = patch_data[1].images
    with Classifier(patch_tflite_int8) as deployed:
        expected = deployed.scores(model_batch(deployed, images))
    twin = np.array([[int8_twin.explain(image, class_index=c).probability for c in range(3)] for image in images])
    assert np.abs(twin - expected).max() <= 1 / 255 + 1e-6  # at most one uint8 output step apart


def test_the_cam_of_a_model_reading_another_region_fails_the_patch_check(other_region_model, patch_data, tmp_path):
    path = export_cam_tflite(build_cam_model(other_region_model, synthetic.CAM_LAYER), tmp_path / "twin.tflite")
    twin = TfliteCam(path, synthetic.MEAN, synthetic.STD, class_weights(other_region_model))
    maps = [twin.explain(image).heatmap for image in patch_data[1].images]
    assert twin.runtime == "TFLite float32 twin"
    assert peak_rate(maps, P) <= 0.1
    assert peak_rate(maps, Q) >= 0.75


def test_class_maps_average_to_the_logits(patch_model, patch_data):
    import tensorflow as tf

    cam_model = build_cam_model(patch_model, synthetic.CAM_LAYER)
    x = synthetic.normalise(patch_data[1].images[:2])
    probs, fmap = (np.asarray(t) for t in cam_model(x, training=False))
    kernel, bias = class_weights(patch_model)
    maps = fmap @ kernel  # (N, h, w, classes): one CAM per class
    np.testing.assert_allclose(tf.nn.softmax(maps.mean(axis=(1, 2)) + bias).numpy(), probs, atol=1e-5)
    np.testing.assert_allclose(probs, patch_model.predict(x, verbose=0), atol=1e-6)


def test_a_layer_that_does_not_feed_the_pooling_is_refused(patch_model):
    with pytest.raises(ExplainError, match="through global average pooling alone"):
        build_cam_model(patch_model, "conv2")
    with pytest.raises(ExplainError, match=r"Received: output shape \(None, 48, 48, 16\)"):
        build_cam_model(patch_model, "conv1")

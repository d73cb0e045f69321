"""Every registered backbone against its declared contract, and the keras.applications weights paths."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from training.backbones.keras_apps import KERAS_APPS
from training.backbones.registry import BACKBONES, get_backbone
from training.errors import ConfigError, WeightsError

keras = pytest.importorskip("keras")


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_each_registered_backbone_builds_what_its_config_declares(name):
    spec = BACKBONES[name]
    model = spec.build(weights=None)
    layers = {layer.name: layer for layer in model.layers}

    assert tuple(model.input.shape) == (None, spec.input_size, spec.input_size, 3)
    assert len(model.output.shape) == 4 and model.output.shape[1] >= 1 and model.output.shape[-1] >= 256
    assert spec.grad_cam_layer in layers, f"{name}: grad_cam_layer {spec.grad_cam_layer!r} is not a layer"
    assert len(layers[spec.grad_cam_layer].output.shape) == 4
    assert spec.fine_tune_from in layers, f"{name}: fine_tune_from {spec.fine_tune_from!r} is not a layer"
    # Phase 2 fine-tunes the top: the first unfrozen layer comes after the stem.
    assert 0.25 < list(layers).index(spec.fine_tune_from) / len(layers) < 1
    assert len(spec.mean) == len(spec.std) == 3 and min(spec.std) > 0
    assert all(0 <= m <= 255 for m in spec.mean)


def test_an_unknown_backbone_names_the_known_ones():
    with pytest.raises(ConfigError, match=r"Unknown backbone 'resnet18': choose one of .*efficientnet_lite0.*inception_v3.*resnet50.*vgg16"):
        get_backbone("resnet18")


def _save_legacy_h5(model, path):
    """Write weights in the legacy Keras HDF5 layout of the keras.applications `_notop.h5` files."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return path


@pytest.mark.parametrize(
    "name, size, preprocess",
    [
        ("resnet50", 32, "keras.applications.resnet50"),
        ("vgg16", 32, "keras.applications.vgg16"),
        ("inception_v3", 75, "keras.applications.inception_v3"),
    ],
)
def test_a_local_weights_file_with_rgb_mean_std_matches_the_keras_preprocessing(name, size, preprocess, tmp_path):
    import importlib

    app = KERAS_APPS[name]
    keras.utils.set_random_seed(0)
    original = getattr(keras.applications, app.constructor)(include_top=False, weights=None, input_shape=(size, size, 3))
    path = _save_legacy_h5(original, tmp_path / f"{name}_notop.h5")
    spec = get_backbone(name)

    ours = spec.build(weights=path, input_size=size)

    rgb = np.random.default_rng(1).uniform(0, 255, (2, size, size, 3)).astype(np.float32)
    # Eager calls: tracing predict() costs seconds per model on a busy 2-core machine.
    expected = np.asarray(original(importlib.import_module(preprocess).preprocess_input(rgb.copy()), training=False))
    received = np.asarray(ours((rgb - np.array(spec.mean, np.float32)) / np.array(spec.std, np.float32), training=False))
    assert np.abs(expected).max() > 1e-3
    np.testing.assert_allclose(received, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_a_missing_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(WeightsError, match=rf"Weights file not found: {tmp_path / 'nope.h5'} \(expected the keras.applications file from https://"):
        get_backbone("vgg16").build(weights=tmp_path / "nope.h5", input_size=32)


def test_a_corrupt_weights_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "vgg16_notop.h5"
    bad.write_bytes(b"this is not an HDF5 file")
    with pytest.raises(WeightsError, match=rf"Cannot load vgg16 weights from {bad} .* expected the include_top=False file vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"):
        get_backbone("vgg16").build(weights=bad, input_size=32)


def test_weights_of_another_architecture_are_a_clear_error(tmp_path):
    other = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(8, 3, name="conv")])
    path = _save_legacy_h5(other, tmp_path / "other_notop.h5")
    with pytest.raises(WeightsError, match=rf"Cannot load resnet50 weights from {path}"):
        get_backbone("resnet50").build(weights=path, input_size=32)


def test_an_unreachable_imagenet_download_is_a_clear_error(monkeypatch):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("FLOWERLITE_KERAS_WEIGHTS_URL", f"http://127.0.0.1:{port}")

    with pytest.raises(WeightsError) as excinfo:
        get_backbone("vgg16").build(weights="imagenet", input_size=32)
    message = str(excinfo.value)
    assert f"Cannot download ImageNet weights for vgg16 from http://127.0.0.1:{port}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5" in message
    assert 'Offline: fetch that file on another machine and set weights = "/path/to/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"' in message


def test_an_input_below_the_architecture_minimum_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"inception_v3 needs images of at least 75 px. Received: image_size=64"):
        get_backbone("inception_v3").build(weights=None, input_size=64)


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_grad_cam_reaches_the_declared_layer_of_the_full_classifier(name):
    import tensorflow as tf

    from training.config import config_from_dict
    from training.trainer import build_classifier

    size = max(32, KERAS_APPS[name].min_size if name in KERAS_APPS else 32)
    config = config_from_dict({"name": f"cam_{name}", "backbone": name, "image_size": size, "weights": "none"})
    model, _, _ = build_classifier(config, num_classes=5, weights=None)
    layer = model.get_layer(BACKBONES[name].grad_cam_layer)
    probe = keras.Model(model.input, [layer.output, model.output])

    x = tf.random.stateless_uniform((1, size, size, 3), seed=(1, 2), minval=-1, maxval=1)
    with tf.GradientTape() as tape:
        feature_map, probs = probe(x, training=False)
        score = probs[0, int(tf.argmax(probs[0]))]
    grads = tape.gradient(score, feature_map)

    assert len(feature_map.shape) == 4 and grads is not None and grads.shape == feature_map.shape
    assert float(tf.reduce_max(tf.abs(grads))) > 0

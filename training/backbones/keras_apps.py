"""ResNet50, VGG16 and InceptionV3 from `keras.applications`, each with its preprocessing as mean/std.

The SDK only computes (x - mean) / std on RGB 0-255 pixels, so each contract is expressed that way:
- ResNet50 and VGG16 were trained in Caffe mode: BGR pixels minus the ImageNet means.  The BGR
  swap is folded into the model by reversing the input channels of the first convolution's kernel
  (exact, and costs nothing at inference); what is left is RGB minus (123.68, 116.779, 103.939).
- InceptionV3 was trained in 'tf' mode, x / 127.5 - 1, that is mean 127.5 and std 127.5.

Weights: "imagenet" (downloaded once by Keras into weights/keras under `flowerlite.contract.cache_dir()`,
that is $FLOWERLITE_CACHE, else $XDG_CACHE_HOME/flowerlite or ~/.cache/flowerlite; from
storage.googleapis.com or the mirror in $FLOWERLITE_KERAS_WEIGHTS_URL), the path of the
keras.applications `..._notop.h5` file for offline users, or None (random, for tests).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from training.backbones.registry import BackboneSpec, register_backbone, weights_cache_dir
from training.errors import ConfigError, WeightsError

__all__ = ["KERAS_APPS", "KerasApp", "KERAS_WEIGHTS_URL", "imagenet_weights_url"]

KERAS_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications"
CAFFE_MEAN_RGB = (123.68, 116.779, 103.939)  # Caffe's BGR ImageNet means, listed in RGB order


@dataclass(frozen=True)
class KerasApp:
    """One keras.applications backbone: constructor, contract and where its ImageNet weights live."""

    name: str
    constructor: str  # attribute of keras.applications
    input_size: int
    min_size: int  # the smallest input the architecture accepts
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    grad_cam_layer: str
    fine_tune_from: str
    weights_file: str  # file name under KERAS_WEIGHTS_URL (the include_top=False weights)
    weights_md5: str  # as checked by keras.applications
    bgr_conv: str | None  # first convolution, whose kernel gets the RGB->BGR swap (Caffe mode)


KERAS_APPS = {
    app.name: app
    for app in (
        # Phase 2 fine-tunes the last stage: everything after the named layer's output.
        KerasApp("resnet50", "ResNet50", 224, 32, CAFFE_MEAN_RGB, (1.0, 1.0, 1.0), "conv5_block3_out", "conv4_block6_out",
                 "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "4d473c1dd8becc155b73f8504c6f6626", "conv1_conv"),
        KerasApp("vgg16", "VGG16", 224, 32, CAFFE_MEAN_RGB, (1.0, 1.0, 1.0), "block5_conv3", "block5_conv1",
                 "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc", "block1_conv1"),
        KerasApp("inception_v3", "InceptionV3", 299, 75, (127.5, 127.5, 127.5), (127.5, 127.5, 127.5), "mixed10", "mixed8",
                 "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63", None),
    )
}


def imagenet_weights_url(app: KerasApp) -> str:
    """Where the ImageNet weights of `app` are downloaded from ($FLOWERLITE_KERAS_WEIGHTS_URL mirrors it)."""
    base = os.environ.get("FLOWERLITE_KERAS_WEIGHTS_URL") or KERAS_WEIGHTS_URL
    return f"{base.rstrip('/')}/{app.weights_file}"


def _download(app: KerasApp) -> Path:
    import keras

    url = imagenet_weights_url(app)
    fname = Path(app.weights_file).name
    try:
        return Path(keras.utils.get_file(fname, url, cache_dir=str(weights_cache_dir()), cache_subdir="keras", file_hash=app.weights_md5))
    except Exception as exc:  # Keras raises a bare Exception for network failures, ValueError for a bad hash
        raise WeightsError(
            f"Cannot download ImageNet weights for {app.name} from {url} ({exc}). Offline: fetch that file on "
            f"another machine and set weights = \"/path/to/{fname}\" in the config"
        ) from None


def _swap_rgb_bgr(layer) -> None:
    """Reverse the input channels of a convolution kernel, so RGB input acts as the BGR it was trained on."""
    weights = layer.get_weights()
    weights[0] = weights[0][:, :, ::-1, :].copy()  # kernel is (kh, kw, in, out)
    layer.set_weights(weights)


def _builder(app: KerasApp):
    def build(input_shape, weights):
        import keras

        if min(input_shape[:2]) < app.min_size:
            raise ConfigError(f"{app.name} needs images of at least {app.min_size} px. Received: image_size={input_shape[0]}")
        path = None
        if weights == "imagenet":
            path = _download(app)
        elif weights is not None:
            path = Path(weights)
            if not path.is_file():
                raise WeightsError(f"Weights file not found: {path} (expected the keras.applications file from {imagenet_weights_url(app)})")
        model = getattr(keras.applications, app.constructor)(include_top=False, weights=None, input_shape=tuple(input_shape))
        if path is not None:
            try:
                model.load_weights(path)
            except Exception as exc:  # h5py and Keras raise many types for a bad or foreign file
                raise WeightsError(
                    f"Cannot load {app.name} weights from {path} ({type(exc).__name__}: {exc}); expected the "
                    f"include_top=False file {Path(app.weights_file).name} from {imagenet_weights_url(app)}"
                ) from None
            if app.bgr_conv:
                _swap_rgb_bgr(model.get_layer(app.bgr_conv))
        return model

    return build


@register_backbone
def keras_applications() -> list[BackboneSpec]:
    """The keras.applications backbones of KERAS_APPS, with ImageNet weights downloaded by Keras."""
    return [
        BackboneSpec(
            name=app.name,
            input_size=app.input_size,
            mean=app.mean,
            std=app.std,
            builder=_builder(app),
            grad_cam_layer=app.grad_cam_layer,
            fine_tune_from=app.fine_tune_from,
            description=f"{app.constructor} from keras.applications (ImageNet weights downloaded by Keras)",
        )
        for app in KERAS_APPS.values()
    ]

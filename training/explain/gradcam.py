"""Grad-CAM on a trained Keras classifier, at the convolutional layer its backbone declares.

The layer is never guessed: it is the registry's `BackboneSpec.grad_cam_layer` for the run's
backbone (read from the run directory's config.toml), or one the caller names.  The class score
is the pre-softmax logit, computed from the head's Dense kernel and bias, because gradients of
a saturated softmax vanish and give noisy maps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.checksums import CONFIG_FILE, read_run_config
from training.errors import ConfigError
from training.explain.errors import ExplainError
from training.explain.head import head_parts

__all__ = ["GradCam", "GradCamExplainer", "grad_cam", "grad_cam_layer_for_run", "load_classifier", "normalise"]


@dataclass
class GradCam:
    """A Grad-CAM heat map for one image and one class.

    `heatmap` is at the model's input resolution, in [0, 1]; `coarse` is the map at the
    layer's own resolution (before upsampling), also in [0, 1].
    """

    heatmap: np.ndarray
    coarse: np.ndarray
    class_index: int
    logit: float
    probability: float
    layer: str


def grad_cam_layer_for_run(model_path: str | Path) -> str:
    """The Grad-CAM layer the registry declares for the backbone of the run holding `model_path`."""
    from training.backbones.registry import get_backbone

    run_dir = Path(model_path).parent
    if not (run_dir / CONFIG_FILE).exists():
        raise ExplainError(
            f"No {CONFIG_FILE} beside {model_path}: cannot tell its backbone. Pass the layer explicitly "
            f"(--layer NAME), or point at a run directory's model.keras"
        )
    try:
        return get_backbone(read_run_config(run_dir).backbone).grad_cam_layer
    except ConfigError as exc:
        raise ExplainError(f"{run_dir / CONFIG_FILE}: {exc}") from None


def load_classifier(model_path: str | Path):
    """Load a run's model.keras (normalised float image -> softmax) for inference."""
    import keras

    import training.backbones.registry  # noqa: F401  (registers any custom layers the backbones use)

    path = Path(model_path)
    if not path.exists():
        raise ExplainError(f"Keras model not found: {path}. Train one with `python -m training train` (runs/<name>/model.keras)")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as exc:  # keras raises many types for a bad or foreign file
        raise ExplainError(f"Cannot load Keras model {path}: {exc}") from None


def normalise(image: np.ndarray, mean, std) -> np.ndarray:
    """0-255 RGB (H, W, 3) -> the float input the Keras model was trained on, (x - mean) / std."""
    return (np.asarray(image, np.float32) - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)


class GradCamExplainer:
    """Grad-CAM for one classifier and layer; build once, explain many images.

    Raises:
        ExplainError: if `layer` is missing or not spatial, or the model has no Dense head.
    """

    def __init__(self, model, layer: str):
        import keras

        try:
            target = model.get_layer(layer)
        except ValueError:
            raise ExplainError(f"Layer {layer!r} is not in model {model.name!r}: is the run's backbone the registered one?") from None
        if len(target.output.shape) != 4:
            raise ExplainError(f"Grad-CAM needs a spatial feature map. Received: layer {layer!r} with output shape {target.output.shape}")
        features, self.before, self.dense = head_parts(model)
        self.model = keras.Model(model.input, [target.output, features])
        self.input_size = tuple(model.input_shape[1:3])
        self.layer = layer

    def _forward(self, batch, class_index=None):
        import tensorflow as tf

        x = tf.convert_to_tensor(batch, tf.float32)
        with tf.GradientTape() as tape:
            fmap, pooled = self.model(x, training=False)
            for layer in self.before:  # dropout etc.: identity at inference
                pooled = layer(pooled, training=False)
            logits = tf.matmul(pooled, self.dense.kernel) + self.dense.bias
            chosen = tf.argmax(logits, axis=1) if class_index is None else tf.fill([tf.shape(x)[0]], tf.cast(class_index, tf.int64))
            score = tf.gather(logits, chosen, axis=1, batch_dims=1)
        grads = tape.gradient(score, fmap)
        return fmap.numpy(), grads.numpy(), logits.numpy(), chosen.numpy()

    def explain(self, image: np.ndarray, class_index: int | None = None) -> GradCam:
        """Grad-CAM for one normalised image (H, W, 3); default class: the model's top one."""
        import tensorflow as tf

        image = np.asarray(image, np.float32)
        if image.ndim != 3 or image.shape[:2] != self.input_size:
            raise ExplainError(f"Grad-CAM needs an image of the model's input size {self.input_size}. Received: shape {image.shape}")
        fmap, grads, logits, chosen = self._forward(image[None], class_index)
        # Channel weights: spatially averaged gradients (Selvaraju et al. 2017, eq. 1).
        weights = grads[0].mean(axis=(0, 1))
        cam = np.maximum((fmap[0] * weights).sum(axis=-1), 0.0)
        coarse = cam / cam.max() if cam.max() > 0 else cam
        heatmap = tf.image.resize(coarse[..., None], self.input_size, method="bilinear").numpy()[..., 0]
        index = int(chosen[0])
        probs = tf.nn.softmax(logits[0]).numpy()
        return GradCam(heatmap=np.clip(heatmap, 0.0, 1.0), coarse=coarse, class_index=index,
                       logit=float(logits[0, index]), probability=float(probs[index]), layer=self.layer)


def grad_cam(model, image: np.ndarray, layer: str, class_index: int | None = None) -> GradCam:
    """Grad-CAM of `model` for one normalised image (H, W, 3) at `layer`; default class: the top one.

    Raises:
        ExplainError: if `layer` is missing, not spatial, or the model has no Dense head.
    """
    return GradCamExplainer(model, layer).explain(image, class_index)

"""Forward-only class activation maps (CAM) from a TFLite twin of the deployed model.

For a head of global average pooling then Dense, logit_c = mean over positions of
(feature map . W[:, c]) + b_c, so the map (feature map . W[:, c]) says where class c's evidence is
(Zhou et al. 2016).  The twin is the trained Keras classifier with the feature map as a second
output, converted like a release file (float32, or full-integer int8 with uint8 input and output), so the
map comes from the same quantised arithmetic the deployed model runs.  The release exporter and
its files are left untouched: the twin is a separate file written next to the explanations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.explain.errors import ExplainError
from training.explain.head import head_parts

__all__ = ["CamResult", "TfliteCam", "build_cam_model", "class_weights", "export_cam_tflite"]


@dataclass
class CamResult:
    """A class activation map from the TFLite twin, for one image and one class."""

    heatmap: np.ndarray  # (H, W) at the model's input resolution, in [0, 1]
    coarse: np.ndarray  # (h, w) at the feature map's resolution, in [0, 1]
    class_index: int
    probability: float  # the twin's own (from the run's Keras model: no release temperature)
    runtime: str  # e.g. "TFLite int8 twin"
    top_index: int = -1  # the twin's own top class


def build_cam_model(model, layer: str):
    """`model` with a second output: the feature map at `layer`, which the head pools and weighs.

    The feature map (not per-class maps) is the extra output: it is a tensor the deployed model
    computes anyway, so int8 keeps its own quantisation (per-class maps would share one uint8
    scale across all classes and flatten a weak class's map to zero).

    Raises:
        ExplainError: if `layer` does not feed the head through global average pooling alone.
    """
    import keras

    features, before, dense = head_parts(model)
    fmap = model.get_layer(layer).output
    if len(fmap.shape) != 4 or fmap.shape[-1] != dense.kernel.shape[0]:
        raise ExplainError(f"CAM needs {layer!r} to be the feature map the head pools. Received: output shape {fmap.shape}")
    cam_model = keras.Model(model.input, [model.output, fmap], name=f"{model.name}_cam")
    _check_pooling(cam_model, class_weights(model), model.input_shape[1:])
    return cam_model


def class_weights(model) -> tuple[np.ndarray, np.ndarray]:
    """(kernel (channels, classes), bias (classes,)) of the classifier's final Dense layer."""
    _, _, dense = head_parts(model)
    return np.asarray(dense.kernel), np.asarray(dense.bias)


def _check_pooling(cam_model, weights, shape) -> None:
    # CAM is exact only when the head's input is the spatial mean of the map: check it numerically.
    kernel, bias = weights
    x = np.random.default_rng(0).normal(0, 1, (1, *shape)).astype(np.float32)
    probs, fmap = (np.asarray(t) for t in cam_model(x, training=False))
    logits = fmap.mean(axis=(1, 2)) @ kernel + bias
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    if not np.allclose(expected, probs, atol=1e-4):
        raise ExplainError("CAM needs the Grad-CAM layer to feed the Dense head through global average pooling "
                           "alone (as EfficientNet-Lite's head_relu6 does); use Grad-CAM for this backbone")


def export_cam_tflite(cam_model, path: str | Path, calibration: np.ndarray | None = None) -> Path:
    """Convert the twin to TFLite: float32, or int8 (uint8 in/out) when normalised `calibration` images are given."""
    from training.export.exporter import convert_model
    from training.export.quantization import QuantizationConfig

    config = QuantizationConfig.for_float32() if calibration is None else QuantizationConfig.for_int8(calibration)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(convert_model(cam_model, config))
    return path


class TfliteCam:
    """Runs a CAM twin with the TFLite runtime; the map is its feature map weighed by the class's Dense weights.

    `weights` is `class_weights(keras_model)`: the float Dense kernel (the int8 file's own kernel
    is the same, rounded per output channel).
    """

    def __init__(self, path: str | Path, mean, std, weights: tuple[np.ndarray, np.ndarray]):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(path))
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        outputs = self.interpreter.get_output_details()
        self.probs = next(o for o in outputs if len(o["shape"]) == 2)
        self.fmap = next(o for o in outputs if len(o["shape"]) == 4)
        self.kernel = np.asarray(weights[0], np.float32)
        self.mean, self.std = mean, std
        kind = "int8" if self.input["dtype"] in (np.uint8, np.int8) else "float32"
        self.runtime = f"TFLite {kind} twin"

    def _output(self, detail) -> np.ndarray:
        value = self.interpreter.get_tensor(detail["index"])[0].astype(np.float32)
        scale, zero = detail["quantization"]
        return (value - zero) * scale if scale else value

    def explain(self, crop: np.ndarray, class_index: int | None = None) -> CamResult:
        """CAM for one uint8 crop of the model's input size; default class: the twin's top one."""
        from flowerlite.preprocessing import to_input_tensor
        from PIL import Image

        scale, zero = self.input["quantization"]
        tensor = to_input_tensor(crop, mean=self.mean, std=self.std, dtype=self.input["dtype"], scale=scale, zero_point=zero)
        self.interpreter.set_tensor(self.input["index"], tensor[None])
        self.interpreter.invoke()
        probs, fmap = self._output(self.probs), self._output(self.fmap)
        index = int(np.argmax(probs)) if class_index is None else int(class_index)
        cam = np.maximum(fmap @ self.kernel[:, index], 0.0)
        coarse = cam / cam.max() if cam.max() > 0 else cam
        size = crop.shape[:2]
        heatmap = np.asarray(Image.fromarray(coarse.astype(np.float32)).resize((size[1], size[0]), Image.BILINEAR))
        return CamResult(np.clip(heatmap, 0, 1), coarse, index, float(probs[index]), self.runtime, int(np.argmax(probs)))

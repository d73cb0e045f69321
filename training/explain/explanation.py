"""One image explained three ways: the deployed model's top-5, Grad-CAM (Keras) and LIME (TFLite).

Every pane explains the same class: the deployed TFLite model's top prediction.  The image is
resized and centre-cropped once, with the SDK's rule, and every method sees that crop.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from flowerlite.contract import top_k_indices

from training.explain.deployed import model_batch, model_facts
from training.explain.errors import ExplainError
from training.explain.gradcam import GradCam, GradCamExplainer, normalise

__all__ = ["Explanation", "ImageExplainer", "model_batch", "model_facts"]  # the last two from `deployed`


@dataclass
class Explanation:
    """Everything a panel shows for one image."""

    name: str
    image: np.ndarray  # uint8 (H, W, 3): the crop the deployed model sees
    labels: Sequence[str]  # the deployed model's labels, from its metadata
    top5: list[tuple[str, float]]  # deployed model's labels and probabilities, best first
    grad_cam: GradCam | None
    lime: object | None  # LimeResult, when LIME ran
    model_name: str
    runtime: str  # e.g. "TFLite int8"
    true_label: str | None = None
    cam: object | None = None  # CamResult from the TFLite twin, when asked for

    def class_label(self, index: int) -> str:
        """The deployed model's label for class `index`."""
        return self.labels[index]

    @property
    def predicted_index(self) -> int:
        """Index of the deployed model's top class."""
        return self.labels.index(self.top5[0][0])


class ImageExplainer:
    """Explain images with a deployed classifier (SDK) and, optionally, its Keras model.

    `keras_model`, `layer`, `mean` and `std` enable Grad-CAM; `lime_config` (a `LimeConfig`)
    enables LIME; `cam` (a `TfliteCam` twin) adds the forward-only class activation map.
    """

    def __init__(self, classifier, *, keras_model=None, layer: str | None = None, mean=None, std=None,
                 lime_config=None, cam=None, model_path: str | Path = ""):
        self.classifier = classifier
        self.facts = model_facts(classifier, model_path)
        self.grad_cam = None
        if keras_model is not None:
            if layer is None or mean is None or std is None:
                raise ExplainError("Grad-CAM needs the layer and the Keras model's mean/std")
            self.grad_cam = GradCamExplainer(keras_model, layer)
            if len(keras_model.output_shape) != 2 or keras_model.output_shape[-1] != len(self.facts.labels):
                raise ExplainError(
                    f"The Keras model has {keras_model.output_shape[-1]} classes, the TFLite model "
                    f"{len(self.facts.labels)} labels: are they from the same run?")
        self.keras_size = tuple(keras_model.input_shape[1:3]) if keras_model is not None else None
        self.mean, self.std = mean, std
        self.lime_config = lime_config
        self.cam = cam

    def crop(self, image) -> np.ndarray:
        """An image (path, PIL image or uint8 array) resized and centre-cropped as the model sees it."""
        return self._crop_to(image, self.facts.input_size)

    @staticmethod
    def _crop_to(image, size: tuple[int, int]) -> np.ndarray:
        from flowerlite.preprocessing import load_image, resize_and_crop

        return np.asarray(resize_and_crop(load_image(image), size), dtype=np.uint8)

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """Deployed-model probabilities for a batch of crops (N, H, W, 3)."""
        return np.asarray(self.classifier.scores(model_batch(self.classifier, crops)))

    def explain(self, image, name: str = "", true_label: str | None = None) -> Explanation:
        """Top-5, Grad-CAM and LIME for one image, all for the deployed model's top class."""
        crop = self.crop(image)
        probs = self.predict(crop[None])[0]
        order = top_k_indices(probs, 5)  # ties in label order, as the SDK sorts
        top5 = [(self.facts.labels[i], float(probs[i])) for i in order]
        target = int(order[0])
        # The Keras model (and its TFLite twin) may take another size than the deployed file.
        keras_crop = crop if self.keras_size in (None, crop.shape[:2]) else self._crop_to(image, self.keras_size)
        grad = None
        if self.grad_cam is not None:
            grad = self.grad_cam.explain(normalise(keras_crop, self.mean, self.std), class_index=target)
        cam = self.cam.explain(keras_crop, class_index=target) if self.cam is not None else None
        lime = None
        if self.lime_config is not None:
            from training.explain.lime_explainer import explain_with_lime

            lime = explain_with_lime(self.classifier, crop, self.lime_config, class_index=target)
        return Explanation(
            name=name or (Path(image).name if isinstance(image, (str, Path)) else "image"),
            image=crop, labels=self.facts.labels, top5=top5, grad_cam=grad, lime=lime,
            model_name=self.facts.name, runtime=self.facts.runtime, true_label=true_label, cam=cam,
        )

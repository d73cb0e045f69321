"""LIME over the deployed TFLite model, through the SDK, so int8 predictions can be explained.

LIME perturbs the image the model actually sees (already resized and centre-cropped by
`flowerlite.preprocessing.resize_and_crop`), so superpixels line up with the model's pixels.
The perturbed images go through the SDK in batches: `flowerlite.preprocessing.to_input_tensor`
normalises and quantises each one with the model's contract (`Classifier.info`, read from its
metadata), and `Classifier.scores` runs the batch on the interpreter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.explain.deployed import model_batch
from training.explain.errors import ExplainError

try:
    from lime.lime_image import LimeImageExplainer
    from lime.wrappers.scikit_image import SegmentationAlgorithm
except ImportError:  # an optional extra
    raise ExplainError("LIME explanations need the `explain` extra: pip install -e '.[explain]' (lime, scikit-image)") from None

__all__ = ["LimeConfig", "LimeResult", "explain_with_lime"]


@dataclass(frozen=True)
class LimeConfig:
    """How LIME samples and segments; the seed makes an explanation repeatable."""

    num_samples: int = 1000
    seed: int = 0
    batch_size: int = 64
    num_features: int = 5  # superpixels shown as the explanation
    # Hidden superpixels are painted this RGB value. LIME's own default (each superpixel's mean
    # colour) hides nothing on flat regions such as a petal, so black is the documented choice.
    hide_color: int = 0
    segmentation: str = "quickshift"  # "quickshift" (LIME's default), "slic" or "felzenszwalb"
    # quickshift: LIME's defaults; slic: about n_segments superpixels
    kernel_size: float = 4.0
    max_dist: float = 200.0
    ratio: float = 0.2
    n_segments: int = 50
    compactness: float = 10.0


@dataclass
class LimeResult:
    """The superpixels LIME found for one class of one image."""

    segments: np.ndarray  # (H, W) superpixel id of every pixel
    class_index: int
    weights: dict[int, float]  # superpixel id -> weight in the local linear model, for class_index
    top_segments: list[int]  # the positive superpixels with the largest weights, best first
    mask: np.ndarray  # (H, W) bool: pixels of top_segments
    local_r2: float  # fit of the local linear model (LIME's `score`)
    probability: float  # the model's probability for class_index on the unperturbed image
    config: LimeConfig


def _segmenter(config: LimeConfig):
    if config.segmentation == "quickshift":
        return SegmentationAlgorithm("quickshift", kernel_size=config.kernel_size, max_dist=config.max_dist,
                                     ratio=config.ratio, random_seed=config.seed)
    if config.segmentation == "slic":
        return SegmentationAlgorithm("slic", n_segments=config.n_segments, compactness=config.compactness,
                                     start_label=0)
    if config.segmentation == "felzenszwalb":
        return SegmentationAlgorithm("felzenszwalb", scale=100, sigma=0.5, min_size=50)
    raise ExplainError(f"Unknown LIME segmentation. Received: segmentation={config.segmentation!r}; use quickshift, slic or felzenszwalb")


class _BatchedLimeExplainer(LimeImageExplainer):
    """LIME's image explainer drawing the same samples, each batch built in one vectorised step.

    lime 0.2's `data_labels` rebuilds each sample's mask with one full-image pass per hidden
    superpixel (minutes per photo at 224 px); indexing the on/off rows by the segment map gives
    the identical images in one pass.
    """

    def data_labels(self, image, fudged_image, segments, classifier_fn, num_samples, batch_size=10):
        n_features = np.unique(segments).shape[0]
        data = self.random_state.randint(0, 2, num_samples * n_features).reshape((num_samples, n_features))
        data[0, :] = 1  # the first sample is the unperturbed image, as in LIME
        labels = []
        for start in range(0, num_samples, batch_size):
            hidden = data[start : start + batch_size][:, segments] == 0  # (batch, H, W)
            labels.extend(classifier_fn(np.where(hidden[..., None], fudged_image[None], image[None])))
        return data, np.array(labels)


def classifier_fn(classifier):
    """LIME's classifier function: a batch of uint8 images of the model's size -> probabilities."""

    def predict(images: np.ndarray) -> np.ndarray:
        return np.asarray(classifier.scores(model_batch(classifier, np.asarray(images, np.uint8))), np.float64)

    return predict


def explain_with_lime(classifier, image: np.ndarray, config: LimeConfig = LimeConfig(), class_index: int | None = None) -> LimeResult:
    """LIME for one uint8 image (H, W, 3) already at the model's input size; default class: the top one.

    Raises:
        ExplainError: if the image is not an RGB uint8 array of the model's input size.
    """
    image = np.asarray(image)
    size = tuple(classifier.info.input_size)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or image.shape[:2] != size:
        raise ExplainError(
            f"LIME needs the resized-and-cropped uint8 RGB image the model sees, of size {size}. "
            f"Received: shape {image.shape}, dtype {image.dtype}"
        )
    predict = classifier_fn(classifier)
    # A fresh explainer per image: its random state is the seed, so each explanation is repeatable.
    explainer = _BatchedLimeExplainer(random_state=config.seed)
    explanation = explainer.explain_instance(
        image, predict, labels=(class_index,) if class_index is not None else (), top_labels=None if class_index is not None else 1,
        hide_color=config.hide_color, num_features=100000, num_samples=config.num_samples, batch_size=config.batch_size,
        segmentation_fn=_segmenter(config), random_seed=config.seed,
    )
    chosen = int(class_index if class_index is not None else explanation.top_labels[0])
    weights = {int(seg): float(w) for seg, w in explanation.local_exp[chosen]}
    ranked = sorted(weights, key=weights.get, reverse=True)
    top = [seg for seg in ranked if weights[seg] > 0][: config.num_features]
    segments = explanation.segments
    return LimeResult(
        segments=segments, class_index=chosen, weights=weights, top_segments=top,
        mask=np.isin(segments, top), local_r2=float(explanation.score),
        probability=float(predict(image[None])[0, chosen]), config=config,
    )



"""Temperature scaling: make the released probabilities mean what they say, without moving top-1.

MixUp/CutMix, label smoothing and a weight average leave a model under-confident (right 91% of the
time with a mean top score near 0.6).  One temperature T, fitted on val by minimising the negative
log-likelihood (Guo et al., 2017), is folded into the softmax layer: softmax(z / T) is the softmax of
a Dense layer whose kernel and bias are divided by T, so the exported graph is unchanged and so is
every argmax.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.export.errors import ExportError

__all__ = ["TemperatureFit", "fit_temperature", "apply_temperature", "scale_softmax_layer"]

_EPS = 1e-12


@dataclass(frozen=True)
class TemperatureFit:
    """The fitted temperature and what it changed on the images it was fitted on."""

    temperature: float
    images: int
    nll_before: float
    nll_after: float
    confidence_before: float  # mean top-1 probability
    confidence_after: float
    accuracy: float  # top-1, the same before and after

    def summary(self) -> str:
        """One line for logs and the model card."""
        return (f"temperature {self.temperature:.3f} fitted on {self.images} val images: negative log-likelihood "
                f"{self.nll_before:.3f} -> {self.nll_after:.3f}, mean top-1 probability {self.confidence_before:.3f} -> "
                f"{self.confidence_after:.3f} (top-1 accuracy {self.accuracy:.3f}, unchanged)")


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log(probs) / T): the probabilities a model would give with its logits divided by T."""
    logits = np.log(np.clip(np.asarray(probs, np.float64), _EPS, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return out / out.sum(axis=1, keepdims=True)


def _nll(probs: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    scaled = apply_temperature(probs, temperature)
    return float(-np.mean(np.log(np.clip(scaled[np.arange(len(labels)), labels], _EPS, 1.0))))


def fit_temperature(probs: np.ndarray, labels: np.ndarray, bounds: tuple[float, float] = (0.05, 20.0)) -> TemperatureFit:
    """The T in `bounds` minimising the NLL of softmax(log(probs) / T) (golden-section search on log T).

    Raises:
        ExportError: if there are no images or the shapes do not match.
    """
    probs, labels = np.asarray(probs), np.asarray(labels)
    if probs.ndim != 2 or len(probs) == 0 or len(probs) != len(labels):
        raise ExportError(f"Temperature fit needs (N, classes) probabilities and N labels. Received: {probs.shape} and {labels.shape}")
    lo, hi = np.log(bounds[0]), np.log(bounds[1])
    ratio = (np.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = _nll(probs, labels, np.exp(a)), _nll(probs, labels, np.exp(b))
    for _ in range(60):  # the NLL is convex in 1/T; the bracket shrinks to ~1e-12 of its width
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = _nll(probs, labels, np.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = _nll(probs, labels, np.exp(b))
    temperature = float(np.exp((lo + hi) / 2))
    scaled = apply_temperature(probs, temperature)
    return TemperatureFit(
        temperature=temperature, images=len(labels),
        nll_before=_nll(probs, labels, 1.0), nll_after=_nll(probs, labels, temperature),
        confidence_before=float(probs.max(axis=1).mean()), confidence_after=float(scaled.max(axis=1).mean()),
        accuracy=float(np.mean(probs.argmax(axis=1) == labels)),
    )


def _softmax_dense_layers(layer):
    import keras

    if isinstance(layer, keras.layers.Dense) and getattr(layer.activation, "__name__", "") == "softmax":
        yield layer
    for sub in getattr(layer, "layers", []):
        yield from _softmax_dense_layers(sub)


def scale_softmax_layer(model, temperature: float) -> None:
    """Divide the kernel and bias of the model's one softmax Dense layer by `temperature`, in place.

    Raises:
        ExportError: if the model has no softmax Dense layer, or more than one.
    """
    layers = list(_softmax_dense_layers(model))
    if len(layers) != 1:
        raise ExportError(f"Temperature scaling needs exactly one Dense layer with a softmax activation in {model.name}. "
                          f"Received: {len(layers)}")
    layer = layers[0]
    layer.set_weights([w / temperature for w in layer.get_weights()])

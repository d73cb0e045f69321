"""The classification head of a trained Keras classifier, as Grad-CAM and the TFLite CAM twin both need it."""

from __future__ import annotations

from training.explain.errors import ExplainError

__all__ = ["head_parts"]


def head_parts(model):
    """(tensor feeding the head, layers before the final Dense, the final Dense) of a classifier."""
    import keras

    last = model.layers[-1]
    if isinstance(last, keras.layers.Dense):
        dense, before = last, []
    elif hasattr(last, "layers") and last.layers and isinstance(last.layers[-1], keras.layers.Dense):
        dense, before = last.layers[-1], list(last.layers[:-1])
    else:
        raise ExplainError(
            f"Model {model.name!r} does not end in a Dense layer (or a head ending in one). "
            f"Received: last layer {last.name!r} of type {type(last).__name__}"
        )
    activation = getattr(dense.activation, "__name__", str(dense.activation))
    if activation not in ("softmax", "linear"):
        raise ExplainError(f"The final Dense layer {dense.name!r} must be softmax or linear. Received: activation={activation}")
    return last.input, before, dense

"""Temperature scaling: the fit finds the softening, the folded layer keeps every argmax."""

import numpy as np
import pytest

from training.export.errors import ExportError
from training.export.temperature import apply_temperature, fit_temperature, scale_softmax_layer


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def test_the_fit_undoes_a_known_softening():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(4000, 10))
    true = _softmax(logits)
    labels = np.array([rng.choice(10, p=p) for p in true])  # labels drawn from the calibrated model
    softened = _softmax(logits / 3.0)  # an under-confident model: every logit divided by 3

    fit = fit_temperature(softened, labels)

    assert fit.temperature == pytest.approx(1 / 3, rel=0.08)
    assert fit.nll_after < fit.nll_before
    assert fit.confidence_after > fit.confidence_before
    np.testing.assert_allclose(apply_temperature(softened, fit.temperature), true, atol=0.05)
    assert np.array_equal(apply_temperature(softened, fit.temperature).argmax(1), softened.argmax(1))


def test_a_calibrated_model_keeps_a_temperature_near_one():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2, size=(4000, 5))
    probs = _softmax(logits)
    labels = np.array([rng.choice(5, p=p) for p in probs])
    assert fit_temperature(probs, labels).temperature == pytest.approx(1.0, rel=0.1)


def test_the_fit_rejects_mismatched_inputs():
    with pytest.raises(ExportError, match=r"Received: \(3, 4\) and \(2,\)"):
        fit_temperature(np.full((3, 4), 0.25), np.array([0, 1]))


def test_folding_into_the_softmax_layer_equals_dividing_the_logits():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(2)
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    head = keras.Sequential([keras.layers.Dropout(0.2), keras.layers.Dense(4, activation="softmax", name="logits")], name="head")
    model = keras.Model(inputs, head(hidden))
    x = rng.normal(size=(32, 6)).astype(np.float32)
    before = np.asarray(model(x))

    scale_softmax_layer(model, 0.5)

    after = np.asarray(model(x))
    np.testing.assert_allclose(after, apply_temperature(before, 0.5), atol=1e-5)
    assert np.array_equal(after.argmax(1), before.argmax(1))


def test_a_model_without_one_softmax_layer_is_refused():
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ExportError, match="exactly one Dense layer with a softmax activation"):
        scale_softmax_layer(model, 2.0)

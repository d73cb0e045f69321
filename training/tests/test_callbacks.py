"""Phase-2 callbacks seeded from the epochs an interrupted fit() logged."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from training.callbacks import ResumableEarlyStopping, best_checkpoint  # noqa: E402


def _model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def _stops_after(callback, val_accuracies, first_epoch):
    callback.set_model(_model())
    callback.on_train_begin()
    for epoch, val in enumerate(val_accuracies, start=first_epoch):
        callback.on_epoch_end(epoch, {"val_accuracy": val})
        if callback.model.stop_training:
            return epoch
    return None


def test_early_stopping_counts_the_epochs_waited_before_the_interruption():
    # best 0.9 at epoch 1, then epoch 2 without improvement: one more epoch without one exhausts patience 2
    assert _stops_after(ResumableEarlyStopping([0.5, 0.9, 0.6], patience=2), [0.7, 0.8], first_epoch=3) == 3


def test_early_stopping_must_beat_the_logged_best_to_reset_its_wait():
    callback = ResumableEarlyStopping([0.5, 0.9], patience=2)
    assert _stops_after(callback, [0.85, 0.95, 0.6, 0.6], first_epoch=2) == 5
    assert callback.best == 0.95


def test_early_stopping_without_logged_epochs_behaves_like_keras():
    assert _stops_after(ResumableEarlyStopping([], patience=2), [0.5, 0.4, 0.4], first_epoch=0) == 2


def test_the_best_checkpoint_is_kept_until_a_later_epoch_beats_the_logged_best(tmp_path):
    path = tmp_path / "best.weights.h5"
    model = _model()
    model.save_weights(path)
    before = path.read_bytes()
    model.set_weights([np.ones_like(w) for w in model.get_weights()])
    checkpoint = best_checkpoint(path, [0.5, 0.9])
    checkpoint.set_model(model)
    checkpoint.on_train_begin()

    checkpoint.on_epoch_end(2, {"val_accuracy": 0.8})
    assert path.read_bytes() == before
    checkpoint.on_epoch_end(3, {"val_accuracy": 0.95})
    restored = _model()
    restored.load_weights(path)
    np.testing.assert_array_equal(restored.get_weights()[0], np.ones((2, 1)))


def test_a_first_run_saves_its_first_epoch(tmp_path):
    path = tmp_path / "best.weights.h5"
    checkpoint = best_checkpoint(path, [])
    checkpoint.set_model(_model())
    checkpoint.on_train_begin()
    checkpoint.on_epoch_end(0, {"val_accuracy": 0.1})
    assert path.exists()


def test_the_history_skips_a_row_cut_short_by_a_crash(tmp_path):
    from training.trainer import _read_history

    path = tmp_path / "history_phase2.csv"
    path.write_text("epoch,accuracy,val_accuracy\n0,0.5,0.6\n1,0.7,0.9\n2,0.8")
    assert _read_history(path) == {"epoch": [0.0, 1.0], "accuracy": [0.5, 0.7], "val_accuracy": [0.6, 0.9]}

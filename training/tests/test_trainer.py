"""End-to-end training on tiny synthetic data: run directory, resume, tf.distribute."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from training.config import config_from_dict, load_config
from training.data.folder import load_folder_split
from training.data.oxford102 import data_checksums

keras = pytest.importorskip("keras")

# Whole training runs: seconds each even at 32 px (`pytest -m "not slow"` leaves them out).
pytestmark = pytest.mark.slow


def _tiny_config(backbone: str, size: int, name: str | None = None):
    return config_from_dict({
        "name": name or f"tiny_{backbone}",
        "backbone": backbone,
        "image_size": size,
        "weights": "none",
        "seed": 3,
        "data": {"dataset": "folder", "val_fraction": 0.34, "test_fraction": 0.17},
        "phase1": {"epochs": 1, "views": 1, "batch_size": 8},
        "phase2": {"epochs": 1, "warmup_epochs": 1, "batch_size": 8, "patience": 1},
    })


def _rows(path):
    with path.open() as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("backbone, size", [("efficientnet_lite0", 32), ("resnet50", 32), ("vgg16", 32), ("inception_v3", 75)])
def test_a_tiny_run_writes_a_complete_run_directory(backbone, size, flower_folder, tmp_path):
    from training.trainer import train

    config = _tiny_config(backbone, size)
    split = load_folder_split(flower_folder, val_fraction=0.34, test_fraction=0.17, seed=config.seed)
    run_dir = tmp_path / "run"

    result = train(config, split, run_dir)

    assert load_config(run_dir / "config.toml") == config
    assert json.loads((run_dir / "data_checksums.json").read_text()) == data_checksums(split)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics == {k: getattr(result, k) for k in metrics}
    for key in ("phase1_val", "phase1_test", "phase2_val", "phase2_test"):
        assert 0.0 <= metrics[key] <= 1.0
    assert len(_rows(run_dir / "history_phase1.csv")) == 1
    assert "val_accuracy" in _rows(run_dir / "history_phase2.csv")[0]
    state = json.loads((run_dir / "state.json").read_text())
    assert state["phase1_done"] and state["phase2_done"]

    model = keras.saving.load_model(run_dir / "model.keras", compile=False)
    assert tuple(model.input.shape) == (None, size, size, 3)
    probs = np.asarray(model(np.zeros((2, size, size, 3), np.float32), training=False))
    assert probs.shape == (2, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_a_run_interrupted_after_phase_1_resumes_without_redoing_it(flower_folder, tmp_path, monkeypatch):
    from training import trainer

    config = _tiny_config("vgg16", 32, name="tiny_resume")
    split = load_folder_split(flower_folder, val_fraction=0.34, test_fraction=0.17, seed=config.seed)
    run_dir = tmp_path / "run"

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "_unfreeze_top", interrupt)
    with pytest.raises(KeyboardInterrupt):
        trainer.train(config, split, run_dir)
    state = json.loads((run_dir / "state.json").read_text())
    assert state["phase1_done"] and "phase2_done" not in state
    head_before = (run_dir / "phase1_head.weights.h5").read_bytes()
    history_before = (run_dir / "history_phase1.csv").read_text()
    monkeypatch.undo()

    def no_phase1(*args, **kwargs):
        raise AssertionError("phase 1 ran again on resume")

    monkeypatch.setattr(trainer, "_extract_features", no_phase1)
    result = trainer.train(config, split, run_dir)

    assert result.phase1_val == state["phase1_val"]
    assert (run_dir / "phase1_head.weights.h5").read_bytes() == head_before
    assert (run_dir / "history_phase1.csv").read_text() == history_before
    assert json.loads((run_dir / "state.json").read_text())["phase2_done"]
    assert (run_dir / "model.keras").exists()


def test_a_run_interrupted_in_phase_2_keeps_its_best_checkpoint_and_patience(flower_folder, tmp_path, monkeypatch):
    from training import trainer

    config = config_from_dict({**_tiny_config("vgg16", 32, name="tiny_resume2").to_dict(),
                               "phase2": {"epochs": 4, "warmup_epochs": 1, "batch_size": 8, "patience": 1}})
    split = load_folder_split(flower_folder, val_fraction=0.34, test_fraction=0.17, seed=config.seed)
    run_dir = tmp_path / "run"
    original = keras.callbacks.CSVLogger.on_epoch_end

    def log_then_interrupt(self, epoch, logs=None):
        original(self, epoch, logs)
        if self.filename.endswith("history_phase2.csv"):
            raise KeyboardInterrupt

    monkeypatch.setattr(keras.callbacks.CSVLogger, "on_epoch_end", log_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        trainer.train(config, split, run_dir)
    monkeypatch.undo()
    assert json.loads((run_dir / "state.json").read_text())["phase2_seconds"] > 0
    # Make the logged epoch unbeatable: resumed epochs must neither overwrite its checkpoint nor reset patience.
    history = run_dir / "history_phase2.csv"
    rows = _rows(history)
    assert len(rows) == 1
    rows[0]["val_accuracy"] = "1.0"
    with history.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    best = (run_dir / "phase2_best.weights.h5").read_bytes()

    result = trainer.train(config, split, run_dir)

    assert (run_dir / "phase2_best.weights.h5").read_bytes() == best
    assert len(_rows(history)) == 2  # patience 1 ran out on the first resumed epoch, not after 4 in all
    assert result.best_epoch == 1


def test_a_run_under_a_tf_distribute_strategy_trains_in_its_scope(flower_folder, tmp_path, monkeypatch):
    import tensorflow as tf

    from training import trainer

    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    built = []
    original = trainer.build_classifier

    def spy(*args, **kwargs):
        built.append(tf.distribute.get_strategy())
        return original(*args, **kwargs)

    monkeypatch.setattr(trainer, "build_classifier", spy)
    used = []  # the strategy of every model that fit() or predict() ran on
    for method in ("fit", "predict"):
        def record(self, *args, _original=getattr(keras.Model, method), **kwargs):
            used.append(self._distribute_strategy)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(keras.Model, method, record)
    config = _tiny_config("vgg16", 32, name="tiny_distributed")
    split = load_folder_split(flower_folder, val_fraction=0.34, test_fraction=0.17, seed=config.seed)

    result = trainer.train(config, split, tmp_path / "run", strategy=strategy)

    assert built == [strategy]
    assert len(used) >= 6 and all(s is strategy for s in used), used
    assert 0.0 <= result.phase2_val <= 1.0
    assert keras.saving.load_model(tmp_path / "run" / "model.keras", compile=False).output.shape[-1] == 3


def test_a_run_with_mixing_and_a_weight_average_keeps_the_weights_it_validated(flower_folder, tmp_path):
    from training.trainer import _dataset, train

    # VGG16 without weights still learns something at 32 px, so the raw and averaged weights differ.
    base = _tiny_config("vgg16", 32, name="tiny_mix").to_dict()
    base["augment"] |= {"mixup_alpha": 0.8, "cutmix_alpha": 1.0}
    base["phase1"] |= {"epochs": 20}
    base["phase2"] |= {"epochs": 3, "patience": 3, "learning_rate": 1e-3, "ema_momentum": 0.5, "fine_tune_from": "all"}
    config = config_from_dict(base)
    split = load_folder_split(flower_folder, val_fraction=0.34, test_fraction=0.17, seed=config.seed)
    run_dir = tmp_path / "run"

    train(config, split, run_dir)

    rows = _rows(run_dir / "history_phase2.csv")
    assert len(rows) == 3
    best = max(range(3), key=lambda i: (float(rows[i]["val_accuracy"]), -i))
    # The saved model is the one validated at its best epoch (the average, not the raw weights).
    model = keras.saving.load_model(run_dir / "model.keras", compile=False)
    model.compile(loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing))
    val_loss = model.evaluate(_dataset(config, split.val, training=False, batch_size=64), verbose=0)
    assert val_loss == pytest.approx(float(rows[best]["val_loss"]), rel=1e-4)


def _batchnorms(layer):
    found = [layer] if isinstance(layer, keras.layers.BatchNormalization) else []
    for sub in getattr(layer, "layers", []):
        found += _batchnorms(sub)
    return found


@pytest.mark.parametrize("train_batchnorm", [False, True])
def test_batchnorm_statistics_change_in_phase_2_only_when_asked(train_batchnorm, flower_folder, tmp_path):
    from training.trainer import train

    base = _tiny_config("efficientnet_lite0", 32, name="tiny_bn").to_dict()
    base["phase2"] |= {"fine_tune_from": "all", "train_batchnorm": train_batchnorm}
    config = config_from_dict(base)
    split = load_folder_split(flower_folder, val_fraction=0.34, test_fraction=0.17, seed=config.seed)

    train(config, split, tmp_path / "run")

    # Without weights every BatchNorm starts at mean 0, variance 1; only batch statistics move them.
    norms = _batchnorms(keras.saving.load_model(tmp_path / "run" / "model.keras", compile=False))
    moved = [bn.name for bn in norms
             if not (np.allclose(bn.moving_mean, 0.0) and np.allclose(bn.moving_variance, 1.0))]
    assert len(norms) > 40
    assert (len(moved) == len(norms)) if train_batchnorm else (moved == [])


def test_train_batchnorm_must_be_a_boolean():
    from training.errors import ConfigError

    base = _tiny_config("efficientnet_lite0", 32).to_dict()
    base["phase2"] |= {"train_batchnorm": "false"}
    with pytest.raises(ConfigError, match=r"\[phase2\] train_batchnorm must be true or false. Received: 'false'"):
        config_from_dict(base)


def test_a_train_plus_val_run_keeps_its_last_epoch_and_logs_real_world_scores(flower_folder, tmp_path):
    from training.data import load_dataset
    from training.trainer import _read_history as trainer_history, train

    values = _tiny_config("efficientnet_lite0", 32, name="tiny_trainval").to_dict()
    values["data"] |= {"dir": str(flower_folder), "train_on": "train+val"}
    values["phase2"]["epochs"] = 2
    config = config_from_dict(values)
    split = load_dataset(config.data, seed=config.seed)
    photos = tmp_path / "photos"  # a two-class subset of the model's labels, named in another case
    for name in ("ROSE", "Violet"):
        (photos / name).mkdir(parents=True)
        for i in range(2):
            (photos / name / f"{i}.jpg").write_bytes((flower_folder / name.lower() / f"img_{i}.jpg").read_bytes())

    result = train(config, split, tmp_path / "run", photos_dir=photos)

    assert len(split.val) == 0 and len(split.train) == 15
    assert result.phase1_val is None and result.phase2_val is None and 0 <= result.phase2_test <= 1
    assert result.best_epoch == 2
    rows = _rows(tmp_path / "run" / "history_phase2.csv")
    assert len(rows) == 2 and rows[0].get("val_accuracy", "NA") == "NA"  # Keras' CSVLogger fills absent val columns
    assert trainer_history(tmp_path / "run" / "history_phase2.csv")["loss"] == [float(r["loss"]) for r in rows]
    assert 0 <= float(rows[-1]["realworld_mean_class"]) <= 1
    assert result.realworld["images"] == 4 and set(result.realworld["per_class"]) == {"rose", "violet"}
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["realworld"] == result.realworld


def test_a_photo_folder_the_classes_lack_is_refused_before_training(flower_folder, tmp_path):
    from training.errors import DatasetError
    from training.trainer import train

    config = _tiny_config("efficientnet_lite0", 32, name="tiny_photos")
    split = load_folder_split(flower_folder, val_fraction=0.34, test_fraction=0.17, seed=config.seed)
    (tmp_path / "photos" / "tulip").mkdir(parents=True)
    (tmp_path / "photos" / "tulip" / "a.jpg").write_bytes((flower_folder / "rose" / "img_0.jpg").read_bytes())

    with pytest.raises(DatasetError, match="'tulip' is not one of the model's 3 labels"):
        train(config, split, tmp_path / "run", photos_dir=tmp_path / "photos")
    assert not (tmp_path / "run").exists()


def _weights(path):
    return [np.array(w) for w in keras.saving.load_model(path, compile=False).get_weights()]


def test_a_wise_run_keeps_the_mix_of_phase_2_start_and_end_and_remixes_without_training(flower_folder, tmp_path):
    from training.errors import ConfigError
    from training.trainer import build_run_start, train
    from training.wise import end_weights, mix, start_weights

    base = _tiny_config("efficientnet_lite0", 32, name="tiny_wise").to_dict()
    base["phase2"] |= {"learning_rate": 1e-2, "fine_tune_from": "all"}
    split = load_folder_split(flower_folder, val_fraction=0.34, test_fraction=0.17, seed=3)
    run_dir = tmp_path / "run"

    result = train(config_from_dict(base | {"wise": {"alpha": 0.25}}), split, run_dir)

    assert (run_dir / "phase2_start.weights.h5").exists()
    fresh = build_run_start(config_from_dict(base), 3, run_dir)
    start = start_weights(fresh, run_dir, phase1_skipped=False)
    end = end_weights(fresh, run_dir)
    # The start carries phase 1's head (the backbone here is a random one: "none" weights).
    assert all(np.array_equal(a, b) for a, b in zip(start[-2:], fresh.get_weights()[-2:]))
    assert not all(np.allclose(a, b) for a, b in zip(start, end))
    kept = _weights(run_dir / "model.keras")
    assert all(np.allclose(k, m, atol=1e-6) for k, m in zip(kept, mix(start, end, 0.25)))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["wise_alpha"] == 0.25 and result.wise_alpha == 0.25
    assert set(metrics["finetuned"]) == {"val", "test", "realworld"} and 0 <= metrics["finetuned"]["val"] <= 1
    history = (run_dir / "history_phase2.csv").read_text()

    # Another alpha only: mixed again from the files, no training; alpha 1 is the fine-tuned model.
    again = train(config_from_dict(base | {"wise": {"alpha": 1.0}}), split, run_dir)

    assert (run_dir / "history_phase2.csv").read_text() == history
    assert all(np.array_equal(k, e) for k, e in zip(_weights(run_dir / "model.keras"), end))
    assert again.wise_alpha == 1.0 and again.phase2_val == metrics["finetuned"]["val"]
    assert "[wise]" not in (run_dir / "config.toml").read_text()
    # Any other change is still refused.
    with pytest.raises(ConfigError, match="different config"):
        train(config_from_dict(base | {"seed": 4}), split, run_dir)


def test_the_wise_sweep_scores_val_and_photos_per_alpha_and_never_test(flower_folder, tmp_path, monkeypatch):
    from training import trainer
    from training.data.photoset import load_photo_set
    from training.wise_sweep import SWEEP_FILE, run, suggest, sweep

    config = _tiny_config("efficientnet_lite0", 32, name="tiny_sweep")
    split = load_folder_split(flower_folder, val_fraction=0.34, test_fraction=0.17, seed=config.seed)
    run_dir = tmp_path / "run"
    result = trainer.train(config, split, run_dir)
    photos = load_photo_set(flower_folder, split.class_names)
    scored = []
    real_evaluate = trainer.evaluate
    monkeypatch.setattr(trainer, "evaluate", lambda m, c, samples, *a: scored.append(samples) or real_evaluate(m, c, samples, *a))

    rows = sweep(run_dir, split, photos, alphas=[0.0, 0.5, 1.0])

    assert [r.alpha for r in rows] == [0.0, 0.5, 1.0]
    assert all(s == split.val for s in scored)  # val only: test is never scored
    assert rows[-1].val_top1 == pytest.approx(result.phase2_val)
    assert all(0 <= r.realworld_mean_class <= 1 and 0 <= r.realworld_top1 <= 1 for r in rows)
    assert suggest(rows).objective() == max(r.objective() for r in rows)

    import argparse

    args = argparse.Namespace(run=str(run_dir), data_dir=None, photos=None, alphas="1,0.5")
    monkeypatch.setattr("training.data.load_dataset", lambda *a, **k: split)
    assert run(args) == 0
    lines = (run_dir / SWEEP_FILE).read_text().splitlines()
    assert lines[0] == "alpha,val_top1,realworld_top1,realworld_mean_class" and len(lines) == 3

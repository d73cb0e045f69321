"""Distillation: teacher targets on training batches, and a run that learns from a finished run."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from training.config import config_from_dict
from training.errors import ConfigError

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def _pixel_teacher(size: int, num_classes: int = 3):
    # Softmax of fixed linear maps of the mean colour: any change of pixels or size changes its output.
    inputs = keras.Input((size, size, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    dense = keras.layers.Dense(num_classes, activation="softmax")
    model = keras.Model(inputs, dense(pooled))
    dense.set_weights([np.array([[1.0, -2.0, 0.5], [0.3, 1.0, -1.0], [-0.7, 0.2, 2.0]], np.float32)[:, :num_classes],
                       np.zeros(num_classes, np.float32)])
    return model


def test_teacher_targets_blend_the_teachers_mean_with_the_labels_by_the_weight():
    from training.distill import Teacher, with_teacher_targets

    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (4, 8, 8, 3)).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]
    mean, std = (100.0, 110.0, 120.0), (50.0, 60.0, 70.0)
    normalised = (images - np.array(mean, np.float32)) / np.array(std, np.float32)
    t_same = Teacher("a", _pixel_teacher(8), 8, mean, std)
    # Another contract: the teacher sees the pixels in its own normalisation and size.
    t_other = Teacher("b", _pixel_teacher(12), 12, (127.0, 127.0, 127.0), (128.0, 128.0, 128.0))
    ds = tf.data.Dataset.from_tensors((normalised, labels))

    (x, target), = list(with_teacher_targets(ds, [t_same, t_other], mean=mean, std=std, weight=0.75).as_numpy_iterator())

    p_same = t_same.model.predict(normalised, verbose=0)
    other_in = tf.image.resize((images - 127.0) / 128.0, (12, 12), method="bilinear").numpy()
    p_other = t_other.model.predict(other_in, verbose=0)
    np.testing.assert_allclose(x, normalised)
    np.testing.assert_allclose(target, 0.75 * (p_same + p_other) / 2 + 0.25 * labels, rtol=1e-5, atol=1e-6)
    assert not np.allclose(p_same, p_other)  # so the average really involves both
    np.testing.assert_allclose(target.sum(axis=1), 1.0, rtol=1e-5)


def test_a_teacher_that_is_not_a_finished_run_is_a_clear_error(tmp_path):
    from training.distill import load_teachers

    (tmp_path / "half").mkdir()
    with pytest.raises(ConfigError, match=r"teacher '.*half' is not a finished run"):
        load_teachers([str(tmp_path / "half")], 3)


@pytest.mark.parametrize("values, message", [
    ({"teachers": "runs/a"}, r"teachers must be a list of run directories\. Received: 'runs/a'"),
    ({"teachers": ["runs/a", ""]}, r"teachers must be a list"),
    ({"teachers": ["runs/a"], "weight": 1.5}, r"weight is a share in \[0, 1\]\. Received: 1\.5"),
])
def test_bad_distill_settings_are_refused_with_the_value(values, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict({"name": "x", "backbone": "vgg16", "distill": values})


def test_a_config_without_teachers_writes_no_distill_table_and_one_with_them_round_trips():
    plain = config_from_dict({"name": "x", "backbone": "vgg16"})
    assert "distill" not in plain.to_dict()
    taught = config_from_dict({"name": "x", "backbone": "vgg16", "distill": {"teachers": ["runs/a", "runs/b"], "weight": 0.5}})
    assert config_from_dict(taught.to_dict()) == taught
    assert taught.distill.teachers == ("runs/a", "runs/b")


def _tiny(name: str, **sections):
    values = {
        "name": name, "backbone": "vgg16", "image_size": 32, "weights": "none", "seed": 3,
        "data": {"dataset": "folder", "val_fraction": 0.34, "test_fraction": 0.17},
        "augment": {"brightness": 0.0, "contrast": 0.0, "saturation": 0.0},
        "phase1": {"epochs": 20, "views": 1, "batch_size": 8, "dropout": 0.0},
        "phase2": {"epochs": 2, "warmup_epochs": 1, "batch_size": 8, "patience": 2, "learning_rate": 1e-3, "fine_tune_from": "all"},
    }
    for key, value in sections.items():
        values[key] = values.get(key, {}) | value
    return config_from_dict(values)


@pytest.mark.slow
def test_a_student_started_from_its_teacher_matches_it_on_every_training_batch(flower_folder, tmp_path, capsys):
    from training.data.folder import load_folder_split
    from training.trainer import train

    teacher = _tiny("teacher")
    split = load_folder_split(flower_folder, val_fraction=0.34, test_fraction=0.17, seed=teacher.seed)
    train(teacher, split, tmp_path / "teacher")

    def student(weight, lr):
        return _tiny(f"student_{weight}", phase2={"learning_rate": lr},
                     distill={"teachers": [str(tmp_path / "teacher")], "weight": weight, "init_from": str(tmp_path / "teacher")})

    # Learning rate 0: the student stays the teacher, so with weight 1 its predictions are its targets.
    result = train(student(1.0, 0.0), split, tmp_path / "s1")
    out = capsys.readouterr().out
    assert "distilling from 1 teacher(s)" in out
    # Phase 2 starts from the teacher's weights, so no phase-1 head is trained for nothing.
    assert f"[phase 1] skipped: phase 2 starts from {tmp_path / 'teacher'}" in out
    assert result.phase1_val is None and not (tmp_path / "s1" / "phase1_features.npz").exists()
    with (tmp_path / "s1" / "history_phase2.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [float(r["accuracy"]) for r in rows] == [1.0, 1.0]
    saved = keras.saving.load_model(tmp_path / "s1" / "model.keras", compile=False).get_weights()
    original = keras.saving.load_model(tmp_path / "teacher" / "model.keras", compile=False).get_weights()
    for a, b in zip(saved, original):
        np.testing.assert_array_equal(a, b)

    # Against the true labels alone the same frozen student is not perfect on the random crops.
    train(student(0.0, 0.0), split, tmp_path / "s0")
    with (tmp_path / "s0" / "history_phase2.csv").open() as f:
        assert min(float(r["accuracy"]) for r in csv.DictReader(f)) < 1.0


@pytest.mark.slow
def test_init_from_another_architecture_is_refused(flower_folder, tmp_path):
    from training.data.folder import load_folder_split
    from training.trainer import train

    teacher = _tiny("teacher")
    split = load_folder_split(flower_folder, val_fraction=0.34, test_fraction=0.17, seed=teacher.seed)
    train(teacher, split, tmp_path / "teacher")
    other = _tiny("other", distill={"init_from": str(tmp_path / "teacher")}).to_dict() | {"backbone": "efficientnet_lite0"}
    with pytest.raises(ConfigError, match=r"init_from '.*teacher' is another architecture"):
        train(config_from_dict(other), split, tmp_path / "other")


@pytest.mark.slow
def test_the_ensemble_command_scores_each_run_and_their_average(flower_folder, tmp_path, capsys):
    from training.__main__ import main
    from training.data.folder import load_folder_split
    from training.ensemble import evaluate_ensemble
    from training.config import load_config
    from training.trainer import _dataset, train

    runs = []
    for seed, size in ((3, 32), (4, 40)):  # two sizes: each run is fed through its own contract
        config = config_from_dict(_tiny(f"m{seed}").to_dict() | {"seed": seed, "image_size": size})
        split = load_folder_split(flower_folder, val_fraction=0.34, test_fraction=0.17, seed=3)
        train(config, split, tmp_path / f"m{seed}")
        runs.append(tmp_path / f"m{seed}")

    report = evaluate_ensemble(runs, split)

    labels = np.array([s.label for s in split.test])
    total = 0
    for run in runs:
        config = load_config(run / "config.toml")
        model = keras.saving.load_model(run / "model.keras", compile=False)
        probs = model.predict(_dataset(config, split.test, training=False, batch_size=64), verbose=0)
        assert report.members[str(run)]["test"] == pytest.approx(np.mean(probs.argmax(1) == labels))
        total = total + probs
    assert report.ensemble["test"] == pytest.approx(np.mean(total.argmax(1) == labels))

    assert main(["ensemble", "--runs", *map(str, runs), "--data-dir", str(flower_folder)]) == 0
    out = capsys.readouterr().out
    assert f"| **average of the 2** | **{100 * report.ensemble['val']:.2f}%** | **{100 * report.ensemble['test']:.2f}%** |" in out

    assert main(["ensemble", "--runs", str(tmp_path / "nothing")]) == 2
    assert "is not a finished run" in capsys.readouterr().err


def test_a_corrupt_teacher_model_is_a_clear_error(tmp_path):
    from training.distill import load_teachers

    run = tmp_path / "broken"
    run.mkdir()
    (run / "config.toml").write_text('name = "broken"\nbackbone = "vgg16"\n')
    (run / "model.keras").write_bytes(b"not a keras archive")
    with pytest.raises(ConfigError, match=r"teacher model '.*broken/model.keras' could not be loaded"):
        load_teachers([str(run)], 3)

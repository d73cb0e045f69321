"""Model soups: averaging finished runs that share a phase-2 start (training.soup)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from training.config import config_from_dict
from training.errors import ConfigError
from training.soup import average_weights


def test_average_weights_is_the_uniform_mean_and_keeps_integer_state():
    a = [np.array([0.0, 2.0], np.float32), np.array(5, np.int64)]
    b = [np.array([1.0, 4.0], np.float32), np.array(9, np.int64)]
    c = [np.array([2.0, 6.0], np.float32), np.array(1, np.int64)]

    out = average_weights([a, b, c])

    np.testing.assert_array_equal(out[0], [1.0, 4.0])
    assert out[0].dtype == np.float32 and out[1] == 5


def test_average_weights_refuses_one_model_and_other_architectures():
    with pytest.raises(ValueError, match="at least two models. Received: 1"):
        average_weights([[np.zeros(2)]])
    with pytest.raises(ValueError, match="different architectures"):
        average_weights([[np.zeros(2)], [np.zeros(3)]])


def test_a_soup_config_needs_two_runs_and_no_training_sections():
    with pytest.raises(ConfigError, match=r"at least two different run directories. Received: \['runs/a'\]"):
        config_from_dict({"name": "s", "backbone": "efficientnet_lite0", "soup": {"runs": ["runs/a"]}})
    with pytest.raises(ConfigError, match=r"\[soup\] runs must be a list of run directories. Received: 'runs/a'"):
        config_from_dict({"name": "s", "backbone": "efficientnet_lite0", "soup": {"runs": "runs/a"}})
    with pytest.raises(ConfigError, match=r"\[distill\] and \[wise\] do not apply"):
        config_from_dict({"name": "s", "backbone": "efficientnet_lite0", "soup": {"runs": ["a", "b"]}, "wise": {"alpha": 0.5}})
    plain = config_from_dict({"name": "s", "backbone": "efficientnet_lite0"})
    assert "soup" not in plain.to_dict()  # ordinary runs keep the config text they always had


keras = pytest.importorskip("keras")


def _tiny(name: str, seed: int = 3, **extra) -> dict:
    return {
        "name": name, "backbone": "efficientnet_lite0", "image_size": 32, "weights": "none", "seed": seed,
        "data": {"dataset": "folder", "val_fraction": 0.34, "test_fraction": 0.17},
        "phase1": {"epochs": 1, "views": 1, "batch_size": 8},
        "phase2": {"epochs": 1, "warmup_epochs": 1, "batch_size": 8, "patience": 1, "learning_rate": 1e-2, "fine_tune_from": "all"},
    } | extra


def _soup(runs: list[str], **extra) -> dict:
    """A soup config of `runs` matching `_tiny`'s backbone, input size and data."""
    return {"name": "soup", "backbone": "efficientnet_lite0", "image_size": 32, "weights": "none",
            "data": {"dataset": "folder", "val_fraction": 0.34, "test_fraction": 0.17}, "soup": {"runs": runs}} | extra


def _weights(path):
    return [np.array(w) for w in keras.saving.load_model(path, compile=False).get_weights()]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two tiny runs fine-tuned from one phase 1 (the second takes the first's), and a third with its own."""
    from training.data.folder import load_folder_split
    from training.tests.support import make_flower_folder
    from training.trainer import train

    root = tmp_path_factory.mktemp("soup")
    folder = make_flower_folder(root / "flowers")
    split = load_folder_split(folder, val_fraction=0.34, test_fraction=0.17, seed=3)
    first, second, other = root / "first", root / "second", root / "other"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FLOWERLITE_CACHE", str(root / "cache"))  # never the user's cache (module scope: no autouse fixture)
        train(config_from_dict(_tiny("first")), split, first)
        config = _tiny("second")
        config["phase1"] |= {"from_run": str(first)}
        config["phase2"] |= {"learning_rate": 5e-3}  # phase 2 may differ; phase 1's inputs may not
        train(config_from_dict(config), split, second)
        train(config_from_dict(_tiny("other", seed=5)), split, other)
    return split, folder, first, second, other


@pytest.mark.slow
def test_a_soup_averages_its_runs_scores_it_and_is_not_made_twice(two_runs, tmp_path):
    from training.trainer import train

    split, folder, first, second, _ = two_runs
    config = config_from_dict(_soup([str(first), str(second)]))
    run_dir = tmp_path / "soup"

    result = train(config, split, run_dir, photos_dir=folder)

    a, b, kept = _weights(first / "model.keras"), _weights(second / "model.keras"), _weights(run_dir / "model.keras")
    assert not all(np.allclose(x, y) for x, y in zip(a, b))  # the two runs did move apart
    assert all(np.allclose(k, (x + y) / 2, atol=1e-6) for k, x, y in zip(kept, a, b))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["soup"] == [str(first), str(second)] and result.soup == metrics["soup"]
    assert 0 <= metrics["phase2_val"] <= 1 and 0 <= metrics["phase2_test"] <= 1
    assert metrics["realworld"]["images"] == 18 and metrics["phase1_val"] is None
    assert (run_dir / "config.toml").read_text().count("[soup]") == 1

    from training.export.run import load_run

    assert load_run(run_dir).val_accuracy == metrics["phase2_val"]  # the exporter reads it like any run
    made = (run_dir / "model.keras").stat().st_mtime_ns
    assert train(config, split, run_dir, photos_dir=folder).phase2_val == result.phase2_val
    assert (run_dir / "model.keras").stat().st_mtime_ns == made  # finished, runs unchanged: not made again

    from training.report import results_table

    row = results_table([run_dir]).splitlines()[-1]
    cells = [c.strip() for c in row.split("|")]
    assert cells[4] == "soup (weight average) of first, second" and cells[10:12] == ["—", "—"]  # no epochs, no phase 1
    from training.wise_sweep import sweep

    with pytest.raises(ConfigError, match="is a soup .* sweep its runs instead"):
        sweep(run_dir, split, alphas=[1.0])


@pytest.mark.slow
def test_a_soup_of_runs_from_different_starts_is_refused_before_anything_is_written(two_runs, tmp_path):
    from training.trainer import train

    split, _, first, _, other = two_runs
    config = config_from_dict(_soup([str(first), str(other)]))

    with pytest.raises(ConfigError, match="did not start phase 2 from the same weights"):
        train(config, split, tmp_path / "soup")
    assert not (tmp_path / "soup").exists()


@pytest.mark.slow
def test_a_soup_names_an_unfinished_run_and_a_mismatched_one(two_runs, tmp_path):
    from training.soup import check_ingredients

    _, _, first, second, _ = two_runs
    missing = tmp_path / "never_trained"
    with pytest.raises(ConfigError, match=rf"\[soup\] run '{missing}' is not a finished run"):
        check_ingredients(config_from_dict(_soup([str(first), str(missing)])))
    with pytest.raises(ConfigError, match=rf"\[soup\] run '{first}' has another image_size than the soup's config: 32 against 64"):
        check_ingredients(config_from_dict(_soup([str(first), str(second)], image_size=64)))
    with pytest.raises(ConfigError, match="trained on other data"):
        check_ingredients(config_from_dict(_soup([str(first), str(second)])), {"images": "other"})


@pytest.mark.slow
def test_phase1_from_run_copies_the_head_and_scores_and_refuses_other_inputs(two_runs, tmp_path):
    from training.trainer import train

    split, _, first, second, _ = two_runs
    assert (second / "phase1_head.weights.h5").read_bytes() == (first / "phase1_head.weights.h5").read_bytes()
    theirs, mine = (json.loads((r / "state.json").read_text()) for r in (first, second))
    assert mine["phase1_from"] == str(first) and mine["phase1_test"] == theirs["phase1_test"]
    assert "from_run" in (second / "config.toml").read_text() and "from_run" not in (first / "config.toml").read_text()

    config = _tiny("third", seed=9)
    config["phase1"] |= {"from_run": str(first)}
    with pytest.raises(ConfigError, match=rf"\[phase1\] from_run '{first}' trained phase 1 with another seed: 3 against 9"):
        train(config_from_dict(config), split, tmp_path / "third")
    assert not (tmp_path / "third").exists()
    unsure = shutil.copytree(first, tmp_path / "unsure")
    (unsure / "data_checksums.json").unlink()
    config = _tiny("fifth")
    config["phase1"] |= {"from_run": str(unsure)}
    with pytest.raises(ConfigError, match="was trained on other data .*missing or unreadable"):
        train(config_from_dict(config), split, tmp_path / "fifth")
    assert not (tmp_path / "fifth" / "phase1_head.weights.h5").exists()  # nothing copied
    config = _tiny("fourth")
    config["phase1"] |= {"from_run": str(tmp_path / "nothing")}
    with pytest.raises(ConfigError, match="has no finished phase 1"):
        train(config_from_dict(config), split, tmp_path / "fourth")

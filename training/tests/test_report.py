"""The results table read from run directories."""

import json
import tomllib

from training.checksums import to_toml
from training.config import config_from_dict
from training.report import results_table


def _run(tmp_path, name, config, metrics):
    """A run directory whose config.toml the trainer's own writer wrote (from `config`, a TOML excerpt)."""
    run = tmp_path / name
    run.mkdir()
    (run / "config.toml").write_text(to_toml(config_from_dict({"name": name, **tomllib.loads(config)}).to_dict()))
    (run / "metrics.json").write_text(json.dumps(metrics))
    return run


METRICS = {"phase1_val": 0.9069, "phase1_test": 0.8662, "phase2_val": 0.9265, "phase2_test": 0.89725,
           "phase1_seconds": 306.0, "phase2_seconds": 1584.0, "best_epoch": 13}


def test_the_table_has_a_row_per_finished_run_with_its_recipe(tmp_path):
    plain = _run(tmp_path, "plain", 'backbone = "efficientnet_lite0"\n[phase2]\nepochs = 15\nlearning_rate = 1e-4\n', METRICS)
    mixed = _run(
        tmp_path, "mixed",
        'backbone = "efficientnet_lite1"\nimage_size = 256\n[augment]\nmixup_alpha = 0.8\ncutmix_alpha = 1.0\n'
        '[phase2]\nepochs = 40\nlearning_rate = 2e-4\nfine_tune_from = "all"\nema_momentum = 0.99\n',
        METRICS,
    )
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()

    lines = results_table([plain, mixed, unfinished]).splitlines()

    assert len(lines) == 4
    assert lines[2] == (
        "| plain | efficientnet_lite0 | native | top, 15 ep, lr 0.0001 | 90.69% | 86.62% | 92.65% | 89.72% | — | 13 | 5.1 min | 26.4 min |"
    )
    assert lines[3].startswith("| mixed | efficientnet_lite1 | 256 | all layers, 40 ep, lr 0.0002, mixup+cutmix, EMA 0.99 |")


def test_a_distilled_run_names_its_teachers_and_its_starting_run(tmp_path):
    student = _run(
        tmp_path, "student",
        'backbone = "efficientnet_lite0"\n[phase2]\nepochs = 30\nlearning_rate = 1e-4\nfine_tune_from = "all"\n'
        '[distill]\nteachers = ["runs/a_mix", "runs/b_mix"]\nweight = 0.5\ninit_from = "runs/a_mix"\n',
        METRICS,
    )

    row = results_table([student]).splitlines()[2]

    assert "| all layers, 30 ep, lr 0.0001, distilled from a_mix, b_mix (weight 0.5), started from a_mix |" in row


def test_a_run_that_skipped_phase_1_says_so_instead_of_zero_minutes(tmp_path):
    metrics = dict(METRICS, phase1_val=None, phase1_test=None, phase1_seconds=0.0)
    run = _run(tmp_path, "student", 'backbone = "efficientnet_lite0"\n[distill]\ninit_from = "runs/teacher"\n', metrics)

    row = results_table([run]).splitlines()[2]

    assert row.endswith("| — | — | 92.65% | 89.72% | — | 13 | skipped | 26.4 min |")


def test_a_run_measured_on_real_world_photos_shows_mean_per_class_and_image_top1_next_to_val_and_test(tmp_path):
    import numpy as np

    from training.realworld import score_predictions

    # 3 photos of "a" (2 right), 1 of "b" (right): image top-1 75%, mean per class (66.67% + 100%) / 2.
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    scores = score_predictions(probs, [0, 0, 0, 1], ("a", "b"))
    measured = _run(tmp_path, "measured", 'backbone = "efficientnet_lite0"\n',
                    json.loads(json.dumps(dict(METRICS, realworld=scores.to_dict()))))  # NaN-free here, as written
    older = _run(tmp_path, "older", 'backbone = "efficientnet_lite0"\n', dict(METRICS, realworld=None))

    header, _, row, old_row = results_table([measured, older]).splitlines()

    assert "| phase 2 val | phase 2 test | real-world (mean per-class / top-1) | best epoch |" in header
    assert "| 92.65% | 89.72% | 83.33% / 75.00% | 13 |" in row
    assert "| 92.65% | 89.72% | — | 13 |" in old_row


def test_a_run_directory_is_read_through_the_run_config_reader_and_its_errors(tmp_path):
    import pytest

    from training.checksums import read_run_config
    from training.errors import ConfigError

    run = _run(tmp_path, "plain", 'backbone = "efficientnet_lite0"\n[phase2]\nepochs = 15\n', METRICS)
    assert read_run_config(run).phase2.epochs == 15 and read_run_config(run).name == "plain"
    with pytest.raises(ConfigError, match=r"'.*absent' is not a finished run \(no config.toml\): train it first"):
        read_run_config(tmp_path / "absent")
    (run / "config.toml").write_text('backbone = "efficientnet_lite0"\n[phase2]\nepoch = 15\n')
    with pytest.raises(ConfigError, match=r"Unknown key\(s\) \['epoch'\] in \[phase2\]"):
        results_table([run])  # a config that is not a training config is refused, not half-read


def test_a_wise_run_names_its_alpha_in_the_recipe(tmp_path):
    run = _run(tmp_path, "wise", 'backbone = "efficientnet_lite0"\n[phase2]\nepochs = 12\n[wise]\nalpha = 0.6\n', METRICS)

    row = results_table([run]).splitlines()[2]

    assert "| top, 12 ep, lr 0.0002, WiSE-FT alpha 0.6 (mixed with phase 2's start) |" in row

"""Weight-space mixing (training.wise) and the sweep's choices, without training."""

from __future__ import annotations

import numpy as np
import pytest

from training.config import config_from_dict
from training.errors import ConfigError
from training.wise import mix
from training.wise_sweep import SweepRow, _alphas, suggest


def test_mix_is_the_straight_line_between_start_and_end():
    start = [np.zeros((2, 3), np.float32), np.full(4, 2.0, np.float32)]
    end = [np.ones((2, 3), np.float32), np.full(4, 4.0, np.float32)]

    half = mix(start, end, 0.5)

    assert np.allclose(half[0], 0.5) and np.allclose(half[1], 3.0)
    assert half[0].dtype == np.float32
    assert all(np.array_equal(a, b) for a, b in zip(mix(start, end, 1.0), end))
    assert all(np.array_equal(a, b) for a, b in zip(mix(start, end, 0.0), start))


def test_mix_keeps_integer_state_and_refuses_other_architectures():
    assert mix([np.array(3)], [np.array(7)], 0.5)[0] == 7
    with pytest.raises(ValueError, match="different architectures"):
        mix([np.zeros(3)], [np.zeros(4)], 0.5)
    with pytest.raises(ValueError, match=r"Received: 1.5"):
        mix([np.zeros(3)], [np.zeros(3)], 1.5)


def test_wise_alpha_is_checked_and_a_default_one_leaves_the_config_text_alone():
    base = {"name": "x", "backbone": "efficientnet_lite0"}
    assert "wise" not in config_from_dict(base).to_dict()
    assert config_from_dict(base | {"wise": {"alpha": 0.4}}).to_dict()["wise"] == {"alpha": 0.4}
    with pytest.raises(ConfigError, match=r"\[wise\] alpha is a share in \[0, 1\].*Received: 2"):
        config_from_dict(base | {"wise": {"alpha": 2}})
    with pytest.raises(ConfigError, match=r"Received: True"):
        config_from_dict(base | {"wise": {"alpha": True}})


def test_suggest_takes_the_best_mean_of_val_and_real_world_and_the_larger_alpha_on_a_tie():
    rows = [SweepRow(0.0, 0.80, 0.7, 0.70), SweepRow(0.5, 0.90, 0.7, 0.72), SweepRow(1.0, 0.92, 0.6, 0.68)]
    assert suggest(rows).alpha == 0.5
    assert suggest([SweepRow(0.2, 0.9, None, 0.7), SweepRow(0.8, 0.9, None, 0.7)]).alpha == 0.8
    assert suggest([SweepRow(0.3, None, 0.5, 0.6), SweepRow(0.7, None, 0.5, 0.5)]).alpha == 0.3


def test_alphas_must_be_shares():
    assert _alphas("0, 0.5,1") == [0.0, 0.5, 1.0]
    for bad in ("", "a,b", "0.5,1.2"):
        with pytest.raises(ConfigError, match="--alphas is a comma-separated list"):
            _alphas(bad)


def test_the_sweep_refuses_an_unfinished_run_as_unfinished(tmp_path):
    from training.checksums import to_toml
    from training.data.oxford102 import Sample, Split
    from training.export.errors import RunError
    from training.wise_sweep import sweep

    config = config_from_dict({"name": "x", "backbone": "efficientnet_lite0", "image_size": 32, "weights": "none"})
    (tmp_path / "config.toml").write_text(to_toml(config.to_dict()))
    split = Split(train=(), val=(Sample(tmp_path / "a.jpg", 0),), test=(), class_names=("a", "b"), root=tmp_path)

    with pytest.raises(RunError, match="phase 2 has not finished; train the run first"):
        sweep(tmp_path, split, alphas=[1.0])

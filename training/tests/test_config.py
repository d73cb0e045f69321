"""Experiment configs: TOML files mapped onto dataclasses, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.checksums import to_toml
from training.config import TrainConfig, config_from_dict, load_config
from training.errors import ConfigError

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_shipped_config_loads_and_names_a_registered_backbone(path):
    from training.backbones.registry import BACKBONES

    config = load_config(path)

    assert isinstance(config, TrainConfig) and config.backbone in BACKBONES


def test_a_config_round_trips_through_the_run_directory_toml(tmp_path):
    config = load_config(CONFIGS[0], seed=7)
    (tmp_path / "config.toml").write_text(to_toml(config.to_dict()))

    assert config.seed == 7
    assert load_config(tmp_path / "config.toml") == config


def test_a_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match=rf"Config file not found: {tmp_path / 'nope.toml'}"):
        load_config(tmp_path / "nope.toml")


def test_invalid_toml_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\nbackbone = \n')
    with pytest.raises(ConfigError, match=rf"{path} is not valid TOML: .*line 2"):
        load_config(path)


def test_an_unknown_top_level_key_lists_the_known_ones(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text('name = "x"\nbackbone = "vgg16"\nlearning_rate = 0.1\n')
    with pytest.raises(ConfigError, match=r"Unknown key\(s\) \['learning_rate'\] in \[top level\]; known keys: \[.*'backbone'"):
        load_config(path)


def test_an_unknown_key_in_a_section_names_the_section():
    with pytest.raises(ConfigError, match=r"Unknown key\(s\) \['epoch'\] in \[phase2\]; known keys: \[.*'epochs'"):
        config_from_dict({"name": "x", "backbone": "vgg16", "phase2": {"epoch": 3}})


def test_a_section_that_is_not_a_table_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"\[phase1\] must be a table. Received: 5"):
        config_from_dict({"name": "x", "backbone": "vgg16", "phase1": 5})


def test_a_missing_required_key_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"Invalid \[top level\] section: .*'backbone'"):
        config_from_dict({"name": "x"})


@pytest.mark.parametrize("section, key, value, message", [
    ("augment", "mixup_alpha", -0.5, r"\[augment\] mixup_alpha must be >= 0 .*Received: -0.5"),
    ("augment", "mix_prob", 1.5, r"\[augment\] mix_prob is a probability in \[0, 1\]. Received: 1.5"),
    ("phase2", "ema_momentum", 1.0, r"\[phase2\] ema_momentum must be in \[0, 1\) .*Received: 1.0"),
])
def test_mixing_and_ema_settings_out_of_range_are_refused_with_the_value(tmp_path, section, key, value, message):
    path = tmp_path / "bad.toml"
    path.write_text(f'name = "x"\nbackbone = "efficientnet_lite0"\n[{section}]\n{key} = {value}\n')
    with pytest.raises(ConfigError, match=message):
        load_config(path)

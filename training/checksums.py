"""Run-directory header: the resolved config and the checksums of the data it was trained on."""

from __future__ import annotations

import json
from pathlib import Path

from training.config import TrainConfig
from training.data.oxford102 import Split, data_checksums

__all__ = ["write_run_header", "to_toml"]


def to_toml(values: dict, prefix: str = "") -> str:
    """Serialise a nested dict of scalars as TOML (tables after plain keys)."""
    plain = [f"{k} = {json.dumps(v)}" for k, v in values.items() if not isinstance(v, dict)]
    tables = [f"\n[{prefix}{k}]\n" + to_toml(v, f"{prefix}{k}.") for k, v in values.items() if isinstance(v, dict)]
    return "\n".join(plain) + "\n" + "".join(tables)


def write_run_header(config: TrainConfig, split: Split, run_dir: Path) -> None:
    """Write config.toml and data_checksums.json; refuse to resume a run with other data/config."""
    config_text = to_toml(config.to_dict())
    sums_path = run_dir / "data_checksums.json"
    sums = data_checksums(split)
    cfg_path = run_dir / "config.toml"
    if cfg_path.exists() and cfg_path.read_text() != config_text:
        from training.errors import ConfigError

        raise ConfigError(f"{run_dir} holds a run with a different config: use a new --run-dir or the same config")
    if sums_path.exists() and json.loads(sums_path.read_text()) != sums:
        from training.errors import DatasetError

        raise DatasetError(f"{run_dir} was trained on other data (data_checksums.json differs): use a new --run-dir")
    cfg_path.write_text(config_text)
    sums_path.write_text(json.dumps(sums, indent=2))

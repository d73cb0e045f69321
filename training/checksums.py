"""Run-directory header: the resolved config and the checksums of the data it was trained on.

`write_run_header` writes a run directory's config.toml and `read_run_config` is its one reader:
the exporter (`training.export.run.load_run`), the results table, the explanations and the
distillation read a run's config through it, never as raw TOML.
"""

from __future__ import annotations

import json
from pathlib import Path

from training.config import TrainConfig, load_config
from training.data.oxford102 import Split, data_checksums
from training.errors import ConfigError

__all__ = ["CONFIG_FILE", "write_run_header", "read_run_config", "to_toml"]

CONFIG_FILE = "config.toml"  # the run's config, as resolved, in its run directory


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
    cfg_path = run_dir / CONFIG_FILE
    if cfg_path.exists() and cfg_path.read_text() != config_text and not _only_wise_differs(cfg_path, config):
        raise ConfigError(f"{run_dir} holds a run with a different config: use a new --run-dir or the same config")
    if sums_path.exists() and json.loads(sums_path.read_text()) != sums:
        from training.errors import DatasetError

        raise DatasetError(f"{run_dir} was trained on other data (data_checksums.json differs): use a new --run-dir")
    cfg_path.write_text(config_text)
    sums_path.write_text(json.dumps(sums, indent=2))


def _only_wise_differs(cfg_path: Path, config: TrainConfig) -> bool:
    """True if the run's config differs from `config` in `[wise]` only: the mix is made after training, from files."""
    try:
        before = load_config(cfg_path).to_dict()
    except ConfigError:
        return False
    after = config.to_dict()
    before.pop("wise", None)
    after.pop("wise", None)
    return before == after


def read_run_config(run_dir: str | Path) -> TrainConfig:
    """The config a run directory was trained with (its config.toml, as `write_run_header` wrote it).

    Raises:
        ConfigError: if the directory has no config.toml, or it is not valid TOML or not a training config.
    """
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"{str(run_dir)!r} is not a finished run (no {CONFIG_FILE}): train it first or fix the path")
    return load_config(path)

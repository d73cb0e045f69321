"""The order a release trains its configs in: a student ([distill]) or a soup ([soup]) after the runs it uses.

`python -m training plan CONFIG...` prints the configs in that order, one per line, for
`scripts/release.sh`; the configs are read with `training.config`, so a broken one stops the
release before anything trains. Configs that use no other run keep the order given and come first;
each other config follows every other one whose run (`runs/<config stem>`) it names as a teacher, as
`init_from`, as a soup run or as `[phase1] from_run`, whatever order the names sort in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from training.config import TrainConfig, load_config
from training.distill import model_file
from training.errors import ConfigError

__all__ = ["run_name", "training_order"]


def run_name(config_path: str | Path) -> str:
    """The run directory name release.sh trains a config into: runs/<config file stem>."""
    return Path(config_path).stem


def _learns_from(config: TrainConfig) -> set[str]:
    # Teachers, init_from, soup runs and [phase1] from_run name run directories (or a model.keras): keep the run's name.
    return {model_file(path).parent.name
            for path in (*config.distill.teachers, config.distill.init_from, *config.soup.runs, config.phase1.from_run) if path}


def training_order(config_paths: Sequence[str | Path]) -> list[str | Path]:
    """The configs in training order: plain configs as given, then students and soups, each after those it uses.

    Raises:
        ConfigError: if a config cannot be read, or students learn from each other in a circle.
    """
    configs = {path: load_config(path) for path in dict.fromkeys(config_paths)}
    ordered = [path for path, config in configs.items() if not _learns_from(config)]
    students = [path for path in configs if path not in ordered]
    while students:
        # One pass: every student none of the students still waiting is a teacher of (as release.sh did).
        ready = [path for path in students
                 if not _learns_from(configs[path]) & {run_name(other) for other in students if other != path}]
        if not ready:
            raise ConfigError(f"these students or soups learn from each other in a circle: {' '.join(map(str, students))}")
        ordered += ready
        students = [path for path in students if path not in ready]
    return ordered

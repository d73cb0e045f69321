"""What `python -m benchmarks run` can be told: one frozen dataclass, filled by the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmarks.engines import ENGINES

__all__ = ["RunConfig"]


@dataclass(frozen=True)
class RunConfig:
    """Everything `python -m benchmarks run` can be told."""

    models: tuple[str, ...] = ("models",)
    dataset: str = "oxford102"
    data_dir: str | None = None
    subset: str = "test"
    limit: int | None = None
    selection: str = "stratified"
    seed: int = 0
    val_fraction: float = 0.2
    test_fraction: float = 0.0
    engines: tuple[str, ...] = ENGINES
    runtimes: tuple[str, ...] = ()  # empty: every installed TFLite runtime
    threads: tuple[int, ...] = ()  # empty: 1 and every usable core
    pythons: tuple[str, ...] = ()  # more interpreters (venvs) whose runtimes join the run
    rounds: int = 20
    speed_images: int = 200
    warmup_images: int = 10
    warmup_invokes: int = 10
    invoke_repeats: int = 100
    batch_size: int = 8
    batch_repeats: int = 5  # timed batches per job, spread evenly over the rounds
    accuracy_batch_size: int = 0  # 0: the SDK's classify_batch over each chunk (the bare engine: one by one)
    accuracy_chunks: int = 10
    pin: bool = True
    progress: bool = True
    command: str = ""
    photos: tuple[str, ...] = ()  # real-world photo sets (folders named by some labels), scored after the timing
    workdir: Path | None = None  # job specs and logs; None: a temporary folder, kept only if a job failed

"""Planning a run: its jobs (one process each), what each job's worker is told, and which images each phase uses."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.config import RunConfig
from benchmarks.errors import BenchmarkError
from benchmarks.imageset import ImageSet
from benchmarks.machine import PythonInfo
from benchmarks.models import ModelFile

__all__ = ["TFLITE_RUNTIMES", "K", "Job", "Schedule", "default_threads", "usable_cpus", "plan_jobs", "plan_schedule",
           "worker_spec", "label_map", "chunks"]

TFLITE_RUNTIMES = ("ai-edge-litert", "tflite-runtime")
K = 5
"""Classes each answer of a job holds (its top-k)."""


@dataclass(frozen=True)
class Job:
    """One variant x engine x runtime x threads x interpreter combination: one process."""

    job_id: str
    model: ModelFile
    engine: str
    runtime: str | None
    threads: int | None
    python: PythonInfo
    cpus: tuple[int, ...] | None
    main_python: bool


def usable_cpus() -> list[int]:
    """The CPUs this process may run on, in order."""
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))


def default_threads() -> tuple[int, ...]:
    """1 and every usable core (just 1 on a single-core machine)."""
    return tuple(sorted({1, len(usable_cpus())}))


def _python_tag(python: PythonInfo) -> str:
    # /work/venv-tflite/bin/python -> "venv-tflite": short, and unique enough to tell interpreters apart.
    path = Path(python.executable)
    return path.parent.parent.name if path.parent.name in ("bin", "Scripts") else path.name


def plan_jobs(models: list[ModelFile], pythons: list[PythonInfo], engines: tuple[str, ...], runtimes: tuple[str, ...],
              threads: tuple[int, ...], pin: bool) -> list[Job]:
    """Every job to run: per model, per interpreter, per engine, per installed runtime, per thread count.

    The SDK and the bare interpreter run on each TFLite runtime an interpreter has; MediaPipe once per
    model (it picks its own threads).  With `pin`, a job of t threads is held to the first t usable cores.
    """
    cpus = usable_cpus()
    jobs: list[Job] = []
    for model in models:
        for index, python in enumerate(pythons):
            main = index == 0
            tag = "" if main else f"@{_python_tag(python)}"
            installed = [r for r in TFLITE_RUNTIMES if r in python.runtimes and (not runtimes or r in runtimes)]
            for engine in engines:
                if engine == "mediapipe":
                    if "mediapipe" in python.runtimes and main:
                        jobs.append(Job(f"{model.variant}.mediapipe{tag}", model, engine, "mediapipe", None, python, None, main))
                    continue
                if engine == "sdk" and not python.flowerlite:
                    continue
                for runtime in installed:
                    for t in threads:
                        job_cpus = tuple(cpus[:t]) if pin and t < len(cpus) else None
                        jobs.append(Job(f"{model.variant}.{engine}.{runtime}.t{t}{tag}", model, engine, runtime, t, python, job_cpus, main))
    return jobs


def worker_spec(job: Job, paths: list[str]) -> dict:
    """What a job's worker process is told: its engine, model, runtime, threads, CPUs, top-k, images and preprocessing."""
    return {
        "engine": job.engine, "model": str(job.model.path), "runtime": job.runtime, "threads": job.threads or 0,
        "cpus": list(job.cpus) if job.cpus else None, "k": K, "paths": paths,
        "preprocessing": {"mean": list(job.model.mean), "std": list(job.model.std), "crop_fraction": job.model.crop_fraction},
    }


def label_map(model: ModelFile, images: ImageSet) -> np.ndarray:
    """Each dataset class's index among the model's labels (matched by name, case and _ ignored)."""
    def key(name: str) -> str:
        return name.strip().lower().replace("_", " ")

    index = {key(name): i for i, name in enumerate(model.labels)}
    missing = [name for name in images.class_names if key(name) not in index]
    if missing:
        raise BenchmarkError(
            f"{model.path.name} has no label for {len(missing)} of the {len(images.class_names)} dataset classes "
            f"(e.g. {missing[0]!r}): benchmark it on the dataset it was trained for"
        )
    return np.array([index[key(name)] for name in images.class_names], dtype=np.int64)


def chunks(indices: list[int], n: int) -> list[list[int]]:
    """`indices` in at most `n` consecutive, near-equal, non-empty parts."""
    return [list(map(int, c)) for c in np.array_split(np.asarray(indices, dtype=np.int64), max(1, min(n, len(indices)))) if len(c)]


@dataclass(frozen=True)
class Schedule:
    """Which images each phase of a run uses, and how often (indices into the image set)."""

    speed: list[int]  # the timing images: a seeded sample of the set
    warm: list[int]  # warm-up images (the first timing images)
    rounds: list[list[int]]  # the timing images, a share per round
    invoke_repeats: int  # timed invokes per job and round
    batch: int  # images per timed batch
    batch_rounds: set[int]  # the rounds that time a batch
    accuracy_chunks: list[list[int]]  # every image of the set, a share per accuracy step


def plan_schedule(config: RunConfig, n: int) -> Schedule:
    """The schedule of a run of `config` over a set of `n` images."""
    speed = sorted(random.Random(config.seed).sample(range(n), min(config.speed_images, n)))
    warm = speed[: max(1, min(config.warmup_images, len(speed)))]
    rounds = chunks(speed, config.rounds)
    repeats = max(1, config.invoke_repeats // len(rounds))
    batch = max(1, min(config.batch_size, len(speed)))
    batch_rounds = {int(i * len(rounds) / max(1, config.batch_repeats)) for i in range(min(config.batch_repeats, len(rounds)))}
    return Schedule(speed, warm, rounds, repeats, batch, batch_rounds, chunks(list(range(n)), config.accuracy_chunks))

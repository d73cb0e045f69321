"""Run a benchmark: plan the jobs, measure them interleaved in their own processes, and gather one report.

The parts, a module each: the options (:mod:`benchmarks.config`), the jobs and the schedule
(:mod:`benchmarks.plan`), a job's worker and measurements (:mod:`benchmarks.job_record`), the
measuring loop (:mod:`benchmarks.measure`), the results (:mod:`benchmarks.aggregate`) and the
goals (:mod:`benchmarks.targets`); progress on stderr (:mod:`benchmarks.progress`).
"""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks import aggregate
from benchmarks.config import RunConfig
from benchmarks.errors import BenchmarkError
from benchmarks.imageset import load_image_set
from benchmarks.job_record import JobRecord
from benchmarks.machine import PythonInfo, describe_machine, describe_python
from benchmarks.measure import measure
from benchmarks.models import find_models, read_model
from benchmarks.plan import TFLITE_RUNTIMES, Job, default_threads, label_map, plan_jobs, plan_schedule
from benchmarks.progress import Progress
from benchmarks.realworld import check_photo_sets, measure_photo_sets, realworld_targets
from benchmarks.targets import evaluate_targets
from benchmarks.workers import probe_python
from training.benchmark_json import SCHEMA_VERSION, BenchmarkReport, DatasetInfo, Methodology, ModelEntry

__all__ = ["RunConfig", "Job", "plan_jobs", "run_benchmark", "TFLITE_RUNTIMES", "default_threads", "evaluate_targets"]


def run_benchmark(config: RunConfig) -> BenchmarkReport:
    """Run every planned job on the images of `config` and return the report (nothing is written here).

    Raises:
        BenchmarkError / FlowerliteError: for a bad dataset, model, or interpreter, before any timing starts.
    """
    started = time.perf_counter()
    machine = describe_machine()
    images = load_image_set(config.dataset, config.data_dir, config.subset, config.limit, config.selection,
                            config.seed, config.val_fraction, config.test_fraction)
    models = [read_model(p) for p in find_models(list(config.models))]
    label_maps = {m.variant: label_map(m, images) for m in models}
    check_photo_sets(config.photos, models)
    labels = np.asarray(images.labels, dtype=np.int64)
    pythons = [describe_python()] + [PythonInfo(**probe_python(p)["python"]) for p in config.pythons]
    threads = config.threads or default_threads()
    jobs = plan_jobs(models, pythons, config.engines, config.runtimes, threads, config.pin)
    if not jobs:
        raise BenchmarkError(f"Nothing to run: no installed runtime matches --engines {','.join(config.engines)} --runtimes {','.join(config.runtimes) or 'any'}")

    n = len(images.paths)
    schedule = plan_schedule(config, n)
    speed, warm, rounds, repeats, batch = schedule.speed, schedule.warm, schedule.rounds, schedule.invoke_repeats, schedule.batch
    batch_rounds, acc_chunks = schedule.batch_rounds, schedule.accuracy_chunks
    paths = [str(p) for p in images.paths]
    records = [JobRecord(job) for job in jobs]
    progress = Progress(len(records) * (2 + len(rounds)) + len(models) * len(acc_chunks) + len(records), config.progress)
    workdir = Path(config.workdir or tempfile.mkdtemp(prefix="flowerlite-bench-"))
    try:
        accuracy_records, incomplete = measure(records, models, paths, schedule, config, workdir, progress)
    finally:
        progress.close()
        for record in records:
            if record.worker is not None:
                record.worker.close()
        if config.workdir is None and not any(r.error for r in records):
            shutil.rmtree(workdir, ignore_errors=True)

    realworld = measure_photo_sets(config.photos, models, max(threads)) if config.photos else []
    job_results = aggregate.job_results(records, batch, labels, label_maps, threads)
    accuracy = aggregate.accuracy_results(accuracy_records, models, images, labels, label_maps)
    ratios = aggregate.throughput_ratios(job_results, threads)
    dataset = DatasetInfo(images.source, str(images.root), images.subset, n, len(images.class_names), images.total,
                          images.selection, config.seed, images.digest(), len(speed))
    methodology = Methodology(
        timer="time.perf_counter_ns around each call",
        warmup_images=len(warm), warmup_invokes=config.warmup_invokes, rounds=len(rounds),
        order="jobs interleaved: every round each job takes its turn, in a new seeded order per round, while the others sleep",
        invoke_repeats=repeats * len(rounds), batch_size=batch, batch_repeats=len(batch_rounds),
        accuracy_batch_size=config.accuracy_batch_size,
        accuracy_chunks=len(acc_chunks), threads=tuple(threads),
        pinning=("os.sched_setaffinity: a t-thread job on the first t usable cores" if config.pin and hasattr(os, "sched_setaffinity") else "none"),
        process_per_job=True,
        notes=(
            "Latency statistics pool every timed call of a job over all rounds (linear-interpolated percentiles).",
            "Throughput single = timed images / sum of their end-to-end latencies; batched = images / time of classify_batch calls.",
            f"Each job process sets OMP/OpenBLAS threads to 1; load time excludes importing the runtime (import_ms).",
        ),
    )
    report = BenchmarkReport(
        schema_version=SCHEMA_VERSION,
        tool="flowerlite-benchmarks",
        created=datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        command=config.command,
        machine=machine,
        pythons=tuple(pythons),
        methodology=methodology,
        dataset=dataset,
        models=tuple(ModelEntry(m.variant, m.backbone, m.precision, _display_path(m.path), m.size_bytes, m.sha256,
                                m.input_shape, m.input_dtype, len(m.labels)) for m in models),
        jobs=tuple(job_results),
        accuracy=tuple(accuracy),
        ratios=tuple(ratios),
        realworld=tuple(realworld),
        load_average_end=describe_machine().load_average,
        wall_seconds=round(time.perf_counter() - started, 1),
        incomplete=incomplete,
    )
    precisions = {m.variant: m.precision for m in report.models}
    return replace(report, targets=tuple(evaluate_targets(report)) + tuple(realworld_targets(report.realworld, precisions)))


def _display_path(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)

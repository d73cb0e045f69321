"""The measuring loop of a run: load each job, warm it up, time it in interleaved rounds, then the accuracy pass.

Every job runs in its own worker process, and only one works at a time while the others sleep: loads one
after another, rounds in a new seeded order each, the accuracy pass in interleaved chunks. A failing job
is marked and left out; anything else that stops the run keeps what was measured and says why.
"""

from __future__ import annotations

import random
from pathlib import Path

from benchmarks.config import RunConfig
from benchmarks.job_record import JobRecord
from benchmarks.models import ModelFile
from benchmarks.plan import Schedule, worker_spec
from benchmarks.progress import Progress
from benchmarks.workers import WorkerError, WorkerProcess

__all__ = ["measure", "accuracy_jobs"]


def accuracy_jobs(records: list[JobRecord], models: list[ModelFile]) -> dict[str, JobRecord]:
    """Per variant, the job that classifies every image: the SDK with the most threads, else the bare interpreter."""
    chosen = {}
    for model in models:
        candidates = [r for r in records if r.job.model.variant == model.variant and r.job.main_python and r.worker is not None
                      and r.job.engine in ("sdk", "bare")]
        if candidates:
            chosen[model.variant] = max(candidates, key=lambda r: (r.job.engine == "sdk", r.job.runtime == "ai-edge-litert", r.job.threads or 0))
    return chosen


def measure(records: list[JobRecord], models: list[ModelFile], paths: list[str], schedule: Schedule, config: RunConfig,
            workdir: Path, progress: Progress) -> tuple[dict[str, JobRecord], str]:
    """Runs every job of `records` through the schedule, filling in what each measured.

    Returns:
        The record of the job that ran each variant's accuracy pass, and why the run stopped early
        ("" when it ran to the end; then every job not failed is finished and its worker gone).
    """
    speed, warm, rounds, repeats, batch = schedule.speed, schedule.warm, schedule.rounds, schedule.invoke_repeats, schedule.batch
    batch_rounds, acc_chunks = schedule.batch_rounds, schedule.accuracy_chunks
    accuracy_records: dict[str, JobRecord] = {}
    incomplete = ""
    try:
        # Loading one at a time: a model's load time is measured while the other jobs sleep.
        for record in records:
            try:
                record.worker = WorkerProcess(record.job.job_id, worker_spec(record.job, paths), record.job.python.executable, workdir)
                record.ready = record.worker.ready
            except WorkerError as exc:
                record.fail(str(exc))
            progress.step(f"load {record.job.job_id}")
        for record in records:
            record.call("e2e", images=warm)
            if record.job.engine == "mediapipe":
                record.invoke_supported = False
            else:
                record.call("invoke", images=warm[:1], repeats=config.warmup_invokes)
            if record.job.engine != "mediapipe":  # the first batch builds the batch-sized interpreter: not timed
                record.call("batch", images=[speed[i % len(speed)] for i in range(batch)])
            progress.step(f"warm up {record.job.job_id}")
        for number, chunk in enumerate(rounds):
            order = records[:]
            random.Random(f"{config.seed}/round{number}").shuffle(order)  # a new order every round spreads drifts in load
            for record in order:
                reply = record.call("e2e", images=chunk)
                if reply:
                    record.e2e_ns += reply["latencies_ns"]
                    record.e2e_cpu_ns += reply["cpu_ns"]
                    record.e2e_wall_ns += reply["wall_ns"]
                    record.e2e_top1.update({i: t[0] for i, t in zip(chunk, reply["topk"])})
                if record.invoke_supported:
                    reply = record.call("invoke", images=chunk[:1], repeats=repeats)
                    if reply:
                        record.invoke_ns += reply["latencies_ns"]
                if number in batch_rounds and record.job.engine != "mediapipe":  # MediaPipe has no batch API
                    group = [speed[(number * len(chunk) + i) % len(speed)] for i in range(batch)]
                    reply = record.call("batch", images=group)
                    if reply:
                        record.batch_ns += reply["elapsed_ns"]
                        record.batch_images += len(group)
                progress.step(f"round {number + 1}/{len(rounds)} {record.job.job_id}")
        accuracy_records = accuracy_jobs(records, models)
        for number, chunk in enumerate(acc_chunks):
            order = list(accuracy_records.values())
            random.Random(f"{config.seed}/accuracy{number}").shuffle(order)
            for record in order:
                # The pass and the invoke alone on the same chunk, side by side; which goes first alternates.
                for op in (("classify_many", "invoke_each") if number % 2 == 0 else ("invoke_each", "classify_many")):
                    if op == "classify_many":
                        reply = record.call(op, images=chunk, batch_size=config.accuracy_batch_size)
                        if reply:
                            record.accuracy_ns += reply["elapsed_ns"]
                            record.accuracy_topk.update(zip(chunk, reply["topk"]))
                    else:
                        reply = record.call(op, images=chunk)
                        if reply:
                            record.accuracy_invoke_ns += reply["invoke_ns"]
                progress.step(f"accuracy {number + 1}/{len(acc_chunks)} {record.job.model.variant}")
        for record in records:
            if record.worker is not None:
                try:
                    record.final = record.worker.finish()
                except WorkerError as exc:
                    record.fail(str(exc))
                record.worker = None
            progress.step(f"finish {record.job.job_id}")
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - keep what was measured, say why it stopped
        incomplete = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}".splitlines()[0]
        for record in records:
            record.error = record.error or f"not finished: the run stopped ({incomplete})"
    return accuracy_records, incomplete

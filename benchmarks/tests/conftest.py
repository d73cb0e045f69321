"""Shared pieces of the benchmark tests: a hand-made report, and a folder-per-class set for the SDK fixture model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks import SCHEMA_VERSION
from benchmarks.machine import MachineInfo, PythonInfo
from benchmarks.report import (
    AccuracyResult, BenchmarkReport, DatasetInfo, JobResult, Methodology, ModelEntry, Ratio, Target,
)
from benchmarks.stats import ClassAccuracy, LatencyStats

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "sdk" / "tests" / "fixtures"
QUADRANTS = ("top left", "top right", "bottom left", "bottom right")


def latency(p50: float) -> LatencyStats:
    return LatencyStats(n=100, mean_ms=p50 * 1.1, std_ms=p50 / 10, min_ms=p50 * 0.8, p50_ms=p50,
                        p90_ms=p50 * 1.3, p99_ms=p50 * 1.8, max_ms=p50 * 2.5)


def make_report(e2e_scale: float = 1.0, top1_int8: float = 0.90, digest: str = "d" * 64) -> BenchmarkReport:
    """A small but complete report: two variants, SDK and bare jobs, accuracy, ratios and targets."""
    models = (
        ModelEntry("lite0-float32", "lite0", "float32", "models/flowerlite-lite0-float32.tflite", 13_000_000, "a" * 64, (1, 224, 224, 3), "float32", 102),
        ModelEntry("lite0-int8", "lite0", "int8", "models/flowerlite-lite0-int8.tflite", 4_000_000, "b" * 64, (1, 224, 224, 3), "uint8", 102),
    )
    jobs = []
    for variant, base in (("lite0-float32", 20.0), ("lite0-int8", 8.0)):
        for engine, factor in (("sdk", 1.0), ("bare", 1.05)):
            p50 = base * factor * e2e_scale
            jobs.append(JobResult(
                job_id=f"{variant}.{engine}.ai-edge-litert.t2", variant=variant, engine=engine, runtime="ai-edge-litert",
                runtime_version="2.3.0", python="/usr/bin/python3", python_version="3.11.7", threads=2, cpus=None,
                status="ok", import_ms=300.0, load_ms=25.0, rss_start_bytes=40_000_000, rss_after_load_bytes=90_000_000,
                peak_rss_bytes=120_000_000, e2e=latency(p50), invoke=latency(p50 * 0.7), single_images_per_s=1000 / (p50 * 1.1),
                batch_size=8, batched_images_per_s=1100 / p50, timing_top1=0.9, agreement_with_sdk=1.0,
            ))
    jobs.append(JobResult(job_id="lite0-int8.mediapipe", variant="lite0-int8", engine="mediapipe", runtime="mediapipe",
                          runtime_version="1.2.3", python="/usr/bin/python3", python_version="3.11.7", threads=None, cpus=None,
                          status="failed", error="WorkerError: boom"))
    per_class = tuple(ClassAccuracy(i, f"class {i}", correct, 10) for i, correct in enumerate((10, 9, 3)))
    accuracy = (
        AccuracyResult("lite0-float32", "lite0-float32.sdk.ai-edge-litert.t2", 30, 0.92, 0.99, 0.6, 50.0, "lite0-float32", 1.0, per_class),
        AccuracyResult("lite0-int8", "lite0-int8.sdk.ai-edge-litert.t2", 30, top1_int8, 0.98, 0.25, 120.0, "lite0-float32", 0.97, per_class),
    )
    return BenchmarkReport(
        schema_version=SCHEMA_VERSION, tool="flowerlite-benchmarks", created="2026-01-01T00:00:00+00:00",
        command="python -m benchmarks run --limit 30",
        machine=MachineInfo("Test CPU", "x86_64", 2, 2, 8_000_000_000, "Debian", "6.1", "host", (1.0, 1.0, 1.0)),
        pythons=(PythonInfo("/usr/bin/python3", "3.11.7", "CPython", "2.4.0", "11.0", {"ai-edge-litert": "2.3.0"}, "0.1.0"),),
        methodology=Methodology("perf_counter_ns", 10, 10, 5, "interleaved", 100, 8, 1, 10, (1, 2), "none", True, ("a note",)),
        dataset=DatasetInfo("oxford102", "/data", "test", 30, 3, 6149, "stratified", 0, digest, 20),
        models=models, jobs=tuple(jobs), accuracy=accuracy,
        ratios=(Ratio("SDK / bare interpreter", "lite0-int8", 2, "lite0-int8.sdk.ai-edge-litert.t2", "lite0-int8.bare.ai-edge-litert.t2", 1.05, 1.04),),
        targets=(Target("Full 6149-image accuracy pass of lite0-int8 < 60 s", 51.2, 60.0, "<", None, "extrapolated"),),
        load_average_end=(1.5, 1.2, 1.0), wall_seconds=12.0,
    )


@pytest.fixture
def report() -> BenchmarkReport:
    return make_report()


def quadrant_image(quadrant: int, size: tuple[int, int], seed: int) -> Image.Image:
    """A dark photo-sized image whose `quadrant` (0..3 = top left, top right, bottom left, bottom right) is bright."""
    rng = np.random.default_rng(seed)
    width, height = size
    pixels = rng.integers(0, 50, (height, width, 3), dtype=np.uint8)
    row, col = divmod(quadrant, 2)
    pixels[row * height // 2 : (row + 1) * height // 2, col * width // 2 : (col + 1) * width // 2] = rng.integers(200, 256, 3)
    return Image.fromarray(pixels)


@pytest.fixture
def quadrant_set(tmp_path) -> tuple[Path, Path]:
    """(models folder with the SDK's quadrants fixture as released float32 and int8 files, folder-per-class images)."""
    models = tmp_path / "models"
    models.mkdir()
    for precision in ("float32", "int8"):
        source = FIXTURES / f"quadrants_{precision}_metadata.tflite"
        if not source.exists():
            pytest.skip(f"SDK fixture model missing: {source} (python sdk/tests/fixtures/make_fixtures.py)")
        shutil.copy(source, models / f"flowerlite-quadrants-{precision}.tflite")
    data = tmp_path / "images"
    for label, name in enumerate(QUADRANTS):
        (data / name).mkdir(parents=True)
        for i, size in enumerate(((48, 40), (40, 52), (64, 64))):
            suffix = ".png" if i == 2 else ".jpg"
            quadrant_image(label, size, seed=10 * label + i).save(data / name / f"{i}{suffix}")
    return models, data

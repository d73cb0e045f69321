"""The card quotes the benchmark harness: only for the very files released."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil

import pytest

from benchmarks.realworld import RealWorldResult
from benchmarks.report import AccuracyResult, DatasetInfo, ModelEntry, write_json
from benchmarks.tests.conftest import latency, make_report
from flowerlite.contract import parse_release_name
from training.export.benchmark_card import apply_benchmark
from training.export.errors import ExportError

COMMAND = "python -m benchmarks run --models models --data-dir ../shared/oxford102"


def _report(models_dir, digest=None, realworld=()):
    """A report of the released files, as the harness writes it (its own dataclasses and `write_json`)."""
    files = sorted(models_dir.glob("flowerlite-*.tflite"))
    base = make_report()
    sdk_job = next(j for j in base.jobs if j.variant == "lite0-int8" and j.engine == "sdk")
    return dataclasses.replace(
        base, command=COMMAND, created="2025-01-01T00:00:00",
        machine=dataclasses.replace(base.machine, cpu_model="Test CPU", usable_cores=2, os="Linux"),
        dataset=DatasetInfo("oxford102", "../shared/oxford102", "test", 6149, 102, 6149, "all", 0, "d" * 64, 200),
        models=tuple(ModelEntry(f"efficientnet_lite0-{parse_release_name(p).variant}", "efficientnet_lite0",
                                parse_release_name(p).variant, f"models/{p.name}", p.stat().st_size,
                                digest or hashlib.sha256(p.read_bytes()).hexdigest(), (1, 32, 32, 3), "uint8", 2)
                     for p in files),
        accuracy=(AccuracyResult("efficientnet_lite0-float32", "f32", 6149, 0.9, 0.98, 60.0, 100.0, "", None),
                  AccuracyResult("efficientnet_lite0-int8", "i8", 6149, 0.897, 0.979, 30.0, 200.0, "efficientnet_lite0-float32", 0.99)),
        jobs=(dataclasses.replace(sdk_job, variant="efficientnet_lite0-int8", threads=2, e2e=latency(9.87), invoke=latency(5.43)),
              dataclasses.replace(sdk_job, variant="efficientnet_lite0-int8", threads=1, e2e=latency(15.0), invoke=latency(11.0))),
        realworld=tuple(realworld),
    )


def test_card_quotes_the_benchmark_and_sha256sums_follow(tmp_path, tiny_release):
    models = shutil.copytree(tiny_release.out_dir, tmp_path / "models")
    write_json(_report(models), tmp_path / "benchmark.json")
    card = apply_benchmark(models, tmp_path / "benchmark.json").read_text()
    assert "## Accuracy, size and latency (test, 6149 images; benchmark harness)" in card
    assert "| `flowerlite-efficientnet_lite0-int8.tflite` |" in card
    assert "| 89.70% | 97.90% | -0.30 pts | 9.9 ms | 5.4 ms | sdk / ai-edge-litert 2.3.0, 2 threads |" in card
    assert "python -m benchmarks run --models models --data-dir ../shared/oxford102" in card
    assert "export's own evaluation" not in card  # the old section is gone, the rest of the card stays
    assert "## Training protocol" in card
    sums = dict(reversed(line.split("  ")) for line in (models / "SHA256SUMS").read_text().splitlines())
    assert sums["MODEL_CARD.md"] == hashlib.sha256(card.encode()).hexdigest()


def test_a_benchmark_of_other_files_is_refused(tmp_path, tiny_release):
    models = shutil.copytree(tiny_release.out_dir, tmp_path / "models")
    before = (models / "MODEL_CARD.md").read_text()
    write_json(_report(models, digest="0" * 64), tmp_path / "benchmark.json")
    with pytest.raises(ExportError, match=r"did not measure the released flowerlite-efficientnet_lite0-.*re-run the benchmark"):
        apply_benchmark(models, tmp_path / "benchmark.json")
    assert (models / "MODEL_CARD.md").read_text() == before


def test_card_quotes_the_harness_real_world_figures_when_it_measured_them(tmp_path, tiny_release):
    models = shutil.copytree(tiny_release.out_dir, tmp_path / "models")
    released_section = (models / "MODEL_CARD.md").read_text().split("<!-- realworld:start -->")[1]
    write_json(_report(models), tmp_path / "plain.json")
    card = apply_benchmark(models, tmp_path / "plain.json").read_text()
    assert card.split("<!-- realworld:start -->")[1] == released_section  # no real-world figures: the release's stay

    realworld = [RealWorldResult(f"efficientnet_lite0-{p.variant}", "../shared/realworld-val", 2, p.scores, p.confident,
                                 p.confident.threshold, p.confident, 1.0)
                 for p in tiny_release.photo_sets]
    report = _report(models, realworld=realworld)
    write_json(report, tmp_path / "benchmark.json")
    card = apply_benchmark(models, tmp_path / "benchmark.json").read_text()
    section = card.split("<!-- realworld:start -->")[1].split("<!-- realworld:end -->")[0]
    level = tiny_release.photo_sets[0].confident
    assert "## Real-world photos (`../shared/realworld-val`: 34 photos of 2 species, benchmark harness)" in section
    assert (f"| `flowerlite-efficientnet_lite0-int8.tflite` | int8 | 34 | 70.59% | 100.00% | 75.00% | "
            f"{level.threshold:g} | 70.59% | 100.00% |") in section
    assert "Measured 2025-01-01T00:00:00 with:" in section and COMMAND in section
    assert "## Accuracy, size and latency" in card  # both sections quote the harness
    sums = dict(reversed(line.split("  ")) for line in (models / "SHA256SUMS").read_text().splitlines())
    assert sums["MODEL_CARD.md"] == hashlib.sha256(card.encode()).hexdigest()


def test_a_file_that_is_not_a_benchmark_report_is_refused_with_the_harness_reason(tmp_path, tiny_release):
    models = shutil.copytree(tiny_release.out_dir, tmp_path / "models")
    (tmp_path / "benchmark.json").write_text('{"jobs": []}')
    with pytest.raises(ExportError, match=r"Cannot read the benchmark result .*benchmark.json \(.*no schema_version"):
        apply_benchmark(models, tmp_path / "benchmark.json")

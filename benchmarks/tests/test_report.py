"""The versioned JSON round-trips, the Markdown says what was measured, the charts are written, compare diffs two runs."""

from __future__ import annotations

import dataclasses
import json

import pytest

from benchmarks import SCHEMA_VERSION
from benchmarks.charts import write_charts
from benchmarks.cli import main
from benchmarks.compare import compare_reports
from benchmarks.errors import BenchmarkError
from benchmarks.report import Ratio, read_json, render_markdown, write_json
from benchmarks.runner import evaluate_targets

from .conftest import make_report


def test_json_round_trip_gives_back_the_same_report(report, tmp_path):
    path = write_json(report, tmp_path / "out" / "benchmark.json")
    assert read_json(path) == report
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["jobs"][0]["e2e"]["p99_ms"] == pytest.approx(36.0)
    assert data["accuracy"][1]["per_class"][2] == {"label": 2, "name": "class 2", "correct": 3, "total": 10}


def test_json_has_no_nan_and_ignores_fields_it_does_not_know(report, tmp_path):
    odd = dataclasses.replace(report, wall_seconds=float("nan"))
    path = write_json(odd, tmp_path / "b.json")
    text = path.read_text()
    assert "NaN" not in text and json.loads(text)["wall_seconds"] is None
    data = json.loads(text)
    data["added_by_a_newer_harness"] = {"x": 1}
    data["machine"]["gpu"] = "none"
    path.write_text(json.dumps(data))
    assert read_json(path).machine == report.machine


def test_read_json_refuses_other_versions_and_other_files_with_the_path(report, tmp_path):
    path = write_json(report, tmp_path / "v.json")
    data = json.loads(path.read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(BenchmarkError, match=f"v.json has schema_version {SCHEMA_VERSION + 1}"):
        read_json(path)
    (tmp_path / "other.json").write_text('{"hello": 1}')
    with pytest.raises(BenchmarkError, match="other.json is not a benchmark result"):
        read_json(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(BenchmarkError, match="Cannot read .*broken.json as JSON"):
        read_json(tmp_path / "broken.json")
    with pytest.raises(BenchmarkError, match="Benchmark result not found: .*missing.json"):
        read_json(tmp_path / "missing.json")


def test_markdown_holds_accuracy_speed_ratios_targets_and_methodology(report):
    text = render_markdown(report)
    assert "| lite0-int8 | 4.0 | 90.00% | 98.00% | 73.33% | 97.00% (lite0-float32) | 0.2 | 120 |" in text  # classes 10, 9, 3 of 10
    assert "| lite0-int8 | sdk | ai-edge-litert 2.3.0 | 2 | 25.0 | 120.0 (40.0) | 8.00 / 10.40 / 14.40 |" in text
    assert "failed: WorkerError: boom" in text
    assert "| SDK / bare interpreter | lite0-int8 | 2 | 1.050× | 1.040× |" in text
    assert "| Full 6149-image accuracy pass of lite0-int8 < 60 s | 51.200 | < 60 | not measured | extrapolated |" in text
    assert "class 2 30% (10)" in text  # the hardest class comes first
    assert "Warm-up per job: 10 images end to end and 10 invokes" in text
    assert "Command: `python -m benchmarks run --limit 30`" in text


def test_targets_pass_fail_or_stay_unmeasured():
    report = make_report()
    targets = {t.name.split(" (")[0]: t for t in evaluate_targets(report)}
    bare = targets["SDK end-to-end throughput ≥ 0.95× bare interpreter"]
    assert bare.value == 1.05 and bare.passed is True
    assert targets["SDK end-to-end throughput ≥ 1.0× MediaPipe"].passed is None
    full = targets["Full 6149-image accuracy pass of lite0-int8 < 60 s"]
    assert full.passed is None and full.value == pytest.approx(0.25 * 6149 / 30)  # extrapolated from 30 images
    slow = dataclasses.replace(report, ratios=(dataclasses.replace(report.ratios[0], value=0.9),))
    assert [t.passed for t in evaluate_targets(slow)][0] is False


def test_mediapipe_target_compares_with_the_sdk_at_the_cores_mediapipe_used():
    report = make_report()
    mediapipe = dataclasses.replace(report.jobs[-1], status="ok", error="", e2e=report.jobs[0].e2e, cores_used=1.02)
    ratios = (Ratio("SDK / MediaPipe", "lite0-int8", 1, "sdk.t1", "mediapipe", 1.10, 1.0),
              Ratio("SDK / MediaPipe", "lite0-int8", 2, "sdk.t2", "mediapipe", 0.80, 1.0))
    report = dataclasses.replace(report, jobs=report.jobs[:-1] + (mediapipe,), ratios=ratios)
    target = next(t for t in evaluate_targets(report) if "MediaPipe" in t.name)
    assert target.value == 1.10 and target.passed is True
    assert "SDK at 1 thread(s) = the cores MediaPipe used" in target.name
    assert "geometric mean of the 1 ratios 1.100" in target.detail


def test_charts_are_png_files_with_content(report, tmp_path):
    pytest.importorskip("matplotlib")
    written = write_charts(report, tmp_path)
    assert [p.name for p in written] == ["accuracy_vs_size.png", "latency.png"]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_compare_prints_accuracy_deltas_speed_ratios_and_unmatched_jobs():
    a = make_report()
    b = make_report(e2e_scale=0.5, top1_int8=0.91, digest="e" * 64)
    b = dataclasses.replace(b, jobs=b.jobs[:-1] + (dataclasses.replace(b.jobs[0], job_id="lite0-float32.sdk.ai-edge-litert.t4@venv"),),
                            accuracy=(b.accuracy[0], dataclasses.replace(b.accuracy[1], invoke_seconds=0.2)))
    text = compare_reports(a, b, "a.json", "b.json")
    assert "A = a.json: 2026-01-01T00:00:00+00:00, Test CPU (x86_64, 2 cores)" in text
    assert "different images" in text
    int8 = next(line for line in text.splitlines() if line.startswith("lite0-int8 "))
    assert int8.split() == ["lite0-int8", "90.00", "91.00", "+1.00", "98.00", "98.00", "+0.00", "120", "120", "1.00×", "–", "1.25"]
    sdk = next(line for line in text.splitlines() if line.startswith("lite0-int8.sdk.ai-edge-litert.t2"))
    assert sdk.split()[1:4] == ["8.00", "4.00", "0.50×"]
    assert "Only in A: lite0-int8.mediapipe" in text
    assert "Only in B: lite0-float32.sdk.ai-edge-litert.t4" in text
    target = next(line for line in text.splitlines() if line.startswith("Full 6149-image"))
    assert target.split()[-4:] == ["51.200", "–", "51.200", "–"]


def test_compare_command_prints_the_diff_and_names_a_missing_file(report, tmp_path, capsys):
    a = write_json(report, tmp_path / "a.json")
    b = write_json(make_report(e2e_scale=2.0), tmp_path / "b.json")
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "lite0-int8.bare.ai-edge-litert.t2" in out and "2.00×" in out
    assert main(["compare", str(a), str(tmp_path / "nope.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: Benchmark result not found:") and "nope.json" in err[0]

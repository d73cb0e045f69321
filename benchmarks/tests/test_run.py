"""`python -m benchmarks run` end to end on the SDK's fixture model and a few synthetic images, and its errors."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.cli import main
from benchmarks.report import read_json

from .conftest import REPO

FAST = ["--threads", "1", "--rounds", "2", "--timing-images", "8", "--warmup", "2", "--invoke-repeats", "4",
        "--batch-size", "2", "--accuracy-chunks", "3", "--no-progress"]


def test_run_measures_every_job_and_writes_json_markdown_and_charts(quadrant_set, tmp_path, capsys):
    models, images = quadrant_set
    out = tmp_path / "out"
    code = main(["run", "--models", str(models), "--dataset", "folder", "--data-dir", str(images),
                 "--engines", "sdk,bare", "--output", str(out), *FAST])
    assert code == 0, capsys.readouterr().err
    report = read_json(out / "benchmark.json")
    assert report.dataset.n_images == 12 and report.dataset.n_classes == 4 and report.dataset.selection == "all"
    assert [m.variant for m in report.models] == ["quadrants-float32", "quadrants-int8"]
    assert {(j.variant, j.engine) for j in report.jobs} == {
        (v, e) for v in ("quadrants-float32", "quadrants-int8") for e in ("sdk", "bare")}
    for job in report.jobs:
        assert job.status == "ok", job.error
        assert job.e2e.n == 8 and job.invoke.n == 4 and job.threads == 1
        assert job.batch_size == 2 and job.batched_images_per_s > 0 and job.single_images_per_s > 0
        assert job.peak_rss_bytes >= job.rss_after_load_bytes > 0 and job.load_ms > 0
        assert 0 < job.cores_used < 1.5  # one interpreter thread (and Python) per job here
        assert job.timing_top1 == 1.0 and job.agreement_with_sdk == 1.0  # the quadrant model is never wrong here
    accuracy = {a.variant: a for a in report.accuracy}
    assert accuracy["quadrants-float32"].top1 == accuracy["quadrants-int8"].top1 == 1.0
    assert accuracy["quadrants-int8"].reference == "quadrants-float32"
    assert accuracy["quadrants-int8"].agreement_with_reference == 1.0
    assert {c.name: (c.correct, c.total) for c in accuracy["quadrants-int8"].per_class}["top right"] == (3, 3)
    for a in accuracy.values():  # the invoke alone on the same images, side by side with the pass
        assert 0 < a.invoke_seconds < a.seconds and a.invoke_ratio == a.seconds / a.invoke_seconds
    [ratio_target] = [t for t in report.targets if "invoke-only time" in t.name]
    assert ratio_target.value == accuracy["quadrants-int8"].invoke_ratio and ratio_target.comparison == "<="
    assert report.methodology.accuracy_batch_size == 0 and report.incomplete == ""
    assert {r.name for r in report.ratios} == {"SDK / bare interpreter"} and len(report.ratios) == 2
    assert report.command.startswith("python -m benchmarks run --models ") and report.command.endswith("--no-progress")
    markdown = (out / "benchmark.md").read_text()
    assert "| quadrants-int8 | sdk | ai-edge-litert" in markdown
    assert "| invoke-only s | pass / invoke-only |" in markdown and "the SDK's `classify_batch` over each chunk" in markdown
    # Charts need the optional matplotlib: without it the run writes JSON and Markdown only, and says so.
    charts = {"latency.png", "accuracy_vs_size.png"} if importlib.util.find_spec("matplotlib") else set()
    for name in charts:
        assert (out / name).stat().st_size > 10_000
    captured = capsys.readouterr()
    assert "Wrote" in captured.out
    assert ("No charts: matplotlib is not installed" in captured.err) == (not charts)
    sums = dict(line.split("  ")[::-1] for line in (out / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == {"benchmark.json", "benchmark.md"} | charts
    assert sums["benchmark.json"] == hashlib.sha256((out / "benchmark.json").read_bytes()).hexdigest()


def test_limit_takes_a_stratified_subset_and_says_so(quadrant_set, tmp_path):
    models, images = quadrant_set
    out = tmp_path / "out"
    assert main(["run", "--models", str(models / "flowerlite-quadrants-int8.tflite"), "--dataset", "folder",
                 "--data-dir", str(images), "--limit", "4", "--engines", "bare", "--no-charts", "--output", str(out), *FAST]) == 0
    report = read_json(out / "benchmark.json")
    assert (report.dataset.n_images, report.dataset.total_in_subset, report.dataset.selection) == (4, 12, "stratified")
    assert sum(c.total for c in report.accuracy[0].per_class) == 4
    assert all(c.total == 1 for c in report.accuracy[0].per_class)  # one image of each of the 4 classes
    assert report.accuracy[0].reference == ""  # no float32 model in this run


def test_a_dataset_whose_classes_the_model_lacks_is_refused_in_one_line(quadrant_set, tmp_path, capsys):
    models, images = quadrant_set
    (images / "top left").rename(images / "tulip")
    assert main(["run", "--models", str(models), "--dataset", "folder", "--data-dir", str(images), "--output", str(tmp_path), *FAST]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "has no label for 1 of the 4 dataset classes (e.g. 'tulip')" in err[0]


def test_missing_models_and_a_bad_interpreter_are_reported_with_the_path(quadrant_set, tmp_path, capsys):
    models, images = quadrant_set
    args = ["run", "--dataset", "folder", "--data-dir", str(images), "--output", str(tmp_path), *FAST]
    assert main([*args, "--models", str(tmp_path / "none.tflite")]) == 2
    assert "Model not found: " in capsys.readouterr().err
    assert main([*args, "--models", str(models), "--python", str(tmp_path / "no-python")]) == 2
    assert f"Cannot run the interpreter {tmp_path / 'no-python'}" in capsys.readouterr().err


def test_a_job_that_fails_is_recorded_and_the_others_still_run(quadrant_set, tmp_path):
    models, images = quadrant_set
    (models / "flowerlite-quadrants-float32.tflite").unlink()
    out = tmp_path / "out"
    # The bare baseline feeds RGB only: on the 1-channel fixture it fails, while the SDK (and the other model) run.
    gray = REPO / "sdk" / "tests" / "fixtures" / "quadrants_gray_float32_metadata.tflite"
    batch1 = REPO / "sdk" / "tests" / "fixtures" / "quadrants_int8_batch1_metadata.tflite"
    assert main(["run", "--models", str(models), str(gray), str(batch1), "--dataset", "folder", "--data-dir", str(images),
                 "--engines", "sdk,bare", "--no-charts", "--output", str(out), *FAST]) == 1  # written, and the failure said
    report = read_json(out / "benchmark.json")
    jobs = {j.job_id: j for j in report.jobs}
    failed = jobs["quadrants_gray_float32_metadata.bare.ai-edge-litert.t1"]
    assert failed.status == "failed" and "Job quadrants_gray_float32_metadata.bare.ai-edge-litert.t1 failed: ValueError" in failed.error
    assert failed.e2e is None and failed.runtime == "ai-edge-litert"
    assert jobs["quadrants_gray_float32_metadata.sdk.ai-edge-litert.t1"].status == "ok"
    # A graph fixed to batch 1 still gets a batched figure: one invoke per image, for the SDK and the baseline.
    for engine in ("sdk", "bare"):
        assert jobs[f"quadrants_int8_batch1_metadata.{engine}.ai-edge-litert.t1"].batched_images_per_s > 0
    assert {a.variant: a.top1 for a in report.accuracy}["quadrants_int8_batch1_metadata"] == 1.0
    assert "failed: Job quadrants_gray_float32_metadata.bare" in (out / "benchmark.md").read_text()


@pytest.mark.parametrize("bad,message", [
    (["--limit", "abc"], "argument --limit: expected a positive integer, received 'abc'"),
    (["--limit", "0"], "argument --limit: expected a positive integer, received '0'"),
    (["--timing-images", "0"], "argument --timing-images: expected a positive integer, received '0'"),
    (["--threads", "0"], "argument --threads: expected a comma-separated list of positive integers, received '0'"),
    (["--threads", "1,two"], "received '1,two'"),
    (["--rounds", "-3"], "argument --rounds: expected a positive integer"),
    (["--warmup", "-1"], "argument --warmup: expected an integer >= 0, received '-1'"),
    (["--val-fraction", "1.5"], "argument --val-fraction: expected a fraction in [0, 1), received '1.5'"),
])
def test_bad_arguments_are_refused_in_one_line_before_any_work(bad, message, quadrant_set, tmp_path, capsys, monkeypatch):
    models, images = quadrant_set
    monkeypatch.setattr("benchmarks.runner.run_benchmark", lambda config: pytest.fail("the run started"))
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--models", str(models), "--dataset", "folder", "--data-dir", str(images), "--output",
              str(tmp_path / "out"), *FAST, *bad])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message in err, err


def test_an_output_that_is_a_file_is_refused_before_any_work(quadrant_set, tmp_path, capsys, monkeypatch):
    models, images = quadrant_set
    monkeypatch.setattr("benchmarks.runner.run_benchmark", lambda config: pytest.fail("the run started"))
    existing = tmp_path / "results.json"
    existing.write_text("keep me")
    code = main(["run", "--models", str(models), "--dataset", "folder", "--data-dir", str(images), "--output",
                 str(existing), *FAST])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"--output {existing} is a file, not a folder" in err
    assert existing.read_text() == "keep me"


def test_a_run_that_fails_late_still_leaves_what_it_measured(quadrant_set, tmp_path, capsys, monkeypatch):
    models, images = quadrant_set
    out = tmp_path / "out"

    def accuracy_jobs(records, models):
        raise RuntimeError("the accuracy pass broke")

    monkeypatch.setattr("benchmarks.measure.accuracy_jobs", accuracy_jobs)
    code = main(["run", "--models", str(models / "flowerlite-quadrants-int8.tflite"), "--dataset", "folder",
                 "--data-dir", str(images), "--engines", "sdk", "--no-charts", "--output", str(out), *FAST])
    assert code == 1
    assert "the run stopped early (RuntimeError: the accuracy pass broke)" in capsys.readouterr().err
    report = read_json(out / "benchmark.json")
    assert report.incomplete == "RuntimeError: the accuracy pass broke" and report.accuracy == ()
    [job] = report.jobs
    assert job.e2e.n == 8 and job.invoke.n == 4  # the timing rounds it finished are kept
    assert job.status == "failed" and "not finished" in job.error
    assert (out / "benchmark.md").read_text().startswith("# flowerlite benchmark\n\n**Incomplete run** (RuntimeError")


def test_results_are_written_atomically(report, tmp_path, monkeypatch):
    from benchmarks.report import write_json

    target = tmp_path / "benchmark.json"
    write_json(report, target)
    before = target.read_bytes()
    original = Path.write_text

    def disk_full(self, data, *args, **kwargs):
        original(self, data[:100], *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_json(dataclasses.replace(report, wall_seconds=99.0), target)
    assert target.read_bytes() == before  # the old result whole, not a torn new one
    assert [p.name for p in tmp_path.iterdir()] == ["benchmark.json"]  # and no temporary file left


def test_nothing_in_benchmarks_imports_tensorflow_keras_or_torch():
    code = (
        "import sys\n"
        "import benchmarks.cli, benchmarks.runner, benchmarks.worker, benchmarks.engines, benchmarks.charts\n"
        "import benchmarks.compare, benchmarks.report, benchmarks.imageset, benchmarks.models, benchmarks.machine\n"
        "import training.data.oxford102, training.data.folder, flowerlite.classifier\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'torch', 'jax'))\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    sources = [p for p in (REPO / "benchmarks").rglob("*.py") if "tests" not in p.parts]
    for path in sources:
        text = path.read_text()
        for module in ("tensorflow", "keras", "torch"):
            assert f"import {module}" not in text and f"from {module}" not in text, path


def test_every_engine_returns_k_classes_even_when_the_model_carries_a_score_threshold(tmp_path):
    from PIL import Image

    from benchmarks.engines import Preprocessing, create_engine
    from flowerlite.metadata import read_metadata, write_metadata

    from .conftest import FIXTURES

    source = FIXTURES / "quadrants_int8_metadata.tflite"
    model = tmp_path / "thresholded.tflite"
    model.write_bytes(write_metadata(source.read_bytes(), dataclasses.replace(read_metadata(source), score_threshold=0.9)))
    image = tmp_path / "red.png"
    Image.new("RGB", (40, 40), (200, 30, 40)).save(image)
    # (MediaPipe always applies the metadata's threshold; the harness uses only its top-1.)
    for name in ("sdk", "bare"):
        meta = read_metadata(model)
        engine = create_engine(name, str(model), None, 1, Preprocessing(meta.mean, meta.std, 0.875), k=3)
        try:
            assert len(engine.classify(str(image))) == 3, name  # top-3 accuracy needs all three
        finally:
            engine.close()

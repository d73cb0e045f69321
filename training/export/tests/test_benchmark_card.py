"""The card quotes the benchmark harness: only for the very files released."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from training.export.benchmark_card import apply_benchmark
from training.export.errors import ExportError


def _report(models_dir, digest=None) -> dict:
    files = sorted(models_dir.glob("flowerlite-*.tflite"))
    variants = {p.name: "efficientnet_lite0-" + p.stem.rsplit("-", 1)[-1] for p in files}
    return {
        "command": "python -m benchmarks run --models models --data-dir ../shared/oxford102",
        "created": "2025-01-01T00:00:00",
        "machine": {"cpu_model": "Test CPU", "usable_cores": 2, "os": "Linux"},
        "dataset": {"subset": "test", "n_images": 6149},
        "models": [{"path": f"models/{p.name}", "variant": variants[p.name], "precision": p.stem.rsplit("-", 1)[-1],
                    "size_bytes": p.stat().st_size, "sha256": digest or hashlib.sha256(p.read_bytes()).hexdigest()}
                   for p in files],
        "accuracy": [{"variant": "efficientnet_lite0-float32", "top1": 0.9, "top5": 0.98},
                     {"variant": "efficientnet_lite0-int8", "top1": 0.897, "top5": 0.979}],
        "jobs": [{"variant": "efficientnet_lite0-int8", "engine": "sdk", "runtime": "ai-edge-litert", "runtime_version": "2.3.0",
                  "threads": 2, "status": "ok", "e2e": {"p50_ms": 9.87}, "invoke": {"p50_ms": 5.43}},
                 {"variant": "efficientnet_lite0-int8", "engine": "sdk", "runtime": "ai-edge-litert", "runtime_version": "2.3.0",
                  "threads": 1, "status": "ok", "e2e": {"p50_ms": 15.0}, "invoke": {"p50_ms": 11.0}}],
    }


def test_card_quotes_the_benchmark_and_sha256sums_follow(tmp_path, tiny_release):
    models = shutil.copytree(tiny_release.out_dir, tmp_path / "models")
    (tmp_path / "benchmark.json").write_text(json.dumps(_report(models)))
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
    (tmp_path / "benchmark.json").write_text(json.dumps(_report(models, digest="0" * 64)))
    with pytest.raises(ExportError, match=r"did not measure the released flowerlite-efficientnet_lite0-.*re-run the benchmark"):
        apply_benchmark(models, tmp_path / "benchmark.json")
    assert (models / "MODEL_CARD.md").read_text() == before


def test_card_quotes_the_harness_real_world_figures_when_it_measured_them(tmp_path, tiny_release):
    import dataclasses

    models = shutil.copytree(tiny_release.out_dir, tmp_path / "models")
    report = _report(models)
    released_section = (models / "MODEL_CARD.md").read_text().split("<!-- realworld:start -->")[1]
    (tmp_path / "plain.json").write_text(json.dumps(report))
    card = apply_benchmark(models, tmp_path / "plain.json").read_text()
    assert card.split("<!-- realworld:start -->")[1] == released_section  # no real-world figures: the release's stay

    variants = {m["path"].split("/")[-1]: m["variant"] for m in report["models"]}
    report["realworld"] = [
        {"variant": variants[p.path.name], "photo_set": "../shared/realworld-val", "n_classes": 2,
         "scores": p.scores.to_dict(), "confident_score": p.confident.threshold,
         "at_confident": dataclasses.asdict(p.confident), "fitted": dataclasses.asdict(p.confident)}
        for p in tiny_release.photo_sets]
    (tmp_path / "benchmark.json").write_text(json.dumps(report))
    card = apply_benchmark(models, tmp_path / "benchmark.json").read_text()
    section = card.split("<!-- realworld:start -->")[1].split("<!-- realworld:end -->")[0]
    level = tiny_release.photo_sets[0].confident
    assert "## Real-world photos (`../shared/realworld-val`: 34 photos of 2 species, benchmark harness)" in section
    assert (f"| `flowerlite-efficientnet_lite0-int8.tflite` | int8 | 34 | 70.59% | 100.00% | 75.00% | "
            f"{level.threshold:g} | 70.59% | 100.00% |") in section
    assert "Measured 2025-01-01T00:00:00 with:" in section and report["command"] in section
    assert "## Accuracy, size and latency" in card  # both sections quote the harness
    sums = dict(reversed(line.split("  ")) for line in (models / "SHA256SUMS").read_text().splitlines())
    assert sums["MODEL_CARD.md"] == hashlib.sha256(card.encode()).hexdigest()

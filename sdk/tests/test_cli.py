"""The flowerlite CLI: output, JSON, exit codes and one-line errors."""

from __future__ import annotations

import io
import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import LABELS, fixture_path, quadrant_array
from flowerlite import _default_model
from flowerlite.cli import main


@pytest.fixture
def images(tmp_path):
    paths = []
    for quadrant in range(4):
        path = tmp_path / f"q{quadrant}.png"
        Image.fromarray(quadrant_array(quadrant)).save(path)
        paths.append(str(path))
    return paths


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_classify_prints_the_top_categories_per_image(images, capsys):
    code, out, err = run(["classify", images[0], images[1], "--model", fixture_path("quadrants_int8_metadata"),
                          "--top-k", "2"], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == images[0] and lines[1].strip().endswith("top left [0]")
    assert lines[3] == images[1] and lines[4].strip().endswith("top right [1]")
    assert len(lines) == 6


def test_classify_json_output(images, capsys):
    code, out, _ = run(["classify", *images, "--model", fixture_path("quadrants_float32_metadata"), "--json",
                        "--threads", "1", "-k", "3"], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["model"] == fixture_path("quadrants_float32_metadata") and report["runtime"]
    assert [r["image"] for r in report["results"]] == images
    for quadrant, result in enumerate(report["results"]):
        assert len(result["categories"]) == 3
        assert result["categories"][0] == {"index": quadrant, "label": LABELS[quadrant],
                                           "score": result["categories"][0]["score"]}


def test_classify_with_a_labels_file_for_a_model_without_metadata(images, capsys, tmp_path):
    labels = tmp_path / "labels.txt"
    labels.write_text("nw\nne\nsw\nse\n")
    code, out, _ = run(["classify", images[3], "--model", fixture_path("quadrants_int8"), "--labels", str(labels),
                        "--json"], capsys)
    assert code == 0 and json.loads(out)["results"][0]["categories"][0]["label"] == "se"


def test_info_prints_the_runtime_and_the_contract(capsys):
    code, out, _ = run(["info", fixture_path("quadrants_int8_metadata")], capsys)
    assert code == 0
    assert out.startswith("runtime:") and "input:         [1, 32, 32, 3] uint8 (scale" in out
    assert "labels:        4 from" in out and "top left, top right" in out
    assert "confident:     - (the model carries no confident score level)" in out
    code, out, _ = run(["info", fixture_path("quadrants_float32_metadata"), "--json"], capsys)
    info = json.loads(out)
    assert info["input_dtype"] == "float32" and info["labels"] == list(LABELS) and info["runtime_version"]
    assert info["confident_score"] is None


def test_info_shows_the_models_confident_score_in_text_and_json(tmp_path, capsys):
    import dataclasses

    from flowerlite.metadata import read_metadata, write_metadata

    source = fixture_path("quadrants_int8_metadata")
    model = tmp_path / "confident.tflite"
    with open(source, "rb") as f:
        model.write_bytes(write_metadata(f.read(), dataclasses.replace(read_metadata(source), confident_score=0.55)))
    code, out, _ = run(["info", str(model)], capsys)
    assert code == 0
    assert ("confident:     answers scoring at least 0.55 (right at least 90% of the time on the real-world "
            "photos of its model card)") in out
    code, out, _ = run(["info", str(model), "--json"], capsys)
    assert code == 0 and json.loads(out)["confident_score"] == 0.55


@pytest.mark.parametrize(
    "argv,message",
    [
        (["classify", "missing.jpg", "--model", "MODEL"], "image file not found: missing.jpg"),
        (["classify", "IMAGE", "--model", "nope.tflite"], "model file not found: nope.tflite"),
        (["classify", "IMAGE", "--model", "NOT_A_CLASSIFIER", "--labels", "LABELS"], "is not an image classifier"),
        (["classify", "IMAGE", "--model", "PLAIN"], "has no label metadata; pass labels_path= (CLI: --labels)"),
        (["classify", "IMAGE", "--model", "MODEL", "--runtime", "onnx"], "unknown runtime 'onnx'"),
        (["info", "IMAGE"], "is not a valid TFLite model"),
    ],
)
def test_errors_exit_1_with_exactly_one_line_on_stderr(argv, message, images, capsys):
    names = {"MODEL": fixture_path("quadrants_int8_metadata"), "IMAGE": images[0], "LABELS": fixture_path("labels.txt"),
             "NOT_A_CLASSIFIER": fixture_path("not_a_classifier"), "PLAIN": fixture_path("quadrants_int8")}
    code, out, err = run([names.get(a, a) for a in argv], capsys)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("flowerlite: error: ") and message in err, err


@pytest.mark.parametrize("argv", [[], ["classify"], ["classify", "x.jpg", "--top-k", "0"], ["frobnicate"]])
def test_usage_errors_exit_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error:" in err


def test_the_default_model_is_used_when_no_model_is_given(images, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(_default_model, "candidates", lambda: [tmp_path / "models"])
    code, _, err = run(["classify", images[0]], capsys)
    assert code == 1 and "no released model yet" in err and err.count("\n") == 1
    (tmp_path / "models").mkdir()
    shutil.copy(fixture_path("quadrants_int8_metadata"), tmp_path / "models" / "flowerlite-test-int8.tflite")
    code, out, _ = run(["classify", images[2], "--json"], capsys)
    assert code == 0 and json.loads(out)["results"][0]["categories"][0]["label"] == "bottom left"


def test_python_dash_m_flowerlite_runs_the_same_cli(images):
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(__file__).resolve().parents[1]))
    ok = subprocess.run([sys.executable, "-m", "flowerlite", "classify", images[1], "--model",
                         fixture_path("quadrants_int8_metadata"), "--json"], capture_output=True, text=True,
                        env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["results"][0]["categories"][0]["label"] == "top right"
    bad = subprocess.run([sys.executable, "-m", "flowerlite", "classify", "nope.jpg", "--model",
                          fixture_path("quadrants_int8_metadata")], capture_output=True, text=True, env=env,
                         timeout=120)
    assert bad.returncode == 1 and bad.stdout == ""
    # Exactly one line: the runtime's own "INFO: Created ... delegate" log is hidden too.
    assert bad.stderr == "flowerlite: error: image file not found: nope.jpg; check the path\n"


CONSOLE_SCRIPT = shutil.which("flowerlite", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("flowerlite")


@pytest.mark.skipif(CONSOLE_SCRIPT is None, reason="the flowerlite console script is not installed")
def test_the_console_script_is_installed(images):
    result = subprocess.run([CONSOLE_SCRIPT, "info", fixture_path("quadrants_int8_metadata"), "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and json.loads(result.stdout)["labels"] == list(LABELS)


def test_threads_over_the_bound_are_a_usage_error_and_help_states_the_bound(capsys):
    limit = 4 * len(os.sched_getaffinity(0))
    with pytest.raises(SystemExit) as exit_info:
        main(["classify", "x.jpg", "--threads", "100000"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        f"flowerlite classify: error: argument --threads: at most {limit} threads here (4 per usable CPU), "
        "received '100000' (see flowerlite classify --help)\n")
    with pytest.raises(SystemExit):
        main(["classify", "--help"])
    assert f"interpreter threads, at most 4 per usable CPU ({limit} here)" in " ".join(capsys.readouterr().out.split())


def corrupt_tiffs(tmp_path) -> list[str]:
    """Compressed TIFFs with a few bytes overwritten (seeded) on which libtiff writes warnings to stderr."""
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 24, 3), dtype=np.uint8))
    paths = []
    for compression, seed in (("tiff_lzw", 12), ("tiff_deflate", 4), ("tiff_deflate", 5), ("jpeg", 4)):
        stream = io.BytesIO()
        image.save(stream, "TIFF", compression=compression)
        damaged = bytearray(stream.getvalue())
        rng = np.random.default_rng(seed)
        for _ in range(int(rng.choice([1, 2, 4]))):
            damaged[int(rng.integers(len(damaged)))] = int(rng.integers(256))
        path = tmp_path / f"{compression}-{seed}.tif"
        path.write_bytes(bytes(damaged))
        paths.append(str(path))
    return paths


def test_corrupt_tiffs_keep_the_one_line_stderr_promise(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(__file__).resolve().parents[1]))
    paths = corrupt_tiffs(tmp_path)
    decode = "import sys\nfrom PIL import Image\nfor p in sys.argv[1:]:\n    try:\n        Image.open(p).load()\n" \
             "    except Exception:\n        pass"
    raw = subprocess.run([sys.executable, "-c", decode, *paths], capture_output=True, text=True, timeout=60)
    assert raw.stderr.count("\n") >= 4, raw.stderr  # libtiff itself does print on these files
    for path in paths:
        result = subprocess.run([sys.executable, "-m", "flowerlite", "classify", path, "--model",
                                 fixture_path("quadrants_int8_metadata")], capture_output=True, text=True,
                                env=env, timeout=120)
        if result.returncode == 0:
            assert result.stderr == "" and result.stdout.startswith(path), (path, result.stderr)
        else:
            assert result.returncode == 1 and result.stderr.count("\n") == 1, (path, result.stderr)
            assert result.stderr.startswith(f"flowerlite: error: {path} "), result.stderr

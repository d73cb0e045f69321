"""Corrupt, truncated and foreign model files raise InvalidModelError and never crash the process.

tflite-runtime 2.14 does not verify flatbuffers and segfaults on many damaged
files, so flowerlite verifies every model in Python first. These tests push
hundreds of damaged variants through Classifier in a child process and fail if
that process dies; the control test shows the same variants do kill the
unverified runtime.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import struct
import subprocess
import sys

import pytest

from conftest import fixture_path, runtime_installed
from flowerlite import Classifier, InvalidModelError, _probe
from flowerlite._tflite_model import parse_model

# FLOWERLITE_FUZZ_CASES=20000 bash scripts/test.sh sdk/tests -k corrupted  for a longer hunt
CORRUPTIONS = int(os.environ.get("FLOWERLITE_FUZZ_CASES", "400"))
WORKER = pathlib.Path(__file__).resolve().parent / "corruption_worker.py"


def run_worker(tmp_path, model: str, mode: str, count: int, seed: int = 0, flag: str = ""):
    args = [sys.executable, str(WORKER), fixture_path(model), mode, str(count), str(seed), str(tmp_path)]
    result = subprocess.run(args + ([flag] if flag else []), capture_output=True, text=True, timeout=300)
    status = (tmp_path / "status.txt").read_text() if (tmp_path / "status.txt").exists() else "?"
    return result, status


def describe_death(result, status: str, tmp_path) -> str:
    code = result.returncode
    reason = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
    return f"worker died with {reason} on '{status}' (variant kept in {tmp_path}): {result.stderr[-2000:]}"


@pytest.mark.parametrize("model", ["quadrants_float32_metadata", "quadrants_int8_metadata"])
def test_truncated_models_raise_and_never_crash_the_process(tmp_path, model):
    result, status = run_worker(tmp_path, model, "truncate", 400, flag="--no-safe-load")
    assert result.returncode == 0, describe_death(result, status, tmp_path)
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    # Cutting the flatbuffer is InvalidModelError; cutting only the zipped labels is MetadataError.
    assert set(outcomes) <= {"InvalidModelError", "MetadataError"}, outcomes
    assert outcomes["InvalidModelError"] > 300 and outcomes.get("MetadataError", 0) > 0, outcomes


@pytest.mark.parametrize("model", ["quadrants_float32_metadata", "quadrants_int8_metadata"])
def test_randomly_corrupted_models_raise_or_run_and_never_crash_the_process(tmp_path, model):
    # In-process verification alone (no child-process first load): the strong claim.
    result, status = run_worker(tmp_path, model, "corrupt", CORRUPTIONS, seed=len(model), flag="--no-safe-load")
    assert result.returncode == 0, describe_death(result, status, tmp_path)
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    assert sum(outcomes.values()) == CORRUPTIONS
    # Damaged structure is refused; damaged weights still make a (different) model.
    assert outcomes.get("InvalidModelError", 0) > CORRUPTIONS // 5 and outcomes.get("ok", 0) > CORRUPTIONS // 10, outcomes
    allowed = {"ok", "ok-nonfinite", "InvalidModelError", "MetadataError", "UnsupportedModelError", "LabelError"}
    assert set(outcomes) <= allowed, outcomes


def test_default_safe_load_path_survives_corruptions_too(tmp_path):
    result, status = run_worker(tmp_path, "quadrants_int8_metadata", "corrupt", 15, seed=7)
    assert result.returncode == 0, describe_death(result, status, tmp_path)
    assert sum(json.loads(result.stdout.strip().splitlines()[-1]).values()) == 15


def crashing_model(runtime: str) -> bytes:
    """Bytes that crash ``runtime`` when handed to it unverified, as seen on this project's machines."""
    data = bytearray(pathlib.Path(fixture_path("quadrants_int8_metadata")).read_bytes())
    if runtime == "tflite-runtime":
        return bytes(data[:1000])  # tflite-runtime does not verify flatbuffers
    # ai-edge-litert verifies flatbuffers, but a zero input scale crashes its kernels.
    scale = parse_model(bytes(data)).inputs[0].scales[0]
    pos = data.find(struct.pack("<f", scale))
    assert pos > 0
    struct.pack_into("<f", data, pos, 0.0)
    with pytest.raises(InvalidModelError, match="zero, negative or denormal quantisation scale"):
        parse_model(bytes(data), "zero-scale model")
    return bytes(data)


def test_safe_load_turns_a_runtime_crash_into_invalid_model_error(selected_runtime):
    from flowerlite._runtime import load_runtime

    runtime = load_runtime(selected_runtime)
    if runtime.name == "tensorflow":
        pytest.skip("no known crashing model for tensorflow.lite")
    # parse_model refuses these models, so hand them to the child-process check directly.
    with pytest.raises(InvalidModelError, match=rf"damaged model crashed the {runtime.name} runtime \(SIG"):
        _probe.check(crashing_model(runtime.name), runtime.name, runtime.version, "damaged model")


def test_safe_load_verdicts_are_cached_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWERLITE_CACHE", str(tmp_path))
    data = pathlib.Path(fixture_path("quadrants_float32")).read_bytes()
    _probe.check(data, "ai-edge-litert" if runtime_installed("ai-edge-litert") else "tflite-runtime", "x", "m")
    assert len(list((tmp_path / "verified").iterdir())) == 1


@pytest.mark.skipif(
    os.environ.get("FLOWERLITE_RUNTIME", "").replace("_", "-") != "tflite-runtime"
    or not runtime_installed("tflite-runtime"),
    reason="control for tflite-runtime (ai-edge-litert verifies flatbuffers itself)",
)
def test_control_the_same_truncations_crash_unverified_tflite_runtime(tmp_path):
    result, status = run_worker(tmp_path, "quadrants_int8_metadata", "truncate", 700, flag="--raw")
    assert result.returncode < 0, f"expected tflite-runtime to crash without verification: {result.stdout}"


def test_parse_model_accepts_every_fixture():
    for name in ("quadrants_float32", "quadrants_float32_metadata", "quadrants_int8", "quadrants_int8_metadata",
                 "quadrants_int8_batch1_metadata", "quadrants_gray_float32_metadata", "not_a_classifier"):
        structure = parse_model(pathlib.Path(fixture_path(name)).read_bytes(), name)
        assert len(structure.inputs) == 1 and len(structure.outputs) == 1


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "only 0 bytes"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "file identifier"),
        (b"\x10\0\0\0TFL3" + b"\0" * 8, "past the end"),
        (b"\xff\xff\xff\x7fTFL3" + b"\0" * 64, "past the end"),
    ],
)
def test_foreign_and_damaged_bytes_are_not_a_valid_tflite_model(tmp_path, data, message):
    path = tmp_path / "bad.tflite"
    path.write_bytes(data)
    with pytest.raises(InvalidModelError, match=rf"bad\.tflite is not a valid TFLite model .*{message}.*re-download"):
        Classifier(path)


def test_a_corrupted_shape_cannot_make_the_runtime_allocate_gigabytes(tmp_path):
    data = bytearray(pathlib.Path(fixture_path("quadrants_float32")).read_bytes())
    structure = parse_model(bytes(data))
    # The input tensor's shape vector is [4 | 1, 32, 32, 3]: make it [1, 32, 2**24, 3].
    needle = b"".join(v.to_bytes(4, "little") for v in (4, 1, 32, 32, 3))
    pos = data.find(needle)
    assert pos > 0 and structure.inputs[0].shape == (1, 32, 32, 3)
    data[pos + 12 : pos + 16] = (2**24).to_bytes(4, "little")
    path = tmp_path / "huge.tflite"
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidModelError, match=r"invalid shape \[1, 32, 16777216, 3\]"):
        Classifier(path, mean=(127.5,), std=(127.5,), labels_path=fixture_path("labels.txt"))

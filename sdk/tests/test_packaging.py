"""Packaging: the wheel carries the single released int8 model and nothing of TensorFlow or torch."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest

from conftest import fixture_path

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_runtime_dependencies_never_include_tensorflow_or_torch():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = " ".join(project["dependencies"]).lower()
    assert "tensorflow" not in names and "torch" not in names and "keras" not in names
    assert any(d.startswith("ai-edge-litert") for d in project["dependencies"])
    assert project["scripts"]["flowerlite"] == "flowerlite.cli:main"
    extras = project["optional-dependencies"]
    assert any("tflite-runtime" in d for d in extras["tflite-runtime"])
    assert any(d.startswith("numpy<2") for d in extras["tflite-runtime"])


@pytest.mark.skipif(os.environ.get("FLOWERLITE_RUNTIME") == "tflite-runtime",
                    reason="runtime-independent; runs in the main test venv")
def test_the_wheel_ships_the_single_int8_model_from_models(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "sdk", source / "sdk",
                    ignore=shutil.ignore_patterns("tests", "__pycache__", "*.egg-info"))
    (source / "models").mkdir()
    shutil.copy(fixture_path("quadrants_int8_metadata"), source / "models" / "flowerlite-test-int8.tflite")
    shutil.copy(fixture_path("quadrants_float32_metadata"), source / "models" / "flowerlite-test-float32.tflite")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"),
                             str(source)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("flowerlite-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "flowerlite/models/flowerlite-test-int8.tflite" in names
    assert not any("float32" in n for n in names)
    assert "flowerlite/classifier.py" in names and "flowerlite/py.typed" in names
    assert not any(n.startswith(("sdk/", "tests/", "models/")) for n in names)

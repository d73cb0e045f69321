"""Shared helpers of the SDK tests: fixture models and synthetic images."""

from __future__ import annotations

import importlib.util
import os
import pathlib

import numpy as np
import pytest

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
LABELS = ("top left", "top right", "bottom left", "bottom right")
CLASSIFIERS = ("quadrants_float32_metadata", "quadrants_int8_metadata", "quadrants_int8_batch1_metadata")


def fixture_path(name: str) -> str:
    """Path of a committed fixture model (``name`` without ``.tflite``) or file."""
    path = FIXTURES / (name if "." in name else f"{name}.tflite")
    assert path.is_file(), f"missing fixture {path}: run sdk/tests/fixtures/make_fixtures.py"
    return str(path)


def quadrant_array(quadrant: int, height: int = 48, width: int = 64, low: int = 10, high: int = 230) -> np.ndarray:
    """An RGB uint8 image whose quadrant ``quadrant`` (0 TL, 1 TR, 2 BL, 3 BR) is bright."""
    image = np.full((height, width, 3), low, np.uint8)
    row, col = divmod(quadrant, 2)
    image[row * height // 2 : (row + 1) * height // 2, col * width // 2 : (col + 1) * width // 2] = high
    return image


def random_images(count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (int(rng.integers(20, 90)), int(rng.integers(20, 90)), 3), dtype=np.uint8)
            for _ in range(count)]


def runtime_installed(name: str) -> bool:
    module = {"ai-edge-litert": "ai_edge_litert", "tflite-runtime": "tflite_runtime",
              "tensorflow": "tensorflow"}[name]
    return importlib.util.find_spec(module) is not None


@pytest.fixture
def selected_runtime() -> str | None:
    """The runtime the suite runs on (``$FLOWERLITE_RUNTIME``; None: automatic)."""
    return os.environ.get("FLOWERLITE_RUNTIME") or None


@pytest.fixture(scope="session")
def _session_cache_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("flowerlite-cache"))


@pytest.fixture(autouse=True)
def _private_cache_dir(monkeypatch, _session_cache_dir):
    """Keep safe-load verdicts of the tests out of the user's ~/.cache (restored after each test)."""
    monkeypatch.setenv("FLOWERLITE_CACHE", _session_cache_dir)

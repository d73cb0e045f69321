"""Fixtures of the build-chain tests: a tiny flower folder and a hermetic cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from training.tests.support import make_flower_folder

# Keep TensorFlow's C++ logging quiet in test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_configure(config):
    config.addinivalue_line("markers", "shared_data: needs ../shared (the Oxford 102 copy or imagenet-check)")


@pytest.fixture
def flower_folder(tmp_path) -> Path:
    """root/<class>/*.jpg: 3 classes x 6 images of 40 px, each class its own colour."""
    return make_flower_folder(tmp_path / "flowers")


@pytest.fixture(autouse=True)
def _hermetic_cache(tmp_path, monkeypatch):
    # Never read or fill the user's ~/.cache/flowerlite from a test.
    monkeypatch.setenv("FLOWERLITE_CACHE", str(tmp_path / "cache"))

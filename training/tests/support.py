"""Helpers of the build-chain tests: the shared data folder and tiny generated images."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("FLOWERLITE_SHARED", REPO.parent / "shared"))


def require_shared(name: str) -> Path:
    """The folder ../shared/<name>, or a clear skip when it is absent."""
    path = SHARED / name
    if not path.is_dir():
        pytest.skip(f"needs {path} (the shared data folder is absent on this machine)")
    return path


def write_image(path: Path, width: int, height: int, seed: int, colour: tuple[int, int, int] | None = None) -> Path:
    """A small image: a class colour with noise (JPEG or PNG by suffix)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    base = np.array(colour if colour is not None else rng.integers(0, 256, 3), dtype=np.float64)
    pixels = np.clip(base + rng.normal(0, 25, (height, width, 3)), 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def make_flower_folder(root: Path) -> Path:
    """root/<class>/*.jpg: 3 classes x 6 images of 40 px, each class its own colour."""
    colours = {"daisy": (230, 230, 60), "rose": (200, 30, 40), "violet": (90, 40, 170)}
    for c, (name, colour) in enumerate(colours.items()):
        for i in range(6):
            write_image(root / name / f"img_{i}.jpg", 40, 40, seed=100 * c + i, colour=colour)
    return root

"""Your own flowers: a folder per class (root/<class>/*.jpg), split train/val/test per class (no TensorFlow)."""

from __future__ import annotations

import random
from pathlib import Path

from training.data.oxford102 import Sample, Split
from training.errors import ConfigError, DatasetError

__all__ = ["IMAGE_SUFFIXES", "list_class_images", "load_folder_split"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def list_class_images(root: str | Path) -> dict[str, list[Path]]:
    """The image files of each class folder under `root`, classes and files sorted by name.

    Raises:
        DatasetError: if `root` is not a folder, has no class folders, or a class folder has no images.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"Dataset folder not found: {root} (expected root/<class>/*.jpg)")
    # Hidden folders (.git, .ipynb_checkpoints) are never classes.
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DatasetError(f"{root} has no class folders: put each class's images in its own folder, root/<class>/*.jpg")
    images = {}
    for folder in classes:
        files = sorted(
            p for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not files:
            raise DatasetError(f"Class folder {folder} has no images ({', '.join(IMAGE_SUFFIXES)}): add some or remove the folder")
        images[folder.name] = files
    return images


def _counts(n: int, fraction: float) -> int:
    # Every class gets at least one image of each requested subset, so val covers every class.
    return max(1, round(n * fraction)) if fraction > 0 else 0


def load_folder_split(root: str | Path, val_fraction: float = 0.2, test_fraction: float = 0.0, seed: int = 42) -> Split:
    """Read root/<class>/*.{jpg,jpeg,png} and split each class into train/val/test with a seeded shuffle.

    Labels follow the sorted class folder names.  Every class has at least one train and one val
    image (and one test image if `test_fraction` > 0).  The same files and seed give the same split.

    Raises:
        ConfigError: if the fractions are not in range.
        DatasetError: if the folder is missing or empty, or a class has too few images.
    """
    if not 0 < val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise ConfigError(
            f"Need 0 < val_fraction < 1, 0 <= test_fraction < 1 and val_fraction + test_fraction < 1 "
            f"(models are chosen on val). Received: val_fraction={val_fraction}, test_fraction={test_fraction}"
        )
    root = Path(root)
    images = list_class_images(root)
    subsets: dict[str, list[Sample]] = {"train": [], "val": [], "test": []}
    for label, (name, files) in enumerate(images.items()):
        n_val, n_test = _counts(len(files), val_fraction), _counts(len(files), test_fraction)
        if len(files) - n_val - n_test < 1:
            needed = 2 + (test_fraction > 0)
            raise DatasetError(
                f"Class {name!r} has {len(files)} image(s) in {root / name}: with val_fraction={val_fraction} and "
                f"test_fraction={test_fraction} it needs at least {max(needed, n_val + n_test + 1)} (one for train)"
            )
        # A per-class generator: adding images to one class leaves the other classes' split alone.
        order = list(files)
        random.Random(f"{seed}/{name}").shuffle(order)
        chosen = {"val": order[:n_val], "test": order[n_val : n_val + n_test], "train": order[n_val + n_test :]}
        for subset, paths in chosen.items():
            subsets[subset].extend(Sample(path, label) for path in sorted(paths))
    return Split(tuple(subsets["train"]), tuple(subsets["val"]), tuple(subsets["test"]), tuple(images), root)

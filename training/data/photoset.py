"""A folder-per-class photo set scored against a model's own labels (no TensorFlow).

Real-world photo sets (e.g. `../shared/realworld-val`) hold a few of the model's classes, one
folder each, named as the model's labels spell them. The folder names are matched to the labels
case-insensitively, so each photo keeps the index of its class among the model's outputs: the
model is scored on its full label set, never on a smaller problem made of the folders alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from training.data.folder import list_class_images
from training.data.oxford102 import Sample
from training.errors import DatasetError

__all__ = ["PhotoSet", "load_photo_set"]


@dataclass(frozen=True)
class PhotoSet:
    """Photos labelled with indices into a model's labels; `classes` are the labels present, in index order."""

    root: Path
    samples: tuple[Sample, ...]
    classes: tuple[int, ...]
    labels: tuple[str, ...]  # the model's full label list the indices refer to

    def class_name(self, index: int) -> str:
        """The model's label for `index`."""
        return self.labels[index]


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


def load_photo_set(root: str | Path, labels: Sequence[str]) -> PhotoSet:
    """Read root/<label>/*.{jpg,jpeg,png}; every folder name must be one of `labels` (case-insensitive).

    Raises:
        DatasetError: if the folder is missing or empty, a class folder has no images, or a
            folder name is not one of the labels (the message names it).
    """
    root = Path(root)
    images = list_class_images(root)
    index = {}
    for i, label in enumerate(labels):
        index.setdefault(_key(label), i)
    unknown = [name for name in images if _key(name) not in index]
    if unknown:
        raise DatasetError(
            f"{root}: folder {unknown[0]!r} is not one of the model's {len(labels)} labels"
            + (f" (nor {', '.join(map(repr, unknown[1:]))})" if len(unknown) > 1 else "")
            + ": name each folder exactly as a label (case does not matter)"
        )
    by_index = sorted((index[_key(name)], files) for name, files in images.items())
    seen = [i for i, _ in by_index]
    if len(set(seen)) != len(seen):
        raise DatasetError(f"{root}: two folders name the same label ({labels[max(set(seen), key=seen.count)]!r})")
    samples = tuple(Sample(path, i) for i, files in by_index for path in files)
    return PhotoSet(root, samples, tuple(seen), tuple(labels))

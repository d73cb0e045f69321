"""The images a benchmark classifies: the Oxford 102 test split or a folder-per-class set, optionally a subset."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from benchmarks.errors import BenchmarkError
from training.data.sampling import stratified_indices

__all__ = ["ImageSet", "load_image_set", "select_subset", "SELECTIONS"]

SELECTIONS = ("stratified", "first")


@dataclass(frozen=True)
class ImageSet:
    """Image files with their labels (indices into `class_names`), and where they came from."""

    paths: tuple[Path, ...]
    labels: tuple[int, ...]
    class_names: tuple[str, ...]
    source: str  # "oxford102" or "folder"
    root: Path
    subset: str
    total: int  # images in the subset before --limit
    selection: str  # "all", "stratified" or "first"

    def digest(self) -> str:
        """SHA-256 over each image's path relative to the root and its label: two runs on the same images match."""
        h = hashlib.sha256()
        for path, label in zip(self.paths, self.labels):
            h.update(f"{path.relative_to(self.root).as_posix()}:{label}\n".encode())
        return h.hexdigest()


def select_subset(labels: list[int], limit: int, selection: str, seed: int) -> list[int]:
    """Indices of `limit` items, in their original order: the first ones, or a seeded stratified pick.

    The stratified pick is the build chain's (`training.data.sampling.stratified_indices`): one item of
    every class in turn, classes and items shuffled with `seed`, so every class is represented as
    evenly as possible.
    """
    if selection not in SELECTIONS:
        raise BenchmarkError(f"Unknown selection {selection!r}: use one of {', '.join(SELECTIONS)}")
    if limit >= len(labels):
        return list(range(len(labels)))
    if selection == "first":
        return list(range(limit))
    return sorted(stratified_indices(labels, limit, seed))


def _oxford102(data_dir: str | None):
    from training.data.oxford102 import load_split

    if not data_dir:
        try:
            from training.data.download import ensure_oxford102
        except ImportError:
            raise BenchmarkError("No --data-dir given and this checkout has no dataset downloader: pass --data-dir ../shared/oxford102") from None
        data_dir = ensure_oxford102()
    return load_split(data_dir)


def load_image_set(dataset: str = "oxford102", data_dir: str | Path | None = None, subset: str = "test",
                   limit: int | None = None, selection: str = "stratified", seed: int = 0,
                   val_fraction: float = 0.2, test_fraction: float = 0.0) -> ImageSet:
    """Resolve `--dataset/--data-dir/--subset/--limit` into the list of images to classify.

    oxford102: the official split from `data_dir`, or from the download cache when it is None.
    folder: `data_dir`/<class>/*.jpg; subset "all" takes every image, "train"/"val"/"test" the seeded
    split the build chain makes with the same fractions and seed.

    Raises:
        BenchmarkError: for an unknown dataset or subset, or a folder dataset without a directory.
        DatasetError: if the files are missing or incomplete.
    """
    if dataset == "oxford102":
        if subset not in ("train", "val", "test"):
            raise BenchmarkError(f"Oxford 102 has the subsets train, val and test. Received: --subset {subset}")
        split = _oxford102(str(data_dir) if data_dir else None)
        samples, class_names, root = split.subset(subset), split.class_names, Path(split.root)
    elif dataset == "folder":
        if not data_dir:
            raise BenchmarkError("A folder dataset needs its directory: pass --data-dir DIR (DIR/<class>/*.jpg)")
        root = Path(data_dir)
        if subset == "all":
            from training.data.folder import list_class_images

            images = list_class_images(root)
            class_names = tuple(images)
            samples = [(path, label) for label, files in enumerate(images.values()) for path in files]
        elif subset in ("train", "val", "test"):
            from training.data.folder import load_folder_split

            split = load_folder_split(root, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed)
            samples, class_names = split.subset(subset), split.class_names
        else:
            raise BenchmarkError(f"A folder dataset has the subsets all, train, val and test. Received: --subset {subset}")
    else:
        raise BenchmarkError(f"Unknown dataset {dataset!r}: use oxford102 or folder")
    pairs = [(Path(s[0]), int(s[1])) if isinstance(s, tuple) else (Path(s.path), int(s.label)) for s in samples]
    if not pairs:
        raise BenchmarkError(f"The {subset} subset of {root} holds no images")
    chosen = select_subset([label for _, label in pairs], limit, selection, seed) if limit else list(range(len(pairs)))
    return ImageSet(
        paths=tuple(pairs[i][0] for i in chosen),
        labels=tuple(pairs[i][1] for i in chosen),
        class_names=tuple(class_names),
        source=dataset,
        root=root,
        subset=subset,
        total=len(pairs),
        selection=selection if limit and limit < len(pairs) else "all",
    )

"""Oxford 102 Category Flower dataset: the official files, split and class names (no TensorFlow)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.errors import DatasetError

__all__ = ["CLASS_NAMES", "Sample", "Split", "load_split", "data_checksums"]

NUM_IMAGES = 8189
SPLIT_SIZES = {"train": 1020, "val": 1020, "test": 6149}

# The 102 class names in label order (label 1 first), as published with the dataset's
# category list and used by TensorFlow Datasets' `oxford_flowers102`.
CLASS_NAMES: tuple[str, ...] = (
    "pink primrose", "hard-leaved pocket orchid", "canterbury bells", "sweet pea", "english marigold",
    "tiger lily", "moon orchid", "bird of paradise", "monkshood", "globe thistle", "snapdragon",
    "colt's foot", "king protea", "spear thistle", "yellow iris", "globe-flower", "purple coneflower",
    "peruvian lily", "balloon flower", "giant white arum lily", "fire lily", "pincushion flower",
    "fritillary", "red ginger", "grape hyacinth", "corn poppy", "prince of wales feathers",
    "stemless gentian", "artichoke", "sweet william", "carnation", "garden phlox", "love in the mist",
    "mexican aster", "alpine sea holly", "ruby-lipped cattleya", "cape flower", "great masterwort",
    "siam tulip", "lenten rose", "barbeton daisy", "daffodil", "sword lily", "poinsettia",
    "bolero deep blue", "wallflower", "marigold", "buttercup", "oxeye daisy", "common dandelion",
    "petunia", "wild pansy", "primula", "sunflower", "pelargonium", "bishop of llandaff", "gaura",
    "geranium", "orange dahlia", "pink-yellow dahlia", "cautleya spicata", "japanese anemone",
    "black-eyed susan", "silverbush", "californian poppy", "osteospermum", "spring crocus",
    "bearded iris", "windflower", "tree poppy", "gazania", "azalea", "water lily", "rose",
    "thorn apple", "morning glory", "passion flower", "lotus", "toad lily", "anthurium",
    "frangipani", "clematis", "hibiscus", "columbine", "desert-rose", "tree mallow", "magnolia",
    "cyclamen", "watercress", "canna lily", "hippeastrum", "bee balm", "ball moss", "foxglove",
    "bougainvillea", "camellia", "mallow", "mexican petunia", "bromelia", "blanket flower", "trumpet creeper",
    "blackberry lily",
)


@dataclass(frozen=True)
class Sample:
    """One image file and its 0-based label."""

    path: Path
    label: int


@dataclass(frozen=True)
class Split:
    """The official split: train, val and test samples, and the class names in label order."""

    train: tuple[Sample, ...]
    val: tuple[Sample, ...]
    test: tuple[Sample, ...]
    class_names: tuple[str, ...]
    root: Path

    def subset(self, name: str) -> tuple[Sample, ...]:
        """The samples of `name` ("train", "val" or "test")."""
        if name not in SPLIT_SIZES:
            raise ValueError(f"Unknown subset. Received: name={name!r}; expected train, val or test")
        return getattr(self, name)


def _loadmat(path: Path) -> dict:
    from scipy.io import loadmat

    if not path.exists():
        raise DatasetError(f"Missing dataset file {path}: is this an Oxford 102 folder (jpg/, imagelabels.mat, setid.mat)?")
    try:
        return loadmat(path)
    except Exception as exc:
        raise DatasetError(f"Cannot read {path} as a MATLAB file ({exc}): delete it and download it again") from None


def load_split(root: str | Path) -> Split:
    """Read the official split from an Oxford 102 folder (jpg/, imagelabels.mat, setid.mat).

    Raises:
        DatasetError: if a file is missing, unreadable, or the split is not the official one.
    """
    root = Path(root)
    labels = _loadmat(root / "imagelabels.mat")["labels"].ravel().astype(np.int64)
    setid = _loadmat(root / "setid.mat")
    if labels.size != NUM_IMAGES or labels.min() != 1 or labels.max() != len(CLASS_NAMES):
        raise DatasetError(f"{root / 'imagelabels.mat'} holds {labels.size} labels in {labels.min()}..{labels.max()}; expected {NUM_IMAGES} in 1..102")
    subsets = {}
    for name, key in (("train", "trnid"), ("val", "valid"), ("test", "tstid")):
        ids = setid[key].ravel().astype(np.int64)
        if ids.size != SPLIT_SIZES[name]:
            raise DatasetError(f"{root / 'setid.mat'}: {key} has {ids.size} ids; the official split has {SPLIT_SIZES[name]}")
        subsets[name] = tuple(Sample(root / "jpg" / f"image_{i:05d}.jpg", int(labels[i - 1]) - 1) for i in ids)
    missing = [s.path for s in subsets["train"] + subsets["val"] + subsets["test"] if not s.path.exists()]
    if missing:
        raise DatasetError(f"{len(missing)} images are missing under {root / 'jpg'}, e.g. {missing[0]}: the download is incomplete")
    return Split(subsets["train"], subsets["val"], subsets["test"], CLASS_NAMES, root)


def data_checksums(split: Split) -> dict[str, str]:
    """SHA-256 of the label files and one digest over every image of each subset, in split order.

    Official splits carry their labels in the .mat files; a folder split has none, so its class
    names and each image's class/file path and label go into the digests instead.
    """
    sums = {}
    official = (split.root / "imagelabels.mat").exists()
    for name in ("imagelabels.mat", "setid.mat"):
        path = split.root / name
        if path.exists():
            sums[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    if not official:
        sums["class_names"] = hashlib.sha256("\n".join(split.class_names).encode()).hexdigest()
    for subset in ("train", "val", "test"):
        digest = hashlib.sha256()
        for sample in split.subset(subset):
            if official:
                digest.update(sample.path.name.encode())
            else:  # two classes may hold files of the same name
                digest.update(f"{sample.path.relative_to(split.root).as_posix()}:{sample.label}".encode())
            digest.update(hashlib.sha256(sample.path.read_bytes()).digest())
        sums[f"{subset}_images"] = digest.hexdigest()
    return sums

"""The release contract: what the SDK shares with the build chain, the benchmarks and the Android demo.

Each value here has one definition, and every reader imports it: the training pipeline and the
model card (the crop rule), the exporter (the file name it writes), the evaluation, the benchmark
harness and the card generator (the file names they parse), the harness's engines and the
explanations (the order of the top classes, :func:`top_k_indices`), and every cache on disk (the
SDK's model checks, the dataset download, the ImageNet weights: :func:`cache_dir`). The Android demo keeps
Java/Kotlin copies, which ``android_demo/tests`` checks against these values.

Example::

    from flowerlite.contract import CROP_FRACTION, parse_release_name, release_file_name

    release_file_name("efficientnet_lite0", "int8")   # 'flowerlite-efficientnet_lite0-int8.tflite'
    parse_release_name("models/flowerlite-efficientnet_lite0-int8.tflite").variant   # 'int8'
    round(224 / CROP_FRACTION)                         # 256: the shorter side before the centre crop
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Optional, Union

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "CROP_FRACTION",
    "VARIANTS",
    "RELEASE_PREFIX",
    "RELEASE_SUFFIX",
    "RELEASE_GLOB",
    "ReleaseName",
    "release_file_name",
    "parse_release_name",
    "release_glob",
    "released_files",
    "top_k_indices",
    "cache_dir",
]

CROP_FRACTION = 0.875
"""The centre crop keeps this fraction of the resized shorter side (224 of 256)."""

VARIANTS = ("float32", "float16", "int8", "dynamic")
"""The quantisation variants a release file can be, in release order."""

RELEASE_PREFIX = "flowerlite-"
RELEASE_SUFFIX = ".tflite"
RELEASE_GLOB = f"{RELEASE_PREFIX}*{RELEASE_SUFFIX}"
"""A glob matching every released file name (`flowerlite-<backbone>-<variant>.tflite`)."""

_RELEASE_NAME = re.compile(
    rf"^{re.escape(RELEASE_PREFIX)}(?P<backbone>.+)-(?P<variant>{'|'.join(map(re.escape, VARIANTS))}){re.escape(RELEASE_SUFFIX)}$"
)


@dataclass(frozen=True)
class ReleaseName:
    """The parts of a released file name: `flowerlite-<backbone>-<variant>.tflite`."""

    backbone: str
    variant: str

    @property
    def file_name(self) -> str:
        """The file name these parts make."""
        return release_file_name(self.backbone, self.variant)


def release_file_name(backbone: str, variant: str) -> str:
    """The released file name of a backbone's variant, e.g. ``flowerlite-efficientnet_lite0-int8.tflite``.

    Raises:
        ValueError: if the backbone is empty or holds a path separator, or the variant is not one of VARIANTS.
    """
    if not backbone or "/" in backbone or os.sep in backbone:
        raise ValueError(f"A backbone name must be a non-empty file-name part. Received: backbone={backbone!r}")
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant: use one of {', '.join(VARIANTS)}. Received: variant={variant!r}")
    return f"{RELEASE_PREFIX}{backbone}-{variant}{RELEASE_SUFFIX}"


def parse_release_name(path: Union[str, "os.PathLike[str]"]) -> ReleaseName | None:
    """The backbone and variant of a released file name (a path's last part), or None for any other name."""
    match = _RELEASE_NAME.match(PurePath(path).name)
    return ReleaseName(match["backbone"], match["variant"]) if match else None


def release_glob(variant: Optional[str] = None) -> str:
    """A glob of released file names: of every variant (:data:`RELEASE_GLOB`), or of one.

    Args:
        variant: one of :data:`VARIANTS`, or None for all of them.

    Returns:
        The glob, e.g. ``flowerlite-*-int8.tflite`` (what :func:`release_file_name` makes of any backbone).

    Raises:
        ValueError: if the variant is not one of VARIANTS.
    """
    return RELEASE_GLOB if variant is None else release_file_name("*", variant)


def released_files(folder: Union[str, "os.PathLike[str]"], variant: Optional[str] = None) -> list[Path]:
    """The released files in a folder, sorted by name: those :func:`parse_release_name` reads, of one variant if given.

    Other files (``model-int8.tflite``, ``flowerlite-x-int4.tflite``) are not releases and are left out;
    a folder that does not exist holds none.

    Raises:
        ValueError: if the variant is not one of VARIANTS.
    """
    found = []
    for path in Path(folder).glob(release_glob(variant)):
        release = parse_release_name(path)
        if release is not None and (variant is None or release.variant == variant):
            found.append(path)
    return sorted(found)


def top_k_indices(scores: "np.ndarray", k: Optional[int] = None) -> "np.ndarray":
    """Class indices by descending score, equal scores in index order (0.0 and -0.0 are equal), at most ``k``.

    ``scores`` is one row of class scores, or a batch of rows (the order is then per row, along the last axis).

    The order every reader of a model's output uses: the SDK's categories, the benchmark engines, the
    explanations and the Android demo's ``Scores`` (checked against the SDK by the parity tests).
    Integer (quantised) scores are compared as numbers, never negated in their own dtype.
    """
    import numpy as np

    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    return order if k is None else order[..., :k]


def cache_dir() -> Optional[Path]:
    """The folder flowerlite caches things in, or None when there is no home directory to put it in.

    ``$FLOWERLITE_CACHE`` when set (non-empty), else ``$XDG_CACHE_HOME/flowerlite`` when that is an
    absolute path (the XDG spec ignores a relative one), else ``~/.cache/flowerlite``. Each reader keeps
    its own subfolder: ``verified`` (the SDK's model checks), ``oxford102`` (the dataset),
    ``weights`` (ImageNet weights). None, rather than a folder relative to the working directory,
    when ``~`` does not expand to an absolute path (HOME unset and no passwd entry).

    Returns:
        The cache folder (not created here), or None.
    """
    configured = os.environ.get("FLOWERLITE_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "flowerlite"

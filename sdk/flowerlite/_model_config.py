"""The labels and the input normalisation a classifier uses, resolved in one place (as timm's ``resolve_data_config``).

The caller's options beat the model's metadata, which beats the defaults (raw pixels for a quantised
input, as MediaPipe does). Each resolver also says where its answer came from, for ``ModelInfo``.
"""

from __future__ import annotations

import math
import os

from ._model_file import read_labels
from .containers import ClassifierOptions
from .errors import LabelError, MetadataError

__all__ = ["resolve_labels", "resolve_normalization"]


def resolve_labels(opts: ClassifierOptions, meta, path: str, num_classes: int) -> tuple[tuple[str, ...], str]:
    """The labels: from ``labels_path``, else the model's metadata.

    Returns:
        ``(labels, source)``: the labels, and the file they came from.

    Raises:
        LabelError: there are none, the file cannot be used, or their count is not ``num_classes``.
    """
    if opts.labels_path is not None:
        source = os.fsdecode(opts.labels_path)
        labels = read_labels(source)
    elif meta is not None and meta.labels:
        source, labels = f"{path} (metadata)", meta.labels
    else:
        raise LabelError(
            f"{path} has no label metadata; pass labels_path= (CLI: --labels) with one label per line"
        )
    if len(labels) != num_classes:
        raise LabelError(
            f"{source} has {len(labels)} labels but {path} outputs {num_classes} scores; "
            "use the label file that belongs to this model"
        )
    return labels, source


def resolve_normalization(opts: ClassifierOptions, meta, image, path: str):
    """The input's per-channel mean and std: from the options, else the metadata, else raw pixels for a quantised input.

    Returns:
        ``(mean, std, source)``: one value per input channel each, and ``"options"``, ``"metadata"`` or ``"raw pixels"``.

    Raises:
        MetadataError: the values do not fit the input's channels or are not finite (std positive), or a
            float32 input has no normalisation at all.
    """
    channels = image.shape[-1]

    def per_channel(values):
        values = tuple(float(v) for v in values)
        if len(values) == 1:
            return values * channels
        if len(values) != channels:
            raise MetadataError(f"normalisation {values} does not match the {channels} input channels "
                                f"of {path}")
        return values

    if opts.mean is not None:
        mean, std, source = per_channel(opts.mean), per_channel(opts.std), "options"
    elif meta is not None and meta.mean is not None:
        mean, std, source = per_channel(meta.mean), per_channel(meta.std), "metadata"
    elif image.dtype in ("uint8", "int8"):
        # As MediaPipe does for quantised inputs without metadata: feed the raw
        # pixel values (0..255, shifted to -128..127 for int8).
        scale, zero = image.scales[0], image.zero_points[0]
        offset = -128 if image.dtype == "int8" else 0
        mean, std, source = (float(zero - offset),) * channels, (1.0 / scale,) * channels, "raw pixels"
    else:
        raise MetadataError(
            f"{path} has a float32 input but no normalisation metadata; pass mean= and std= "
            "(e.g. mean=(127.5,), std=(127.5,)) or add metadata with flowerlite.metadata.write_metadata"
        )
    if not all(math.isfinite(v) for v in mean + std) or any(s <= 0 for s in std):
        raise MetadataError(f"{path}: invalid normalisation mean={mean} std={std} ({source})")
    return mean, std, source

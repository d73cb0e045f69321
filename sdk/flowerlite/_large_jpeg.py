"""Big JPEGs (phone photos) decoded at a reduced scale: what the classifier does, not the shared preprocessing rule.

libjpeg can decode a JPEG at 1/2, 1/4 or 1/8 of its size (Pillow's ``Image.draft``), skipping most
of the inverse DCT and colour conversion and never building the full-size image. A 12 MP photo then
takes a fraction of the time and memory. The pixels differ a little from a full decode followed by
the antialiased resize, so :class:`flowerlite.Classifier` does it only for JPEGs big enough that
the reduced image still has at least :data:`MARGIN` times the pixels the resize keeps on the
shorter side, in files of at least :data:`MIN_BYTES`; everything smaller (every Oxford 102 photo, so every training image) is decoded in
full, as :mod:`flowerlite.preprocessing` does. ``benchmarks/large_photos.py`` measures how often
the top-1 answer changes (the condition for using it: at most 1% of 500 up-scaled test photos).
"""

from __future__ import annotations

import io
import os
import stat
from typing import Any

from PIL import Image

__all__ = ["MARGIN", "MIN_BYTES", "SCALES", "reduced_scale", "open_reduced"]

MIN_BYTES = 256 * 1024
"""Smaller files are decoded in full without a look at their size (a 12 MP photo is megabytes)."""

MARGIN = 2
"""The reduced image keeps at least MARGIN x the resize target on its shorter side."""

SCALES = (8, 4, 2)
"""The reductions libjpeg offers, tried largest first."""


def reduced_scale(width: int, height: int, short_target: int) -> int:
    """The largest of 8, 4, 2 that keeps ``min(width, height) / scale >= MARGIN * short_target``; 1 for none."""
    short = min(width, height)
    return next((s for s in SCALES if short / s >= MARGIN * short_target), 1)


def open_reduced(source: Any, short_target: int, max_pixels: int | None) -> Image.Image | None:
    """``source`` decoded at a reduced scale when it is a JPEG big enough for it; None otherwise.

    None also when anything goes wrong: the caller then decodes the source the normal way,
    which raises the proper error for a bad file (and applies the pixel limit).
    """
    if isinstance(source, (str, os.PathLike)):
        stream: Any = os.fspath(source)
        try:
            status = os.stat(stream)
        except (OSError, ValueError):
            return None
        # Only regular files (never open a FIFO or a device here), and only big ones: opening
        # every small photo twice would cost more than the big ones save.
        if not stat.S_ISREG(status.st_mode) or status.st_size < MIN_BYTES:
            return None
    elif isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) < MIN_BYTES:
            return None
        stream = io.BytesIO(source)
    else:
        return None  # file objects (not rewindable in general), PIL images and arrays: as given
    try:
        image = Image.open(stream)
    except Exception:  # noqa: BLE001 - not an image, missing, unreadable: the normal path reports it
        return None
    try:
        width, height = image.size
        scale = reduced_scale(width, height, short_target)
        if image.format != "JPEG" or scale == 1 or (max_pixels is not None and width * height > max_pixels):
            image.close()
            return None
        image.draft(image.mode, (width // scale, height // scale))  # libjpeg rounds the reduced size up
        image.load()
        return image
    except Exception:  # noqa: BLE001 - truncated or corrupt data: the normal path reports it
        image.close()
        return None

"""Image preprocessing: the one rule shared by the SDK and the training build chain.

1. **Decode** (:func:`load_image`) from a path, bytes, a binary file object, a
   PIL image or a numpy array; apply the EXIF orientation; convert to 8-bit RGB:

   - 8-bit modes (``1``, ``L``, ``P``, ``RGB``, ``CMYK``, ``YCbCr``, ...) convert
     as Pillow converts them;
   - transparency (``RGBA``, ``LA``, ``PA``, ``P`` or ``L``/``RGB`` with a
     transparency key) is composited over :data:`ALPHA_BACKGROUND` (white);
   - 16-bit and 32-bit integer modes (``I;16*``, ``I``) hold 16-bit samples:
     ``round(v * 255 / 65535)``, clipped to 0..255;
   - float data (mode ``F``, float arrays) must lie in [0, 1] and is scaled by 255;
   - images over ``max_pixels`` (:data:`MAX_PIXELS` by default) are refused
     before they are decoded.
2. **Resize and crop** (:func:`resize_and_crop`) to ``size`` x ``size``: resize
   so that the shorter side is ``round(size / CROP_FRACTION)`` and the longer
   side keeps the aspect ratio (``round(long * short_target / short)``), with
   Pillow's antialiased bilinear filter; then cut the centred ``size`` x
   ``size`` square (offset ``(side - size) // 2``).
3. **Normalise and quantise** (:func:`to_input_tensor`): ``x = (pixel - mean) /
   std`` per channel in float32; for an integer input tensor
   ``q = round(x / scale) + zero_point`` (rounding half away from zero, as
   TFLite's Quantize), clipped to the dtype's range.

Example::

    from flowerlite.preprocessing import load_image, resize_and_crop, to_input_tensor

    image = resize_and_crop(load_image("rose.jpg"), 224)
    tensor = to_input_tensor(image, mean=(127.5,), std=(127.5,), dtype="uint8",
                             scale=0.0078125, zero_point=128)
"""

from __future__ import annotations

import io
import os
import struct
from typing import BinaryIO, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .contract import CROP_FRACTION  # the release contract owns it; importable from here as ever
from .errors import ImageDecodeError, ImageNotFoundError, ImageTooLargeError

__all__ = [
    "CROP_FRACTION",
    "ALPHA_BACKGROUND",
    "MAX_PIXELS",
    "ImageSource",
    "load_image",
    "resize_and_crop",
    "to_input_tensor",
    "preprocess",
]

ALPHA_BACKGROUND = (255, 255, 255)
"""Transparent pixels are composited over this RGB colour (white)."""

MAX_PIXELS = 64_000_000
"""Default pixel limit: larger images are refused before decoding (decompression bombs)."""

ImageSource = Union[str, os.PathLike, bytes, bytearray, memoryview, BinaryIO, Image.Image, np.ndarray]

_MAX_RESIZED_PIXELS = 16_000_000
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_ALPHA_MODES = ("RGBA", "LA", "PA")
_PREMULTIPLIED_MODES = ("RGBa", "La")


def _describe(source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"image bytes ({len(source)} bytes)"
    if isinstance(source, np.ndarray):
        return f"numpy array {source.shape} {source.dtype}"
    if isinstance(source, Image.Image):
        return f"PIL image {source.mode} {source.size}"
    return getattr(source, "name", None) or type(source).__name__


def _check_pixels(width: int, height: int, max_pixels: int | None, what: str) -> None:
    if max_pixels is not None and width * height > max_pixels:
        raise ImageTooLargeError(
            f"{what} has {width}x{height} = {width * height} pixels, over the limit of {max_pixels}; "
            "downscale it first or raise max_pixels"
        )


def load_image(source: ImageSource, *, max_pixels: int | None = MAX_PIXELS) -> Image.Image:
    """Decodes ``source`` into an RGB PIL image (EXIF orientation applied).

    Raises:
        ImageNotFoundError: ``source`` is a path that does not exist.
        ImageDecodeError: the data is unreadable, truncated or not an image.
        ImageTooLargeError: the image has more than ``max_pixels`` pixels.
    """
    what = _describe(source)
    if isinstance(source, np.ndarray):
        return _from_array(source, max_pixels, what)
    if isinstance(source, Image.Image):
        _check_pixels(*source.size, max_pixels, what)
        return _to_rgb(_oriented(source, what), what)
    if isinstance(source, (bytes, bytearray, memoryview)):
        stream: BinaryIO = io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.exists(path):
            raise ImageNotFoundError(f"image file not found: {path}; check the path")
        if os.path.isdir(path):
            raise ImageDecodeError(f"{path} is a directory, not an image file")
        stream = path  # type: ignore[assignment]
    elif hasattr(source, "read"):
        stream = source  # type: ignore[assignment]
    else:
        raise ImageDecodeError(
            f"cannot read an image from a {type(source).__name__}; pass a path, bytes, "
            "a binary file object, a PIL image or a numpy array"
        )
    try:
        with Image.open(stream) as image:
            _check_pixels(*image.size, max_pixels, what)
            image.load()
            return _to_rgb(_oriented(image, what), what)
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"{what} is too large to decode safely ({exc}); downscale it first") from None
    except FileNotFoundError:
        raise ImageNotFoundError(f"image file not found: {what}; check the path") from None
    except UnidentifiedImageError:
        raise ImageDecodeError(f"{what} is not an image Pillow can read (JPEG, PNG, WebP, ...)") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, ZeroDivisionError) as exc:
        raise ImageDecodeError(f"{what} could not be decoded ({exc}); the file is truncated or corrupt") from None


def _oriented(image: Image.Image, what: str) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - malformed EXIF must not stop a readable image
        return image


def _to_rgb(image: Image.Image, what: str) -> Image.Image:
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return image
    if mode in _SIXTEEN_BIT:
        return _from_array(np.asarray(image), None, what)
    if mode == "F":
        return _from_array(np.asarray(image), None, what)
    if mode == "1":
        image, mode = image.convert("L"), "L"
    if mode in ("P", "L", "RGB") and "transparency" in image.info:
        image, mode = image.convert("RGBA"), "RGBA"
    if mode in _ALPHA_MODES:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, ALPHA_BACKGROUND + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode in _PREMULTIPLIED_MODES:
        # Colour already multiplied by alpha: composite is colour + background * (1 - alpha).
        values = np.asarray(image, dtype=np.float32)
        colour, alpha = values[..., :-1], values[..., -1:] / 255.0
        if colour.shape[-1] == 1:
            colour = np.repeat(colour, 3, axis=-1)
        out = colour + np.asarray(ALPHA_BACKGROUND, np.float32) * (1.0 - alpha)
        return Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8), "RGB")
    try:
        return image.convert("RGB")
    except ValueError as exc:
        raise ImageDecodeError(f"{what}: cannot convert Pillow mode {mode} to RGB ({exc})") from None


def _from_array(array: np.ndarray, max_pixels: int | None, what: str) -> Image.Image:
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ImageDecodeError(
            f"{what}: expected an image array of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ImageDecodeError(f"{what} is empty")
    _check_pixels(array.shape[1], array.shape[0], max_pixels, what)
    if array.dtype == np.uint8:
        pixels = array
    elif array.dtype == np.bool_:
        pixels = array.astype(np.uint8) * 255
    elif array.dtype.kind in "iu":
        pixels = np.clip(np.rint(array.astype(np.float64) * (255.0 / 65535.0)), 0, 255).astype(np.uint8)
    elif array.dtype.kind == "f":
        values = array.astype(np.float64)
        if not np.isfinite(values).all():
            raise ImageDecodeError(f"{what}: float pixel values must lie in [0, 1]; received NaN or infinity")
        if values.min() < 0.0 or values.max() > 1.0:
            raise ImageDecodeError(
                f"{what}: float pixel values must lie in [0, 1]; received range "
                f"[{values.min():g}, {values.max():g}]; convert to uint8 0..255 first"
            )
        pixels = np.rint(values * 255.0).astype(np.uint8)
    else:
        raise ImageDecodeError(f"{what}: unsupported array dtype {array.dtype}; use uint8")
    pixels = np.ascontiguousarray(pixels)
    if pixels.ndim == 2:
        return Image.fromarray(pixels, "L").convert("RGB")
    if pixels.shape[-1] == 4:
        return _to_rgb(Image.fromarray(pixels, "RGBA"), what)
    return Image.fromarray(pixels, "RGB")


def resize_and_crop(image: Image.Image, size: int | tuple[int, int]) -> Image.Image:
    """Resizes the shorter side to ``round(size / CROP_FRACTION)``, then centre-crops ``size``.

    ``size`` is an int (square) or ``(height, width)``; for a non-square target
    the shorter side is scaled to fit the larger of the two before cropping.
    """
    height, width = (size, size) if isinstance(size, int) else size
    if height <= 0 or width <= 0:
        raise ValueError(f"crop size must be positive; received {size}")
    target = round(max(height, width) / CROP_FRACTION)
    w, h = image.size
    if w <= h:
        new_w, new_h = target, max(target, round(h * target / w))
    else:
        new_w, new_h = max(target, round(w * target / h)), target
    left, top = (new_w - width) // 2, (new_h - height) // 2
    if new_w * new_h <= _MAX_RESIZED_PIXELS:
        resized = image.resize((new_w, new_h), Image.Resampling.BILINEAR, reducing_gap=None)
        return resized.crop((left, top, left + width, top + height))
    # A very long, thin image would resize to a huge one: resample only the part the
    # crop keeps (the same filter positions, so the same pixels up to rounding).
    scale_x, scale_y = w / new_w, h / new_h
    box = (left * scale_x, top * scale_y, (left + width) * scale_x, (top + height) * scale_y)
    return image.resize((width, height), Image.Resampling.BILINEAR, box=box, reducing_gap=None)


def to_input_tensor(
    image: Image.Image | np.ndarray,
    *,
    mean: tuple[float, ...] | float,
    std: tuple[float, ...] | float,
    dtype: str | np.dtype = "float32",
    scale: float = 0.0,
    zero_point: int = 0,
    channels: int = 3,
) -> np.ndarray:
    """Normalises an already cropped RGB image, then quantises it to ``dtype``.

    Returns an array of shape (height, width, channels), without batch axis.
    ``channels=1`` converts to luminance (Pillow's ``L`` weights) first.
    """
    if isinstance(image, Image.Image):
        image = image.convert("L") if channels == 1 else image.convert("RGB")
    pixels = np.asarray(image)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.dtype == np.uint8:
        # 8-bit pixels take only 256 values: apply the rule to those once, then look every pixel up.
        # Bit-identical to the arithmetic on the whole image, and ~10x faster on a 224x224 input (the
        # element-wise float passes dominated the SDK's per-image overhead; see benchmarks/README.md).
        levels = np.arange(256, dtype=np.float32)[:, None]
        table = _normalise_and_quantise(levels, mean, std, dtype, scale, zero_point)
        if table.shape[1] not in (1, pixels.shape[-1]):
            raise ValueError(f"mean/std have {table.shape[1]} values for an image of {pixels.shape[-1]} channels")
        if (table == table[:, :1]).all():  # the same rule for every channel: one pass over the image
            if table.dtype == np.uint8 and np.array_equal(table[:, 0], np.arange(256)):
                return pixels.copy()  # the quantisation undoes the normalisation (e.g. mean 127, std 128, scale 1/128, zero point 127)
            return np.take(table[:, 0], pixels, mode="clip")
        out = np.empty(pixels.shape, table.dtype)
        for c in range(pixels.shape[-1]):
            np.take(table[:, c], pixels[..., c], out=out[..., c], mode="clip")
        return out
    return _normalise_and_quantise(pixels.astype(np.float32), mean, std, dtype, scale, zero_point)


def _normalise_and_quantise(pixels: np.ndarray, mean, std, dtype, scale, zero_point) -> np.ndarray:
    mean_arr = np.asarray(mean, dtype=np.float32).reshape(-1)
    std_arr = np.asarray(std, dtype=np.float32).reshape(-1)
    normalised = (pixels - mean_arr) / std_arr
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return normalised.astype(np.float32)
    if dtype.kind not in "iu":
        raise ValueError(f"unsupported input tensor dtype {dtype}; expected float32, uint8 or int8")
    if not scale:
        raise ValueError(f"a {dtype} input tensor needs a quantisation scale; received scale={scale}")
    info = np.iinfo(dtype)
    # As TFLite's Quantize: round half away from zero, then add the zero point.
    scaled = normalised / np.float32(scale)
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))
    return np.clip(rounded + zero_point, info.min, info.max).astype(dtype)


def preprocess(
    source: ImageSource,
    size: int | tuple[int, int],
    *,
    mean: tuple[float, ...] | float,
    std: tuple[float, ...] | float,
    dtype: str | np.dtype = "float32",
    scale: float = 0.0,
    zero_point: int = 0,
    channels: int = 3,
    max_pixels: int | None = MAX_PIXELS,
) -> np.ndarray:
    """The whole rule: :func:`load_image`, :func:`resize_and_crop`, :func:`to_input_tensor`."""
    image = resize_and_crop(load_image(source, max_pixels=max_pixels), size)
    return to_input_tensor(image, mean=mean, std=std, dtype=dtype, scale=scale,
                           zero_point=zero_point, channels=channels)

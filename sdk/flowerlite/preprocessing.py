"""Image preprocessing: the one rule shared by the SDK and the training build chain.

1. **Decode** (:func:`load_image`) from a path, bytes, a binary file object, a
   PIL image or a numpy array; apply the EXIF orientation; convert to 8-bit RGB:

   - 8-bit modes (``1``, ``L``, ``P``, ``RGB``, ``CMYK``, ``YCbCr``, ...) convert
     as Pillow converts them;
   - transparency (``RGBA``, ``LA``, ``PA``, ``P`` or ``L``/``RGB`` with a
     transparency key) is composited over :data:`ALPHA_BACKGROUND` (white);
   - 16-bit data (modes ``I;16*``; mode ``I`` decoded from a file, as 16-bit
     PPM/PGM and 32-bit TIFF open; ``uint16`` arrays) holds 16-bit samples:
     ``round(v * 255 / 65535)``, clipped to 0..255;
   - float data (mode ``F``, float arrays) must lie in [0, 1] and is scaled by 255;
   - numpy arrays must be ``uint8`` (0..255), ``uint16`` (16-bit), ``bool`` or
     float in [0, 1]; other integer dtypes (``int64``, ``int32``, ``int16``,
     ``int8``, ``uint32``...) and PIL images of mode ``I`` made in memory (e.g.
     by ``convert("I")``) are refused, because their bit depth is unknown (an
     ``int64`` array of 0..255 values read as 16-bit comes out near-black);
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

import contextlib
import io
import os
from collections.abc import Iterator
from typing import BinaryIO, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from . import _files
from .contract import CROP_FRACTION  # the release contract owns it; importable from here as ever
from .errors import ImageDecodeError, ImageError, ImageNotFoundError, ImageTooLargeError

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
_TILE_PIXELS = 1 << 20  # costly conversions run on tiles of this many pixels
_ORIENTATION = 0x0112  # the EXIF tag
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

    Args:
        source: a path, bytes, a binary file object, a PIL image or a numpy array (see the module's rule 1).
        max_pixels: images with more pixels are refused before they are decoded; ``None``: no limit.

    Returns:
        A new 8-bit RGB image (never the caller's own PIL image).

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
        _check_not_empty(*source.size, what)
        if source.mode == "I" and not source.format:
            raise ImageDecodeError(
                f"{what}: a mode I image made in memory has no known bit depth; convert it to "
                "mode L for 0..255 values or I;16 for 16-bit samples"
            )
        with _decoder_errors(what):
            image = _to_rgb(_oriented(source, what), what)
            return image.copy() if image is source else image  # never hand the caller's own image back
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _decode(io.BytesIO(source), max_pixels, what)
    if isinstance(source, (str, os.PathLike)):
        path = os.fsdecode(source)
        try:
            stream = _files.open_regular(path)
        except FileNotFoundError:
            raise ImageNotFoundError(f"image file not found: {path}; check the path") from None
        except _files.NotRegularFileError as exc:
            raise ImageDecodeError(f"{path} is a {exc.kind}, not an image file") from None
        except OSError as exc:
            raise ImageDecodeError(f"cannot read image file {path}: {exc.strerror or exc}") from None
        with stream:
            return _decode(stream, max_pixels, what)
    if hasattr(source, "read"):
        return _decode(source, max_pixels, what)  # type: ignore[arg-type]
    raise ImageDecodeError(
        f"cannot read an image from a {type(source).__name__}; pass a path, bytes, "
        "a binary file object, a PIL image or a numpy array"
    )


def _decode(stream: BinaryIO, max_pixels: int | None, what: str) -> Image.Image:
    with _decoder_errors(what):
        with Image.open(stream) as image:
            _check_pixels(*image.size, max_pixels, what)
            _check_not_empty(*image.size, what)
            image.load()
            return _to_rgb(_oriented(image, what), what)


def _check_not_empty(width: int, height: int, what: str) -> None:
    if width < 1 or height < 1:
        raise ImageDecodeError(f"{what} is empty ({width}x{height} pixels)")


@contextlib.contextmanager
def _decoder_errors(what: str) -> Iterator[None]:
    """Turns whatever a decoder raises on bad data into an ImageError.

    Pillow's format plugins and codecs raise many types on corrupt input (OSError,
    SyntaxError, struct.error, a bare RuntimeError from the AVIF codec, ...):
    every one is an ImageDecodeError here, whatever the format.
    """
    try:
        yield
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"{what} is too large to decode safely ({exc}); downscale it first") from None
    except FileNotFoundError:
        raise ImageNotFoundError(f"image file not found: {what}; check the path") from None
    except UnidentifiedImageError:
        raise ImageDecodeError(f"{what} is not an image Pillow can read (JPEG, PNG, WebP, ...)") from None
    except MemoryError:
        raise ImageTooLargeError(f"{what} needs more memory to decode than is available; downscale it "
                                 "first") from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure on bad data; see the docstring
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ImageDecodeError(f"{what} could not be decoded ({reason}); the file is truncated or "
                               "corrupt") from None


def _oriented(image: Image.Image, what: str) -> Image.Image:
    try:
        if image.getexif().get(_ORIENTATION, 1) in (1, None):
            return image  # exif_transpose would return a full copy (256 MB at 64 MP) for nothing
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - malformed EXIF must not stop a readable image
        return image


def _tiles(width: int, height: int) -> Iterator[tuple[int, int, int, int]]:
    """Boxes of at most :data:`_TILE_PIXELS` pixels covering the image (whole rows when they fit)."""
    rows = max(1, _TILE_PIXELS // width)
    cols = width if rows > 1 else min(width, _TILE_PIXELS)
    for top in range(0, height, rows):
        for left in range(0, width, cols):
            yield left, top, min(width, left + cols), min(height, top + rows)


def _by_tiles(image: Image.Image, convert) -> Image.Image:
    """``convert`` (an RGB image from an image) applied tile by tile: the temporaries stay small."""
    out = Image.new("RGB", image.size)
    for box in _tiles(*image.size):
        out.paste(convert(image.crop(box)), box[:2])
    return out


def _composite(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, ALPHA_BACKGROUND + (255,))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _premultiplied(image: Image.Image) -> Image.Image:
    # Colour already multiplied by alpha: composite is colour + background * (1 - alpha).
    values = np.asarray(image, dtype=np.float32)
    colour, alpha = values[..., :-1], values[..., -1:] / 255.0
    if colour.shape[-1] == 1:
        colour = np.repeat(colour, 3, axis=-1)
    out = colour + np.asarray(ALPHA_BACKGROUND, np.float32) * (1.0 - alpha)
    return Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8), "RGB")


def _to_rgb(image: Image.Image, what: str) -> Image.Image:
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return image
    if mode in _SIXTEEN_BIT or mode == "F":
        return _numeric_to_rgb(image, what)
    if mode == "1":
        image, mode = image.convert("L"), "L"
    if mode in ("P", "L", "RGB") and "transparency" in image.info or mode in _ALPHA_MODES:
        return _by_tiles(image, _composite)
    if mode in _PREMULTIPLIED_MODES:
        return _by_tiles(image, _premultiplied)
    try:
        return image.convert("RGB")
    except ValueError as exc:
        raise ImageDecodeError(f"{what}: cannot convert Pillow mode {mode} to RGB ({exc})") from None


def _numeric_to_rgb(image: Image.Image, what: str) -> Image.Image:
    """A 16-bit, 32-bit integer or float image to RGB, tile by tile (a whole float64 copy took GBs)."""
    width, height = image.size
    if image.mode == "F":
        _check_unit_range((np.asarray(image.crop(box)) for box in _tiles(width, height)), what)
    pixels = np.empty((height, width), np.uint8)
    for left, top, right, bottom in _tiles(width, height):
        tile = np.asarray(image.crop((left, top, right, bottom)))
        pixels[top:bottom, left:right] = _scaled(tile, True) if image.mode != "F" else _scaled(tile, False)
    return Image.fromarray(pixels, "L").convert("RGB")


def _scaled(values: np.ndarray, sixteen_bit: bool) -> np.ndarray:
    """16-bit integer samples (``sixteen_bit``) or [0, 1] floats to 8 bits."""
    if sixteen_bit:
        return np.clip(np.rint(values.astype(np.float64) * (255.0 / 65535.0)), 0, 255).astype(np.uint8)
    return np.rint(values.astype(np.float64) * 255.0).astype(np.uint8)


def _check_unit_range(chunks, what: str) -> None:
    low, high = np.inf, -np.inf
    for chunk in chunks:
        if not np.isfinite(chunk).all():
            raise ImageDecodeError(f"{what}: float pixel values must lie in [0, 1]; received NaN or infinity")
        if chunk.size:
            low, high = min(low, float(chunk.min())), max(high, float(chunk.max()))
    if low < 0.0 or high > 1.0:
        raise ImageDecodeError(
            f"{what}: float pixel values must lie in [0, 1]; received range [{low:g}, {high:g}]; "
            "convert to uint8 0..255 first"
        )


def _from_array(array: np.ndarray, max_pixels: int | None, what: str) -> Image.Image:
    """An RGB image from an image array (see the module docstring for the dtypes accepted)."""
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
    elif array.dtype == np.uint16 or array.dtype.kind == "f":
        flat = np.ascontiguousarray(array).reshape(-1)
        chunks = range(0, flat.size, _TILE_PIXELS)
        if array.dtype.kind == "f":
            _check_unit_range((flat[i : i + _TILE_PIXELS] for i in chunks), what)
        pixels = np.empty(array.shape, np.uint8)
        out = pixels.reshape(-1)
        for i in chunks:  # in chunks: a whole float64 copy of a 64 MP array is 1.5 GB
            out[i : i + _TILE_PIXELS] = _scaled(flat[i : i + _TILE_PIXELS], array.dtype == np.uint16)
    elif array.dtype.kind in "iu":
        raise ImageDecodeError(
            f"{what}: {array.dtype} arrays have no known bit depth; pass uint8 for 0..255 values "
            "(array.astype(np.uint8)), uint16 for 16-bit samples, or float in [0, 1]"
        )
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

    Args:
        image: a PIL image (as :func:`load_image` returns).
        size: an int (square) or ``(height, width)``; for a non-square target the shorter
            side is scaled to fit the larger of the two before cropping.

    Returns:
        The cropped image, ``size`` pixels.

    Raises:
        ValueError: ``size`` is not positive.
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

    Args:
        image: a PIL image or an array of pixels (height, width[, channels]).
        mean, std: per-channel (or one for all) normalisation, ``(pixel - mean) / std``.
        dtype: ``"float32"``, ``"uint8"`` or ``"int8"``: the model input's.
        scale, zero_point: the input's quantisation (needed for an integer dtype).
        channels: 3, or 1 to convert to luminance (Pillow's ``L`` weights) first.

    Returns:
        An array of shape (height, width, channels), without batch axis, of ``dtype``.

    Raises:
        ValueError: ``mean``/``std`` do not fit the channels, the dtype is not supported, or an
            integer dtype has no ``scale``.
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
    """The whole rule: :func:`load_image`, :func:`resize_and_crop`, :func:`to_input_tensor`.

    Args:
        source: a path, bytes, a binary file object, a PIL image or a numpy array.
        size: the model's input size, an int or ``(height, width)``.
        mean, std, dtype, scale, zero_point, channels: as in :func:`to_input_tensor`.
        max_pixels: as in :func:`load_image`.

    Returns:
        The input tensor of one image, shape (height, width, channels), without batch axis.

    Raises:
        ImageNotFoundError, ImageDecodeError, ImageTooLargeError: as :func:`load_image`.
        ValueError: as :func:`resize_and_crop` and :func:`to_input_tensor`.
    """
    image = resize_and_crop(load_image(source, max_pixels=max_pixels), size)
    return to_input_tensor(image, mean=mean, std=std, dtype=dtype, scale=scale,
                           zero_point=zero_point, channels=channels)

"""flowerlite.preprocessing: decoding, EXIF, every PIL mode, the resize/crop rule, quantisation."""

from __future__ import annotations

import io
import os
import pathlib
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

from flowerlite import ImageDecodeError, ImageNotFoundError, ImageTooLargeError
from flowerlite.preprocessing import (
    ALPHA_BACKGROUND,
    CROP_FRACTION,
    load_image,
    preprocess,
    resize_and_crop,
    to_input_tensor,
)


def png_bytes(image: Image.Image, **params) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", **params)
    return buf.getvalue()


def pixel(image: Image.Image, xy=(0, 0)) -> tuple[int, int, int]:
    assert image.mode == "RGB"
    return image.getpixel(xy)


# ----------------------------------------------------------------- the resize / crop rule


def test_crop_fraction_is_the_documented_value():
    assert CROP_FRACTION == 0.875
    assert round(224 / CROP_FRACTION) == 256


@pytest.mark.parametrize("width,height", [(400, 300), (300, 400), (256, 256), (20, 10), (1000, 999)])
def test_resize_and_crop_resizes_the_shorter_side_then_centre_crops(width, height):
    rng = np.random.default_rng(width)
    image = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
    out = resize_and_crop(image, 224)
    short = 256  # round(224 / 0.875)
    if width <= height:
        new = (short, max(short, round(height * short / width)))
    else:
        new = (max(short, round(width * short / height)), short)
    left, top = (new[0] - 224) // 2, (new[1] - 224) // 2
    expected = image.resize(new, Image.BILINEAR).crop((left, top, left + 224, top + 224))
    assert out.size == (224, 224)
    assert np.array_equal(np.asarray(out), np.asarray(expected))


def test_resize_and_crop_keeps_the_centre():
    image = Image.new("RGB", (300, 100), (0, 0, 255))
    image.paste((255, 0, 0), (140, 40, 160, 60))  # a red square in the middle
    out = np.asarray(resize_and_crop(image, 32))
    assert tuple(out[16, 16]) == (255, 0, 0)
    assert tuple(out[0, 0]) == (0, 0, 255)


def test_resize_is_antialiased_when_downscaling():
    checker = (np.indices((512, 512)).sum(axis=0) % 2 * 255).astype(np.uint8)
    out = np.asarray(resize_and_crop(Image.fromarray(checker).convert("RGB"), 32)).astype(float)
    assert abs(out.mean() - 127.5) < 3 and out.std() < 3  # nearest-neighbour would stay 0/255


def test_extremely_long_images_are_cropped_without_resizing_all_of_them():
    strip = Image.fromarray(np.random.default_rng(2).integers(0, 256, (2, 30000, 3), dtype=np.uint8))
    # Resizing all of it would make a 3_840_000 x 256 image; the crop's box gives the same pixels.
    out = resize_and_crop(strip, 224)
    assert out.size == (224, 224)
    small = Image.fromarray(np.random.default_rng(3).integers(0, 256, (40, 900, 3), dtype=np.uint8))
    from flowerlite import preprocessing

    direct = np.asarray(resize_and_crop(small, 224), dtype=int)
    old = preprocessing._MAX_RESIZED_PIXELS
    preprocessing._MAX_RESIZED_PIXELS = 0
    try:
        boxed = np.asarray(resize_and_crop(small, 224), dtype=int)
    finally:
        preprocessing._MAX_RESIZED_PIXELS = old
    assert np.abs(direct - boxed).max() <= 1


def test_resize_and_crop_accepts_a_non_square_target():
    out = resize_and_crop(Image.new("RGB", (640, 480)), (48, 64))
    assert out.size == (64, 48)


# ----------------------------------------------------------------- sources


def test_load_image_reads_every_kind_of_source(tmp_path):
    array = np.random.default_rng(1).integers(0, 256, (21, 34, 3), dtype=np.uint8)
    data = png_bytes(Image.fromarray(array))
    path = tmp_path / "image.png"
    path.write_bytes(data)
    sources = [str(path), path, data, bytearray(data), memoryview(data), io.BytesIO(data),
               open(path, "rb"), Image.fromarray(array), array]
    for source in sources:
        image = load_image(source)
        assert image.mode == "RGB" and image.size == (34, 21), type(source)
        assert np.array_equal(np.asarray(image), array), type(source)
    sources[6].close()


def test_load_image_accepts_grayscale_and_rgba_arrays():
    gray = np.full((5, 6), 77, np.uint8)
    assert pixel(load_image(gray)) == (77, 77, 77)
    assert pixel(load_image(gray[..., None])) == (77, 77, 77)
    rgba = np.zeros((5, 6, 4), np.uint8)  # fully transparent black
    assert pixel(load_image(rgba)) == ALPHA_BACKGROUND


def test_load_image_scales_uint16_and_float_arrays():
    assert pixel(load_image(np.full((4, 4), 65535, np.uint16))) == (255, 255, 255)
    assert pixel(load_image(np.full((4, 4), 32896, np.uint16))) == (128, 128, 128)
    assert pixel(load_image(np.full((4, 4, 3), 0.5, np.float32))) == (128, 128, 128)
    assert pixel(load_image(np.ones((4, 4), bool))) == (255, 255, 255)


# ----------------------------------------------------------------- EXIF orientation


def jpeg_with_orientation(orientation: int) -> bytes:
    """40x20 (w x h): left half red, right half blue, tagged with an EXIF orientation."""
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=95, exif=exif.tobytes())
    return buf.getvalue()


def is_red(rgb) -> bool:
    return rgb[0] > 200 and rgb[2] < 60


def is_blue(rgb) -> bool:
    return rgb[2] > 200 and rgb[0] < 60


@pytest.mark.parametrize(
    "orientation,size,red_at,blue_at",
    [
        (1, (40, 20), (5, 10), (35, 10)),   # as stored
        (2, (40, 20), (35, 10), (5, 10)),   # mirrored left-right
        (3, (40, 20), (35, 10), (5, 10)),   # rotated 180
        (6, (20, 40), (10, 5), (10, 35)),   # stored rotated: display turns it 90 clockwise
        (8, (20, 40), (10, 35), (10, 5)),   # display turns it 90 counter-clockwise
    ],
)
def test_load_image_applies_exif_orientation(orientation, size, red_at, blue_at):
    image = load_image(jpeg_with_orientation(orientation))
    assert image.size == size
    assert is_red(image.getpixel(red_at)) and is_blue(image.getpixel(blue_at))


def test_exif_rotation_changes_what_the_classifier_sees():
    stored = load_image(jpeg_with_orientation(1))
    rotated = load_image(jpeg_with_orientation(6))
    assert np.array_equal(np.asarray(rotated.transpose(Image.ROTATE_90)).shape, np.asarray(stored).shape)


# ----------------------------------------------------------------- every PIL mode


def test_mode_1_and_l_become_gray_rgb():
    assert pixel(load_image(Image.new("1", (3, 3), 1))) == (255, 255, 255)
    assert pixel(load_image(Image.new("L", (3, 3), 100))) == (100, 100, 100)


def test_mode_p_uses_its_palette():
    image = Image.new("P", (3, 3), 1)
    image.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    assert pixel(load_image(image)) == (10, 200, 30)


def test_mode_p_with_transparency_is_composited_on_white():
    image = Image.new("P", (4, 1), 0)
    image.putpalette([10, 20, 30, 40, 50, 60] + [0] * 762)
    image.putpixel((3, 0), 1)
    image.info["transparency"] = 0
    decoded = load_image(png_bytes(image, transparency=0))
    assert pixel(decoded, (0, 0)) == ALPHA_BACKGROUND
    assert pixel(decoded, (3, 0)) == (40, 50, 60)


@pytest.mark.parametrize(
    "mode,value,expected",
    [
        ("RGBA", (255, 0, 0, 255), (255, 0, 0)),
        ("RGBA", (255, 0, 0, 0), ALPHA_BACKGROUND),
        ("RGBA", (0, 0, 0, 128), (127, 127, 127)),
        ("LA", (0, 0), ALPHA_BACKGROUND),
        ("LA", (0, 255), (0, 0, 0)),
        ("RGBa", (100, 0, 0, 255), (100, 0, 0)),
        ("La", (50, 255), (50, 50, 50)),
    ],
)
def test_alpha_modes_are_composited_on_the_documented_background(mode, value, expected):
    got = pixel(load_image(Image.new(mode, (2, 2), value)))
    assert max(abs(a - b) for a, b in zip(got, expected)) <= 1, (mode, value, got)


def test_mode_pa_is_composited():
    image = Image.new("PA", (2, 2), (1, 0))
    image.putpalette([0, 0, 0, 200, 0, 0] + [0] * 762)
    assert pixel(load_image(image)) == ALPHA_BACKGROUND


def test_rgb_and_l_with_a_transparency_key_are_composited(tmp_path):
    rgb = Image.new("RGB", (2, 1), (1, 2, 3))
    rgb.putpixel((1, 0), (9, 9, 9))
    decoded = load_image(png_bytes(rgb, transparency=(1, 2, 3)))
    assert pixel(decoded, (0, 0)) == ALPHA_BACKGROUND and pixel(decoded, (1, 0)) == (9, 9, 9)
    gray = Image.new("L", (2, 1), 7)
    assert pixel(load_image(png_bytes(gray, transparency=7))) == ALPHA_BACKGROUND


def test_cmyk_converts_to_rgb():
    assert pixel(load_image(Image.new("CMYK", (2, 2), (0, 0, 0, 0)))) == (255, 255, 255)
    assert pixel(load_image(Image.new("CMYK", (2, 2), (0, 255, 255, 0)))) == (255, 0, 0)
    buf = io.BytesIO()
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(buf, "JPEG", quality=100)
    assert is_red(pixel(load_image(buf.getvalue())))


@pytest.mark.parametrize("mode", ["YCbCr", "HSV", "LAB", "RGBX"])
def test_other_colour_modes_convert_to_rgb(mode):
    source = Image.new("RGB", (2, 2), (200, 30, 40)).convert(mode)
    got = pixel(load_image(source))
    assert max(abs(a - b) for a, b in zip(got, (200, 30, 40))) <= 3


def test_sixteen_bit_images_are_scaled_to_eight_bits(tmp_path):
    array = np.array([[0, 257, 32896, 65535]], np.uint16)
    image = Image.fromarray(array)
    assert image.mode == "I;16"
    path = tmp_path / "sixteen.png"
    image.save(path)
    ppm = tmp_path / "sixteen.ppm"  # Pillow opens 16-bit PPM/PGM as mode I
    image.save(ppm)
    assert Image.open(ppm).mode == "I"
    for source in (image, path, array, ppm, Image.open(ppm)):
        got = np.asarray(load_image(source))[0, :, 0]
        assert list(got) == [0, 1, 128, 255], source


def test_float_images_are_taken_as_zero_to_one():
    image = Image.fromarray(np.array([[0.0, 0.5, 1.0]], np.float32))
    assert image.mode == "F"
    assert list(np.asarray(load_image(image))[0, :, 0]) == [0, 128, 255]


def test_float_images_outside_zero_to_one_are_refused():
    with pytest.raises(ImageDecodeError, match=r"\[0, 1\].*received range \[0, 200\]"):
        load_image(Image.fromarray(np.array([[0.0, 200.0]], np.float32)))
    with pytest.raises(ImageDecodeError, match="must lie in"):
        load_image(np.full((2, 2), np.nan, np.float32))


# ----------------------------------------------------------------- errors


def test_missing_file_raises_image_not_found_with_the_path(tmp_path):
    missing = tmp_path / "nope.jpg"
    with pytest.raises(ImageNotFoundError, match="nope.jpg"):
        load_image(missing)
    assert issubclass(ImageNotFoundError, FileNotFoundError)


def test_directory_is_not_an_image(tmp_path):
    with pytest.raises(ImageDecodeError, match="is a directory"):
        load_image(tmp_path)


def test_non_image_file_raises_decode_error(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture")
    with pytest.raises(ImageDecodeError, match=r"notes\.jpg is not an image"):
        load_image(path)
    with pytest.raises(ImageDecodeError, match="image bytes"):
        load_image(b"")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_files_raise_decode_error(tmp_path, fmt):
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    buf = io.BytesIO()
    image.save(buf, fmt)
    data = buf.getvalue()
    for cut in (len(data) // 3, len(data) // 2, len(data) * 9 // 10):
        path = tmp_path / f"cut{cut}.{fmt.lower()}"
        path.write_bytes(data[:cut])
        with pytest.raises(ImageDecodeError, match=rf"cut{cut}.*(truncated|not an image)"):
            load_image(path)


def tiny_png_header(width: int, height: int) -> bytes:
    """A PNG that declares a huge size but holds almost no data (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_images_over_the_pixel_limit_are_refused_before_decoding():
    with pytest.raises(ImageTooLargeError, match=r"10000x10000 = 100000000 pixels, over the limit of 64000000"):
        load_image(tiny_png_header(10000, 10000))
    with pytest.raises(ImageTooLargeError, match="too large"):
        load_image(tiny_png_header(100000, 100000))  # beyond Pillow's own bomb limit
    with pytest.raises(ImageTooLargeError, match="over the limit of 100"):
        load_image(np.zeros((20, 20, 3), np.uint8), max_pixels=100)
    with pytest.raises(ImageTooLargeError):
        load_image(Image.new("RGB", (20, 20)), max_pixels=100)
    assert load_image(Image.new("RGB", (20, 20)), max_pixels=None).size == (20, 20)


def test_unsupported_sources_and_arrays_raise_decode_error():
    with pytest.raises(ImageDecodeError, match="cannot read an image from a int"):
        load_image(42)
    with pytest.raises(ImageDecodeError, match="expected an image array"):
        load_image(np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(ImageDecodeError, match="unsupported array dtype complex"):
        load_image(np.zeros((2, 2), np.complex64))
    with pytest.raises(ImageDecodeError, match="is empty"):
        load_image(np.zeros((0, 3, 3), np.uint8))


# ----------------------------------------------------------------- normalise and quantise


def test_to_input_tensor_normalises_float32():
    image = Image.new("RGB", (2, 2), (0, 127, 255))
    tensor = to_input_tensor(image, mean=(127.5,), std=(127.5,))
    assert tensor.shape == (2, 2, 3) and tensor.dtype == np.float32
    np.testing.assert_allclose(tensor[0, 0], [-1.0, -0.5 / 127.5, 1.0], rtol=1e-6)


def test_to_input_tensor_uses_per_channel_mean_and_std():
    image = Image.new("RGB", (1, 1), (10, 20, 30))
    tensor = to_input_tensor(image, mean=(10, 10, 10), std=(1, 2, 4))
    np.testing.assert_allclose(tensor[0, 0], [0.0, 5.0, 5.0])


def test_to_input_tensor_quantises_to_uint8_and_int8_with_clipping():
    image = Image.new("RGB", (3, 1))
    image.putdata([(0, 0, 0), (100, 100, 100), (255, 255, 255)])
    q = to_input_tensor(image, mean=(127.5,), std=(127.5,), dtype="uint8", scale=1 / 128, zero_point=128)
    assert q.dtype == np.uint8
    expected = [round((p - 127.5) / 127.5 * 128) + 128 for p in (0, 100)]
    assert list(q[0, :, 0]) == expected + [255]  # 255 -> 256, clipped
    q = to_input_tensor(image, mean=(0,), std=(1,), dtype=np.int8, scale=1.0, zero_point=-128)
    assert q.dtype == np.int8 and list(q[0, :, 0]) == [-128, -28, 127]


def test_to_input_tensor_rounds_half_away_from_zero_like_tflite():
    image = Image.new("RGB", (4, 1))
    image.putdata([(1, 1, 1), (3, 3, 3), (5, 5, 5), (15, 15, 15)])
    q = to_input_tensor(image, mean=(10,), std=(1,), dtype="int8", scale=2.0, zero_point=0)
    # (p - 10) / 2 = -4.5, -3.5, -2.5, 2.5: half away from zero, not half to even
    assert list(q[0, :, 0]) == [-5, -4, -3, 3]


@pytest.mark.parametrize("dtype, scale, zero_point", [("float32", 0.0, 0), ("uint8", 0.00784308, 127),
                                                      ("uint8", 1 / 128, 128), ("int8", 0.0123, -3)])
@pytest.mark.parametrize("mean, std", [((127.5,), (127.5,)), ((123.7, 116.3, 103.5), (58.4, 57.1, 57.4))])
def test_to_input_tensor_lookup_of_8_bit_pixels_equals_the_arithmetic(dtype, scale, zero_point, mean, std):
    # uint8 pixels go through a 256-entry table; any other dtype through the element-wise rule.
    levels = np.arange(256)
    pixels = np.stack([levels, levels[::-1], np.roll(levels, 7)], -1).reshape(16, 16, 3)  # every level, every channel
    fast = to_input_tensor(pixels.astype(np.uint8), mean=mean, std=std, dtype=dtype, scale=scale, zero_point=zero_point)
    slow = to_input_tensor(pixels.astype(np.int32), mean=mean, std=std, dtype=dtype, scale=scale, zero_point=zero_point)
    assert fast.dtype == slow.dtype == np.dtype(dtype) and fast.shape == (16, 16, 3)
    assert np.array_equal(fast, slow)


def test_to_input_tensor_passes_pixels_through_when_quantisation_undoes_normalisation():
    pixels = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    kwargs = dict(mean=(127.0,), std=(128.0,), dtype="uint8", scale=1 / 128, zero_point=127)  # the released int8 contract
    fast = to_input_tensor(pixels, **kwargs)
    assert fast.dtype == np.uint8 and np.array_equal(fast, pixels) and fast is not pixels
    assert np.array_equal(fast, to_input_tensor(pixels.astype(np.int32), **kwargs))


def test_to_input_tensor_accepts_arrays_and_grayscale():
    array = np.full((2, 2, 3), 255, np.uint8)
    np.testing.assert_allclose(to_input_tensor(array, mean=0, std=255), 1.0)
    gray = to_input_tensor(Image.new("RGB", (2, 2), (255, 0, 0)), mean=0, std=1, channels=1)
    assert gray.shape == (2, 2, 1) and gray[0, 0, 0] == 76.0  # Pillow's L = 0.299 R + ...


def test_to_input_tensor_rejects_unsupported_dtypes_and_missing_scale():
    image = Image.new("RGB", (1, 1))
    with pytest.raises(ValueError, match="unsupported input tensor dtype float16"):
        to_input_tensor(image, mean=0, std=1, dtype="float16")
    with pytest.raises(ValueError, match="needs a quantisation scale"):
        to_input_tensor(image, mean=0, std=1, dtype="uint8")


def test_preprocess_is_load_resize_crop_then_to_input_tensor(tmp_path):
    array = np.random.default_rng(3).integers(0, 256, (50, 70, 3), dtype=np.uint8)
    path = tmp_path / "x.png"
    Image.fromarray(array).save(path)
    expected = to_input_tensor(resize_and_crop(Image.fromarray(array), 32), mean=(127.5,), std=(127.5,),
                               dtype="uint8", scale=0.0078125, zero_point=128)
    got = preprocess(pathlib.Path(path), 32, mean=(127.5,), std=(127.5,), dtype="uint8", scale=0.0078125,
                     zero_point=128)
    assert np.array_equal(got, expected)


# --------------------------------------------------------------------------- hardening (issue 17)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.int8, np.uint32, np.uint64])
def test_integer_arrays_other_than_uint8_and_uint16_are_refused_not_read_as_sixteen_bit(dtype):
    # 0..255 values in an int64 array used to be scaled by 255/65535: a near-black image, no error.
    array = quadrant_like(dtype)
    with pytest.raises(ImageDecodeError, match=rf"{np.dtype(dtype).name} arrays have no known bit depth; "
                                               r"pass uint8 for 0\.\.255 values"):
        load_image(array)
    assert np.array_equal(np.asarray(load_image(array.astype(np.uint8))), np.asarray(load_image(quadrant_like(np.uint8))))


def test_a_mode_i_image_made_in_memory_is_refused_with_the_fix():
    image = Image.fromarray(quadrant_like(np.uint8)).convert("I")  # 0..255 values in 32-bit pixels
    with pytest.raises(ImageDecodeError, match="mode I image made in memory has no known bit depth; convert it to "
                                               "mode L"):
        load_image(image)


def quadrant_like(dtype) -> np.ndarray:
    array = np.full((24, 24), 10, dtype)
    array[:12, 12:] = 120
    return array


@pytest.mark.parametrize("size", [(0, 0), (0, 7), (7, 0)])
def test_empty_pil_images_raise_image_decode_error(size):
    with pytest.raises(ImageDecodeError, match=rf"is empty \({size[0]}x{size[1]} pixels\)"):
        load_image(Image.new("RGB", size))
    with pytest.raises(ImageDecodeError, match="is empty"):
        preprocess(Image.new("L", size), 32, mean=(0,), std=(1,))


def test_a_fifo_image_path_is_refused_at_once_instead_of_blocking(tmp_path):
    fifo = tmp_path / "image.fifo"
    os.mkfifo(fifo)
    code = ("import sys; from flowerlite.preprocessing import load_image\n"
            "try:\n    load_image(sys.argv[1])\nexcept Exception as exc:\n    print(type(exc).__name__, exc)")
    result = subprocess.run([sys.executable, "-c", code, str(fifo)], capture_output=True, text=True, timeout=20,
                            env=child_env())
    assert result.stdout.strip() == f"ImageDecodeError {fifo} is a FIFO (named pipe), not an image file"


def test_device_paths_and_directories_are_refused_as_images(tmp_path):
    with pytest.raises(ImageDecodeError, match="/dev/zero is a character device, not an image file"):
        load_image("/dev/zero")
    with pytest.raises(ImageDecodeError, match="is a directory, not an image file"):
        load_image(tmp_path)


def child_env() -> dict:
    """The environment of a child Python that imports this checkout's flowerlite (not timing out on a hang)."""
    sdk = str(pathlib.Path(__file__).resolve().parents[1])
    return dict(os.environ, PYTHONPATH=os.pathsep.join([sdk, os.environ.get("PYTHONPATH", "")]))


def test_every_corrupt_avif_is_an_image_decode_error():
    # libavif's failures reached callers as a raw RuntimeError("Failed to decode image: ...").
    pytest.importorskip("PIL.features").check("avif") or pytest.skip("Pillow here has no AVIF codec")
    rng = np.random.default_rng(0)
    stream = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(stream, "AVIF")
    raw_failures, outcomes = set(), set()
    for seed in range(150):
        damaged = mutate(stream.getvalue(), seed)
        try:
            with Image.open(io.BytesIO(damaged)) as image:
                image.load()
        except Exception as exc:  # noqa: BLE001 - what Pillow alone raises
            raw_failures.add(type(exc).__name__)
        try:
            load_image(damaged)
            outcomes.add("ok")
        except ImageDecodeError:
            outcomes.add("ImageDecodeError")
    assert "RuntimeError" in raw_failures, raw_failures  # the mutants reach the codec's RuntimeError
    assert outcomes == {"ok", "ImageDecodeError"}


def mutate(data: bytes, seed: int) -> bytes:
    """``data`` with 1 to 8 random bytes overwritten (seeded)."""
    rng = np.random.default_rng(seed)
    damaged = bytearray(data)
    for _ in range(int(rng.choice([1, 2, 4, 8]))):
        damaged[int(rng.integers(len(damaged)))] = int(rng.integers(256))
    return bytes(damaged)


PEAK_RSS_CHILD = """
import resource, sys
from flowerlite.preprocessing import preprocess
preprocess(sys.argv[2], 224, mean=(127.5,), std=(127.5,))  # warm: imports, first allocations
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
preprocess(sys.argv[1], 224, mean=(127.5,), std=(127.5,))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB is Linux's")
@pytest.mark.parametrize(("mode", "fmt", "fill"), [
    ("F", "TIFF", 0.5), ("I", "TIFF", 30000), ("I;16", "PNG", 30000), ("RGBA", "PNG", (10, 200, 10, 128)),
    ("P", "PNG", 3),
])
def test_peak_memory_per_pixel_stays_bounded_for_every_costly_mode(tmp_path, mode, fmt, fill):
    # A 64 MP F-mode TIFF of 384 KB used to peak at 2.26 GB: whole float64 copies, and a full copy from
    # exif_transpose. At 16 MP that was 16-31 bytes a pixel over the baseline; on tiles it is 1-6.
    width, height = 4000, 4000
    path = tmp_path / f"big.{fmt.lower()}"
    options = {"transparency": 0} if mode == "P" else {}
    Image.new(mode, (width, height), fill).save(path, fmt, **options, **(
        {"compression": "tiff_deflate"} if fmt == "TIFF" else {"compress_level": 1}))
    small = tmp_path / "small.png"
    Image.new("RGB", (64, 48)).save(small)
    result = subprocess.run([sys.executable, "-c", PEAK_RSS_CHILD, str(path), str(small)], capture_output=True,
                            text=True, timeout=120, env=child_env())
    assert result.returncode == 0, result.stderr[-2000:]
    bytes_per_pixel = int(result.stdout) * 1024 / (width * height)
    assert bytes_per_pixel < 8, f"{mode}: {bytes_per_pixel:.1f} bytes a pixel"

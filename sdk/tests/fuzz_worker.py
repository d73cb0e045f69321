"""Seeded fuzzing of flowerlite with mutated images and models (run by test_fuzz.py).

    python fuzz_worker.py SEED IMAGE_MUTANTS MODEL_MUTANTS WORKDIR

Images: a small photo-like picture saved in every format Pillow can write here
(in each of a few modes the format accepts), each file mutated IMAGE_MUTANTS
times (random bytes, a boundary value in a header word, truncation, a
repeated block) and classified from bytes and from a path; then decompression
bombs at and over the pixel limit (the costliest modes). Models: the fixture
models mutated MODEL_MUTANTS times each (random bytes and words anywhere,
bytes in the packed label zip, truncation) and loaded and run.

Every outcome must be a result or a FlowerliteError. Before each case the worker
writes its description to WORKDIR/status.txt and arms SIGALRM with the default
action, so a hang kills the process and the parent names the case; an exception
of another type is printed and exits with status 3. Prints a JSON summary last,
with the peak RSS.
"""

from __future__ import annotations

import collections
import io
import json
import pathlib
import resource
import signal
import struct
import sys
import time
import zlib

import numpy as np

CASE_TIMEOUT = 20  # seconds; generous for a loaded 2-core machine under nice
MODES = ("RGB", "L", "RGBA", "1", "P", "I;16", "F", "CMYK")
BOUNDARY_WORDS = (0, 1, 0xFF, 0xFFFF, 0x7FFF, 0x8000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 40000)
FIXTURE_MODELS = ("quadrants_int8_metadata", "quadrants_float32_metadata")


def base_image():
    """A 40x30 picture with edges, gradients and noise (compresses like a photo, decodes fast)."""
    from PIL import Image

    rng = np.random.default_rng(1234)
    y, x = np.mgrid[0:30, 0:40]
    pixels = np.stack([x * 6, y * 8, (x + y) * 3], axis=-1) + rng.integers(0, 40, (30, 40, 3))
    pixels[8:20, 10:25] = (230, 40, 120)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def encoded_images() -> dict[str, bytes]:
    """Every format Pillow can write here, in each mode of MODES it accepts: name -> file bytes."""
    from PIL import Image

    Image.init()
    picture = base_image()
    files = {}
    for fmt in sorted(Image.SAVE):
        for mode in MODES:
            image = picture.convert(mode) if mode != "I;16" else Image.fromarray(
                np.asarray(picture.convert("L")).astype(np.uint16) * 257)
            stream = io.BytesIO()
            try:
                image.save(stream, fmt)
            except Exception:  # noqa: BLE001 - this format cannot store this mode (or at all)
                continue
            if stream.tell():
                files[f"{fmt}/{mode}"] = stream.getvalue()
    return files


def bombs():
    """Images at and over the pixel limit that are small files: (description, bytes)."""
    from PIL import Image

    png = io.BytesIO()
    base_image().save(png, "PNG")

    def claiming(width: int, height: int) -> bytes:  # the PNG's IHDR rewritten, its CRC fixed
        data = bytearray(png.getvalue())
        data[16:24] = struct.pack(">II", width, height)
        data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
        return bytes(data)

    yield "PNG claiming 7999x7999 pixels (data for 40x30)", claiming(7999, 7999)
    yield "PNG claiming 8001x8000 pixels (over the limit)", claiming(8001, 8000)
    for mode, fill, fmt, options in (("F", 0.25, "TIFF", {"compression": "tiff_deflate"}),
                                     ("RGBA", (200, 30, 30, 100), "PNG", {"compress_level": 9})):
        stream = io.BytesIO()
        Image.new(mode, (9000, 7100), fill).save(stream, fmt, **options)
        yield f"{mode} {fmt} of 9000x7100 pixels in {stream.tell()} bytes", stream.getvalue()


def mutants(data: bytes, count: int, rng: np.random.Generator):
    """``count`` damaged copies of ``data``: (description, bytes)."""
    for i in range(count):
        damaged = bytearray(data)
        kind = i % 4
        if kind == 0:
            n = int(rng.choice([1, 2, 4, 8, 16]))
            for _ in range(n):
                damaged[int(rng.integers(len(damaged)))] = int(rng.integers(256))
            yield f"{n} random bytes", bytes(damaged)
        elif kind == 1:  # header fields: sizes, offsets, counts
            pos = int(rng.integers(0, max(1, min(len(damaged) - 4, 96))))
            word = int(rng.choice(BOUNDARY_WORDS))
            order = "little" if rng.random() < 0.5 else "big"
            damaged[pos : pos + 4] = word.to_bytes(4, order)[: len(damaged) - pos]
            yield f"word {word:#x} ({order}) at {pos}", bytes(damaged)
        elif kind == 2:
            cut = int(rng.integers(0, len(damaged)))
            yield f"truncated to {cut}", bytes(damaged[:cut])
        else:
            start = int(rng.integers(0, len(damaged)))
            block = damaged[start : start + int(rng.integers(1, 64))]
            at = int(rng.integers(0, len(damaged)))
            yield f"{len(block)} bytes from {start} repeated at {at}", bytes(damaged[:at] + block + damaged[at:])


def model_mutants(data: bytes, count: int, rng: np.random.Generator):
    """Damaged copies of a model: anywhere, in the packed label zip, or truncated."""
    zip_start = data.find(b"PK\x03\x04")
    for i in range(count):
        damaged = bytearray(data)
        kind = i % 4
        if kind == 0:
            for _ in range(int(rng.choice([1, 2, 4]))):
                damaged[int(rng.integers(len(damaged)))] = int(rng.integers(256))
            what = "random bytes"
        elif kind == 1:
            pos = int(rng.integers(0, len(damaged) - 4)) & ~3
            word = int(rng.choice(BOUNDARY_WORDS))
            damaged[pos : pos + 4] = word.to_bytes(4, "little")
            what = f"word {word:#x} at {pos}"
        elif kind == 2 and zip_start > 0:
            for _ in range(int(rng.choice([1, 2, 4]))):
                damaged[int(rng.integers(zip_start, len(damaged)))] = int(rng.integers(256))
            what = "bytes in the label zip"
        else:
            cut = int(rng.integers(0, len(damaged)))
            yield f"truncated to {cut}", bytes(damaged[:cut])
            continue
        yield what, bytes(damaged)


def main() -> int:
    seed, image_mutants, model_count, workdir = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # sdk/ when not installed
    from flowerlite import Classifier, FlowerliteError

    work = pathlib.Path(workdir)
    status, variant = work / "status.txt", work / "variant"
    fixtures = pathlib.Path(__file__).resolve().parent / "fixtures"
    clf = Classifier(fixtures / "quadrants_int8_metadata.tflite", top_k=1)
    rng = np.random.default_rng(seed)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # a hang ends the process: the parent names the case
    outcomes: collections.Counter = collections.Counter()
    formats = encoded_images()
    slowest = (0.0, "")

    def run(description: str, action) -> None:
        nonlocal slowest
        status.write_text(description)
        signal.alarm(CASE_TIMEOUT)
        start = time.monotonic()
        try:
            action()
            outcome = "ok"
        except FlowerliteError as exc:
            outcome = type(exc).__name__
        except BaseException as exc:  # noqa: BLE001 - anything else is the bug this test hunts
            print(f"{description}: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
            sys.exit(3)
        finally:
            signal.alarm(0)
        slowest = max(slowest, (time.monotonic() - start, description))
        outcomes[outcome] += 1

    for name, data in formats.items():
        run(f"{name} undamaged", lambda data=data: clf.classify(data))
        for what, damaged in mutants(data, image_mutants, rng):
            description = f"{name}: {what}"
            variant.write_bytes(damaged)  # kept for the report if this case kills the worker
            if sum(outcomes.values()) % 2:
                run(description + " (bytes)", lambda damaged=damaged: clf.classify(damaged))
            else:
                run(description + " (path)", lambda: clf.classify(variant))
    for description, data in bombs():
        run(description, lambda data=data: clf.classify(data))
    model_path = work / "model.tflite"
    for model in FIXTURE_MODELS:
        data = (fixtures / f"{model}.tflite").read_bytes()
        for what, damaged in model_mutants(data, model_count, rng):
            model_path.write_bytes(damaged)

            def load_and_classify():
                with Classifier(model_path, safe_load=False) as damaged_clf:
                    damaged_clf.classify(base_image())

            run(f"{model}: {what}", load_and_classify)
    status.write_text("done")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"outcomes": dict(outcomes), "formats": sorted(formats), "peak_rss_mb": round(peak_mb),
                      "slowest_case": [round(slowest[0], 2), slowest[1]]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Peak memory (RSS) of flowerlite on hostile and worst-case inputs, each in a fresh child process.

    python sdk/scripts/peak_rss.py [--cases image,model] [--json]
    PYTHONPATH=/other/checkout/sdk python sdk/scripts/peak_rss.py   # the same cases on another version

Each case runs ``Classifier(model).classify(image)`` (or only the model load) in a
child Python with a 4 GiB address-space cap and a 60 s timeout, and reports the
child's peak RSS (``ru_maxrss`` from ``wait4``) and the outcome: the categories'
count, or the exception's type. Inputs are generated into a temporary folder:
images of every costly Pillow mode just under flowerlite's pixel limit for that
mode, a 1 x 63,999,999 PNG strip, ``/dev/zero`` and a FIFO as model or labels,
and a model whose packed labels.txt is a 1 GiB zip bomb. Issue 17 items 9-11.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "sdk" / "tests" / "fixtures"
MODEL = str(FIXTURES / "quadrants_int8_metadata.tflite")
PLAIN_MODEL = str(FIXTURES / "quadrants_int8.tflite")
ADDRESS_SPACE = 4 << 30
TIMEOUT = 60

CHILD = """
import sys
from flowerlite import Classifier
model, labels, image = sys.argv[1], sys.argv[2] or None, sys.argv[3]
try:
    with Classifier(model, labels_path=labels, safe_load=False) as clf:
        print("ok", len(clf.classify(image)) if image else "loaded")
except BaseException as exc:
    print(type(exc).__name__, " ".join(str(exc).split())[:160])
"""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_measured(model: str, labels: str = "", image: str = "") -> dict:
    """Runs one case in a child; returns its outcome, peak RSS (MB, from ``wait4``) and wall time."""
    start = time.monotonic()
    child = subprocess.Popen([sys.executable, "-c", CHILD, model, labels, image], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, preexec_fn=_limit_memory)
    deadline = start + TIMEOUT
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            child.kill()
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = -9
            return {"outcome": f"hung: killed after {TIMEOUT} s", "peak_rss_mb": round(usage.ru_maxrss / 1024),
                    "seconds": TIMEOUT}
        time.sleep(0.02)
    out = child.stdout.read().decode().strip()
    child.returncode = os.waitstatus_to_exitcode(status)
    outcome = out.splitlines()[-1] if out else f"died (status {child.returncode})"
    return {"outcome": outcome, "peak_rss_mb": round(usage.ru_maxrss / 1024), "seconds": round(time.monotonic() - start, 1)}


def _pixels_limit(mode: str) -> int:
    """flowerlite's pixel limit for ``mode`` (the default MAX_PIXELS for versions without per-mode limits)."""
    from flowerlite import preprocessing

    per_mode = getattr(preprocessing, "max_pixels_for_mode", None)
    return per_mode(mode, preprocessing.MAX_PIXELS) if per_mode else preprocessing.MAX_PIXELS


def _square_under(pixels: int) -> tuple[int, int]:
    """(width, height) of the largest image with a 4:3 shape and at most ``pixels`` pixels."""
    height = int((pixels * 3 / 4) ** 0.5)
    return pixels // height, height


def make_images(folder: pathlib.Path) -> dict[str, str]:
    """Worst accepted image of each costly mode, as files; name -> path."""
    cases = {  # name: (mode, format, save options)
        "RGB JPEG": ("RGB", "JPEG", {"quality": 50}),
        "L PNG": ("L", "PNG", {"compress_level": 1}),
        "RGB PNG": ("RGB", "PNG", {"compress_level": 1}),
        "RGBA PNG": ("RGBA", "PNG", {"compress_level": 1}),
        "P PNG (transparency)": ("P", "PNG", {"compress_level": 1, "transparency": 0}),
        "1 PNG": ("1", "PNG", {"compress_level": 1}),
        "I;16 PNG": ("I;16", "PNG", {"compress_level": 1}),
        "CMYK TIFF": ("CMYK", "TIFF", {"compression": "tiff_deflate"}),
        "I TIFF": ("I", "TIFF", {"compression": "tiff_deflate"}),
        "F TIFF": ("F", "TIFF", {"compression": "tiff_deflate"}),
    }
    paths = {}
    for name, (mode, fmt, options) in cases.items():
        size = _square_under(_pixels_limit(mode) - 1)
        image = Image.new(mode, size, 1 if mode in ("1", "P", "F") else 100 if mode != "F" else 0.5)
        if mode == "F":
            image = Image.new("F", size, 0.5)
        path = folder / f"{name.split()[0].replace(';', '')}-{mode.replace(';', '')}.{fmt.lower()}"
        image.save(path, fmt, **options)
        paths[f"{name} {size[0]}x{size[1]}"] = str(path)
        del image
    strip = _pixels_limit("RGB") - 1
    path = folder / "strip.png"
    Image.new("RGB", (strip, 1), (200, 30, 30)).save(path, compress_level=1)
    paths[f"RGB PNG strip {strip}x1"] = str(path)
    return paths


def make_label_bomb(folder: pathlib.Path, size: int = 1 << 30) -> str:
    """The fixture model with its packed labels.txt replaced by ``size`` bytes of deflated newlines."""
    sys.path.insert(0, str(ROOT / "sdk"))
    from flowerlite import _embed

    flatbuffer = _embed.split_zip(pathlib.Path(MODEL).read_bytes())[0]
    packed = io.BytesIO()
    packed.write(flatbuffer)
    with zipfile.ZipFile(packed, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("labels.txt", "w", force_zip64=True) as member:
            chunk = b"flower\n" * (1 << 17)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    path = folder / "label-bomb.tflite"
    path.write_bytes(packed.getvalue())
    return str(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="image,model", help="comma-separated: image, model (default both)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    import flowerlite

    results = {"flowerlite": str(pathlib.Path(flowerlite.__file__).parent)}
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        cases: dict[str, tuple[str, str, str]] = {}
        small = folder / "small.png"
        Image.new("RGB", (64, 48), (10, 200, 10)).save(small)
        cases["baseline: 64x48 RGB PNG"] = (MODEL, "", str(small))
        if "model" in args.cases:
            fifo = folder / "fifo"
            os.mkfifo(fifo)
            bomb = make_label_bomb(folder)
            cases.update({
                "model /dev/zero": ("/dev/zero", "", ""),
                "labels /dev/zero": (PLAIN_MODEL, "/dev/zero", ""),
                "model FIFO without writer": (str(fifo), "", ""),
                f"label zip bomb ({os.path.getsize(bomb)} B model, 1 GiB labels.txt)": (bomb, "", ""),
            })
        if "image" in args.cases:
            for name, path in make_images(folder).items():
                cases[f"image {name} ({os.path.getsize(path)} B)"] = (MODEL, "", path)
        for name, (model, labels, image) in cases.items():
            results[name] = run_measured(model, labels, image)
            if not args.json:
                r = results[name]
                print(f"{name:62s} {r['peak_rss_mb']:6d} MB {r['seconds']:6.1f} s  {r['outcome'][:90]}", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Peak memory of classifying many images at once: `Classifier.classify_batch` and `flowerlite classify FOLDER`.

    python -m benchmarks.batch_memory                       # 100, 500 and 2000 generated 640x480 JPEGs
    python -m benchmarks.batch_memory --counts 500,2000 --model models/flowerlite-efficientnet_lite0-int8.tflite

Each measurement runs in a fresh process, so its peak resident set size (VmHWM) is its own.
The images are generated into a temporary folder (never the dataset's photos) and removed after.
Flat memory means the peak does not grow with the number of images.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO / "models" / "flowerlite-efficientnet_lite0-int8.tflite"

_CHILD = """
import json, sys
import flowerlite
from benchmarks.worker import peak_rss_bytes
paths = json.loads(sys.argv[2])
with flowerlite.Classifier(sys.argv[1], num_threads=2) as clf:
    results = clf.classify_batch(paths)
print(json.dumps({"images": len(results), "peak_rss_bytes": peak_rss_bytes()}))
"""


def make_images(folder: Path, count: int, size: tuple[int, int], seed: int = 0) -> list[str]:
    """`count` photo-sized JPEGs (smooth colour gradients with noise, a different one each)."""
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    paths = []
    for i in range(count):
        a, b, c = rng.uniform(0.2, 1.0, 3)
        base = np.stack([x / width * 255 * a, y / height * 255 * b, (x + y) / (width + height) * 255 * c], axis=-1)
        noisy = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
        path = folder / f"{i:05d}.jpg"
        Image.fromarray(noisy).save(path, quality=90)
        paths.append(str(path))
    return paths


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "sdk"), str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def batch_peak(model: str, paths: list[str]) -> int:
    """Peak RSS in bytes of a fresh process that runs `classify_batch(paths)`."""
    done = subprocess.run([sys.executable, "-c", _CHILD, model, json.dumps(paths)], capture_output=True, text=True,
                          env=_environment(), check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["peak_rss_bytes"]


_CLI_CHILD = """
import json, sys
from flowerlite.cli import main
from benchmarks.worker import peak_rss_bytes
code = main(sys.argv[1:])
print(json.dumps({"code": code, "peak_rss_bytes": peak_rss_bytes()}),
      file=sys.stderr)
"""


def cli_peak(model: str, folder: Path) -> int:
    """Peak RSS in bytes of a fresh process running `flowerlite classify FOLDER --format csv` (output thrown away)."""
    done = subprocess.run([sys.executable, "-c", _CLI_CHILD, "classify", str(folder), "--model", model, "--format",
                           "csv", "--threads", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env=_environment(), check=True)
    return json.loads(done.stderr.strip().splitlines()[-1])["peak_rss_bytes"]


def main(argv: list[str] | None = None) -> int:
    """Prints the peak RSS per image count, for classify_batch and for the CLI on a folder."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch_memory", description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="100,500,2000", help="image counts, comma-separated (default 100,500,2000)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="the .tflite model (default: the released int8)")
    parser.add_argument("--size", default="640x480", help="generated image size WxH (default 640x480)")
    args = parser.parse_args(argv)
    counts = sorted(int(c) for c in args.counts.split(","))
    size = tuple(int(v) for v in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory(prefix="flowerlite-memory-") as tmp:
        all_paths = make_images(Path(tmp), max(counts), size)  # type: ignore[arg-type]
        print(f"{'images':>7}  {'classify_batch peak RSS':>24}  {'flowerlite classify FOLDER peak RSS':>36}")
        for count in counts:
            folder = Path(tmp) / f"first{count}"
            folder.mkdir()
            for path in all_paths[:count]:
                os.link(path, folder / Path(path).name)
            batch = batch_peak(args.model, all_paths[:count])
            cli = cli_peak(args.model, folder)
            print(f"{count:>7}  {batch / 2**20:>21.1f} MB  {cli / 2**20:>33.1f} MB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

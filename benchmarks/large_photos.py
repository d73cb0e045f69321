"""12 MP phone photos: end-to-end latency, peak memory, and what reduced-scale JPEG decoding changes.

    python -m benchmarks.large_photos --data-dir ../shared/oxford102            # 500 photos, the released int8 model
    python -m benchmarks.large_photos --data-dir ../shared/oxford102 --images 100 --timing-images 20

Phone photos are 12 MP JPEGs, not 256 px ones. This makes them from Oxford 102 test photos (a seeded
pick spread over the classes): each is up-scaled (bicubic) to 12 MP (4:3 photos become 4000 x 3000),
given mild noise (uniform +-6 levels, as sensor grain; without it an up-scaled photo compresses far
better than a real one and decodes faster) and saved as a quality-90 JPEG in a temporary folder that
is removed afterwards (never committed). Then, on the same files:

- **Agreement**: top-1 with the JPEG decoded at 1/2, 1/4 and 1/8 scale (Pillow's `Image.draft`), and
  as `flowerlite.Classifier.preprocess` decodes it (`flowerlite._large_jpeg`), against top-1 of the
  shared rule `flowerlite.preprocessing.preprocess` (full decoding), all through the same classifier's
  `scores`; also the largest input-tensor difference. A reduced scale is fit for the classifier only
  if top-1 agrees on at least 99% of the photos.
- **Latency**: median end-to-end time per photo (decode + preprocess + invoke + top-5, from the file)
  for the original 256 px photos, the 12 MP photos decoded in full, at each reduced scale, and as the
  classifier decodes them; the target is at most 2x the 256 px latency.
- **Peak RSS**: a fresh process per case classifies the timing photos; its peak (VmHWM).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO / "models" / "flowerlite-efficientnet_lite0-int8.tflite"
MEGAPIXELS = 12_000_000
AGREEMENT_GOAL = 0.99

_PEAK_CHILD = """
import json, sys
import numpy as np
import flowerlite
from flowerlite import preprocessing
from benchmarks.worker import peak_rss_bytes
mode, model, threads, paths = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
with flowerlite.Classifier(model, num_threads=threads) as clf:
    info = clf.info
    for path in paths:
        if mode == "full":
            tensor = preprocessing.preprocess(path, info.input_size, mean=info.mean, std=info.std, dtype=info.input_dtype,
                                              scale=info.input_scale, zero_point=info.input_zero_point)
            clf.scores(tensor[None])
        else:
            clf.classify(path)
print(json.dumps({"peak_rss_bytes": peak_rss_bytes()}))
"""


def make_phone_photo(source: str, target: Path, rng: np.random.Generator) -> tuple[int, int]:
    """`source` up-scaled to about 12 MP with mild noise, saved as a quality-90 JPEG; returns its size."""
    with Image.open(source) as image:
        image = image.convert("RGB")
    scale = math.sqrt(MEGAPIXELS / (image.width * image.height))
    big = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
    pixels = np.asarray(big, dtype=np.int16) + rng.integers(-6, 7, (big.height, big.width, 1), dtype=np.int16)
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(target, quality=90)
    return big.size


def _full_tensor(clf, path: str, scale: int = 1) -> np.ndarray:
    """The shared rule's input tensor, the JPEG decoded in full (scale 1) or at 1/scale (Image.draft)."""
    from flowerlite import preprocessing

    info = clf.info
    source = path
    if scale > 1:
        source = Image.open(path)
        source.draft(source.mode, (source.width // scale, source.height // scale))
        source.load()
    return preprocessing.preprocess(source, info.input_size, mean=info.mean, std=info.std, dtype=info.input_dtype,
                                    scale=info.input_scale, zero_point=info.input_zero_point)[None]


def _interleaved_ms(cases: dict, repeats: int, seed: int) -> dict[str, float]:
    """Median ms per case; photo by photo, every case in turn (a new seeded order each time), so a
    change in the machine's load lands on every case alike."""
    import random

    rng = random.Random(seed)
    times: dict[str, list[float]] = {name: [] for name in cases}
    count = len(next(iter(cases.values()))[1])
    for _ in range(repeats):
        for i in range(count):
            names = list(cases)
            rng.shuffle(names)
            for name in names:
                function, paths = cases[name]
                start = time.perf_counter()
                function(paths[i])
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1e3 for name, values in times.items()}


def _peak(mode: str, model: str, threads: int, paths: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "sdk"), str(REPO), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", _PEAK_CHILD, mode, model, str(threads), json.dumps(paths)],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["peak_rss_bytes"] / 2**20


def main(argv: list[str] | None = None) -> int:
    """Prints agreement, latency and peak RSS for 12 MP photos; exits 1 if agreement is under 99%."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.large_photos", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="Oxford 102 in the official layout (jpg/, imagelabels.mat, setid.mat)")
    parser.add_argument("--images", type=int, default=500, help="12 MP photos for the agreement (default 500)")
    parser.add_argument("--timing-images", type=int, default=30, help="of which timed, and classified for peak RSS (default 30)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="the .tflite model (default: the released int8)")
    parser.add_argument("--threads", type=int, default=2, help="interpreter threads (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import flowerlite
    from benchmarks.imageset import load_image_set

    images = load_image_set("oxford102", args.data_dir, "test", args.images, "stratified", args.seed, 0.2, 0.0)
    originals = [str(p) for p in images.paths]
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory(prefix="flowerlite-12mp-") as tmp, \
            flowerlite.Classifier(args.model, num_threads=args.threads, score_threshold=0.0) as clf:
        started = time.perf_counter()
        photos, sizes = [], []
        for i, original in enumerate(originals):
            photo = Path(tmp) / f"{i:04d}.jpg"
            sizes.append(make_phone_photo(original, photo, rng))
            photos.append(str(photo))
        megabytes = [os.path.getsize(p) / 1e6 for p in photos]
        print(f"{len(photos)} photos made in {time.perf_counter() - started:.0f} s: median {statistics.median(w * h for w, h in sizes) / 1e6:.1f} MP, "
              f"{statistics.median(megabytes):.1f} MB (a {sizes[0][0]}x{sizes[0][1]} one among them)", flush=True)

        from flowerlite import _large_jpeg
        from flowerlite.contract import CROP_FRACTION

        short_target = round(max(clf.info.input_size) / CROP_FRACTION)
        chosen = sorted({_large_jpeg.reduced_scale(w, h, short_target) for w, h in sizes})
        print(f"the classifier decodes these photos at 1/{' or 1/'.join(map(str, chosen))} scale "
              f"(margin {_large_jpeg.MARGIN}: the reduced shorter side stays >= {_large_jpeg.MARGIN * short_target} px)")
        scales = (2, 4, 8)
        agree = dict.fromkeys((*scales, "classifier"), 0)
        largest = dict.fromkeys(agree, 0)
        agree_original = 0
        for photo, original in zip(photos, originals):
            full = _full_tensor(clf, photo)
            top_full = int(clf.scores(full)[0].argmax())
            agree_original += top_full == int(clf.scores(clf.preprocess(original))[0].argmax())
            for key in agree:
                tensor = clf.preprocess(photo) if key == "classifier" else _full_tensor(clf, photo, key)
                largest[key] = max(largest[key], int(np.abs(tensor.astype(np.int32) - full.astype(np.int32)).max()))
                agree[key] += int(clf.scores(tensor)[0].argmax()) == top_full
        n = len(photos)
        for key, count in agree.items():
            name = "as the classifier decodes them" if key == "classifier" else f"decoded at 1/{key} scale"
            print(f"top-1 agreement with full decoding, {name}: {count}/{n} = {count / n:.2%} "
                  f"(goal >= {AGREEMENT_GOAL:.0%}: {'met' if count / n >= AGREEMENT_GOAL else 'MISSED'}); "
                  f"largest input difference {largest[key]} ({clf.info.input_dtype} steps)", flush=True)
        print(f"(full-decoded 12 MP photo vs its 256 px original: top-1 agrees on {agree_original / n:.2%})")
        share = agree["classifier"] / n

        timed = photos[: args.timing_images]
        small = originals[: args.timing_images]
        for path in timed[:3] + small[:3]:  # warm-up
            clf.classify(path)
        cases = {"256 px original": (clf.classify, small),
                 "12 MP, full decoding": (lambda p: clf.scores(_full_tensor(clf, p)), timed),
                 **{f"12 MP, 1/{s} scale": (lambda p, s=s: clf.scores(_full_tensor(clf, p, s)), timed) for s in scales},
                 "12 MP as the classifier decodes it": (clf.classify, timed)}
        times = _interleaved_ms(cases, repeats=3, seed=args.seed)
        base = times["256 px original"]
        print(f"end-to-end median over {len(timed)} photos x 3 (interleaved: each photo's cases one after another, "
              f"in a new random order), {args.threads} threads:", flush=True)
        for name, ms in times.items():
            goal = "; target <= 2x" if name.endswith("decodes it") else ""
            print(f"  {name}: {ms:.1f} ms ({ms / base:.1f}x{goal})", flush=True)
        peaks = {mode: _peak(mode, args.model, args.threads, paths)
                 for mode, paths in (("small", small), ("full", timed), ("reduced", timed))}
        print(f"peak RSS of a process classifying {len(timed)} photos: 256 px {peaks['small']:.0f} MB; "
              f"12 MP full decoding {peaks['full']:.0f} MB; 12 MP as the classifier decodes it {peaks['reduced']:.0f} MB")
    return 0 if share >= AGREEMENT_GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Do two machines give the SDK's exact results? Input tensors and raw outputs, image by image.

Used by scripts/aarch64.sh to hold an emulated Raspberry Pi (aarch64) against this x86 machine:

    python scripts/aarch64_parity.py sample --data-dir ../shared/oxford102 --limit 300 --out manifest.tsv
    python scripts/aarch64_parity.py dump --manifest manifest.tsv --out x86.npz        # on each machine
    python scripts/aarch64_parity.py compare x86.npz aarch64.npz [--tolerance 1]        # exit 1 when they differ

`sample` needs the checkout (benchmarks.imageset's stratified pick, training.data's Oxford 102 reader, scipy);
`dump` needs only the installed SDK (numpy, Pillow, a TFLite runtime), so it runs on the Pi's Python alone.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Dump", "Comparison", "write_manifest", "read_manifest", "dump", "compare", "main"]


@dataclass(frozen=True)
class Dump:
    """What one machine computed for each image of a manifest."""

    paths: tuple[str, ...]  # relative to the manifest's data directory
    labels: np.ndarray  # (N,) int, the dataset's labels
    inputs: np.ndarray  # (N, H, W, C) the exact input tensors (Classifier.preprocess)
    raw: np.ndarray  # (N, classes) the output tensors as the interpreter returned them
    machine: str  # e.g. "aarch64 (QEMU_CPU=cortex-a72), Python 3.11.2, ai-edge-litert 2.3.0"

    def save(self, path: str | Path) -> None:
        """Write the dump as an uncompressed .npz (fast under emulation)."""
        np.savez(path, paths=np.array(self.paths), labels=self.labels, inputs=self.inputs, raw=self.raw,
                 machine=np.array(self.machine))

    @classmethod
    def load(cls, path: str | Path) -> Dump:
        """Read a dump written by `save`."""
        with np.load(path) as data:
            return cls(tuple(str(p) for p in data["paths"]), data["labels"], data["inputs"], data["raw"],
                       str(data["machine"]))


@dataclass(frozen=True)
class Comparison:
    """Image-by-image comparison of two dumps of the same manifest."""

    images: int
    inputs_identical: int
    outputs_identical: int
    top1_agree: int
    max_input_diff: int  # largest |a - b| over all input elements, in quantisation steps
    max_output_diff: int  # largest |a - b| over all raw output elements, in output steps
    top1_correct: tuple[int, int]  # (a, b): images whose top-1 is the dataset's label
    differing: tuple[str, ...]  # paths of the images whose input or output differ

    @property
    def identical(self) -> bool:
        """True when every input tensor and every raw output is bit-identical."""
        return self.inputs_identical == self.images and self.outputs_identical == self.images

    def failures(self, tolerance: int = 0) -> list[str]:
        """Why the second machine does not match: inputs differ, an output is off by more than `tolerance` steps, a top-1 differs."""
        n, reasons = self.images, []
        if self.inputs_identical != n:
            reasons.append(f"{n - self.inputs_identical} of {n} input tensors differ (up to {self.max_input_diff} steps)")
        if self.max_output_diff > tolerance:
            reasons.append(f"raw outputs differ by up to {self.max_output_diff} steps (allowed: {tolerance})")
        if self.top1_agree != n:
            reasons.append(f"top-1 differs on {n - self.top1_agree} of {n} images")
        return reasons

    def summary(self, a: str, b: str) -> str:
        """A few lines saying how far the two machines agree."""
        n = self.images
        lines = [
            f"A: {a}",
            f"B: {b}",
            f"input tensors bit-identical: {self.inputs_identical}/{n} (largest difference {self.max_input_diff} steps)",
            f"raw outputs bit-identical:   {self.outputs_identical}/{n} (largest difference {self.max_output_diff} steps)",
            f"top-1 agreement:             {self.top1_agree}/{n}",
            f"top-1 correct:               A {self.top1_correct[0]}/{n}, B {self.top1_correct[1]}/{n}",
        ]
        if self.differing:
            shown = ", ".join(self.differing[:5]) + (" ..." if len(self.differing) > 5 else "")
            lines.append(f"differing images ({len(self.differing)}): {shown}")
        return "\n".join(lines)


def write_manifest(path: str | Path, data_dir: str | Path, limit: int, seed: int = 0) -> int:
    """Write the stratified `limit`-image sample of Oxford 102 test as 'relative path<TAB>label' lines; returns the count."""
    from benchmarks.imageset import load_image_set

    images = load_image_set("oxford102", data_dir, "test", limit=limit, selection="stratified", seed=seed)
    lines = [f"{p.relative_to(images.root).as_posix()}\t{label}\n" for p, label in zip(images.paths, images.labels)]
    Path(path).write_text("".join(lines))
    return len(lines)


def read_manifest(path: str | Path) -> list[tuple[str, int]]:
    """The (relative path, label) pairs of a manifest written by `write_manifest`."""
    pairs = []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        rel, sep, label = line.partition("\t")
        if not sep or not label.strip().lstrip("-").isdigit():
            raise SystemExit(f"aarch64_parity: {path}:{number} is not 'path<TAB>label': {line!r}; write it with `sample`")
        pairs.append((rel, int(label)))
    return pairs


def _machine(runtime_name: str, runtime_version: str) -> str:
    import os

    cpu = os.environ.get("QEMU_CPU")
    where = platform.machine() + (f" (QEMU_CPU={cpu})" if cpu else "")
    return f"{where}, Python {platform.python_version()}, numpy {np.__version__}, {runtime_name} {runtime_version}"


def dump(manifest: str | Path, data_dir: str | Path, model: str | None = None, runtime: str | None = None,
         num_threads: int | None = None) -> Dump:
    """Run the SDK on every image of `manifest` and keep its input tensors and raw outputs."""
    from flowerlite import Classifier

    pairs = read_manifest(manifest)
    root = Path(data_dir)
    inputs, raw = [], []
    started = time.perf_counter()
    with Classifier(model, runtime=runtime, num_threads=num_threads, score_threshold=0) as clf:
        info = clf.info
        for i, (rel, _) in enumerate(pairs, 1):
            tensor = clf.preprocess(root / rel)
            scores = clf.scores(tensor)[0]
            if info.output_dtype == "float32":
                out = scores
            else:  # scores are (q - zero_point) * scale in float32: invert exactly to the interpreter's integers
                out = np.rint(scores / np.float32(info.output_scale) + info.output_zero_point).astype(info.output_dtype)
            inputs.append(tensor[0])
            raw.append(out)
            if i % 50 == 0 or i == len(pairs):
                print(f"  {i}/{len(pairs)} images, {(time.perf_counter() - started) / i:.2f} s per image", flush=True)
        machine = _machine(info.runtime, info.runtime_version)
    return Dump(tuple(rel for rel, _ in pairs), np.array([label for _, label in pairs]), np.stack(inputs),
                np.stack(raw), machine)


def compare(a: Dump, b: Dump) -> Comparison:
    """Compare two dumps image by image; they must hold the same images in the same order."""
    if a.paths != b.paths or a.inputs.shape != b.inputs.shape or a.raw.shape != b.raw.shape:
        raise SystemExit("aarch64_parity: the two dumps are not of the same manifest and model "
                         f"({len(a.paths)} and {len(b.paths)} images, outputs {a.raw.shape} and {b.raw.shape}): dump both again")
    in_diff = np.abs(a.inputs.astype(np.int64) - b.inputs.astype(np.int64)).reshape(len(a.paths), -1).max(axis=1)
    out_diff = np.abs(a.raw.astype(np.float64) - b.raw.astype(np.float64)).max(axis=1)
    same_in = np.array([np.array_equal(x, y) for x, y in zip(a.inputs, b.inputs)])
    same_out = np.array([x.tobytes() == y.tobytes() for x, y in zip(a.raw, b.raw)])
    top_a, top_b = a.raw.argmax(axis=1), b.raw.argmax(axis=1)
    return Comparison(
        images=len(a.paths),
        inputs_identical=int(same_in.sum()),
        outputs_identical=int(same_out.sum()),
        top1_agree=int((top_a == top_b).sum()),
        max_input_diff=int(in_diff.max(initial=0)),
        max_output_diff=int(np.ceil(out_diff.max(initial=0))),
        top1_correct=(int((top_a == a.labels).sum()), int((top_b == b.labels).sum())),
        differing=tuple(p for p, si, so in zip(a.paths, same_in, same_out) if not (si and so)),
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: sample, dump, compare (exit 1 when the dumps differ)."""
    parser = argparse.ArgumentParser(prog="aarch64_parity", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sample = commands.add_parser("sample", help="write a stratified sample of Oxford 102 test")
    sample.add_argument("--data-dir", required=True)
    sample.add_argument("--limit", type=int, default=300)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", required=True)
    run = commands.add_parser("dump", help="run the SDK on a manifest's images, keep tensors and outputs")
    run.add_argument("--manifest", required=True)
    run.add_argument("--data-dir", required=True)
    run.add_argument("--model", help="a .tflite file (default: the SDK's packaged model)")
    run.add_argument("--runtime")
    run.add_argument("--threads", type=int)
    run.add_argument("--out", required=True)
    check = commands.add_parser("compare", help="compare two dumps; exit 1 if they differ beyond --tolerance")
    check.add_argument("a")
    check.add_argument("b")
    check.add_argument("--tolerance", type=int, default=0,
                       help="largest difference allowed in a raw output, in output steps (default 0: bit-identical)")
    args = parser.parse_args(argv)
    if args.command == "sample":
        count = write_manifest(args.out, args.data_dir, args.limit, args.seed)
        print(f"aarch64_parity: {count} stratified test images (seed {args.seed}) in {args.out}")
    elif args.command == "dump":
        result = dump(args.manifest, args.data_dir, args.model, args.runtime, args.threads)
        result.save(args.out)
        print(f"aarch64_parity: {len(result.paths)} images on {result.machine} -> {args.out}")
    else:
        a, b = Dump.load(args.a), Dump.load(args.b)
        result = compare(a, b)
        print(result.summary(a.machine, b.machine))
        reasons = result.failures(args.tolerance)
        if reasons:
            print(f"aarch64_parity: FAILED: {'; '.join(reasons)}", file=sys.stderr)
            return 1
        exact = "bit-identical" if result.identical else f"within {args.tolerance} output step(s)"
        print(f"aarch64_parity: passed: inputs bit-identical, outputs {exact}, same top-1 on all {result.images} images")
    return 0


if __name__ == "__main__":
    sys.exit(main())

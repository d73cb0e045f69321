"""Command line: `python -m benchmarks run ...` and `python -m benchmarks compare A.json B.json`."""

from __future__ import annotations

import argparse
import hashlib
import shlex
import sys
from pathlib import Path

from benchmarks.engines import ENGINES
from benchmarks.errors import BenchmarkError, FlowerliteError

__all__ = ["main", "build_parser"]

DEFAULT_OUTPUT = "benchmarks/results/tmp/latest"


def _csv(kind):
    def parse(text: str):
        try:
            return tuple(kind(x) for x in text.split(",") if x.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {kind.__name__}, got {text!r}") from None
    return parse


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of both commands."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Benchmark flowerlite model variants: size, speed, memory, accuracy.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="benchmark models on a test set and write JSON, Markdown and PNG charts")
    data = run.add_argument_group("images")
    data.add_argument("--dataset", choices=("oxford102", "folder"), default="oxford102", help="oxford102 (official split) or folder (DIR/<class>/*.jpg)")
    data.add_argument("--data-dir", help="dataset folder (oxford102: default is the download cache, fetched if missing)")
    data.add_argument("--subset", help="oxford102: train/val/test (default test); folder: all (default) or train/val/test")
    data.add_argument("--limit", type=int, help="classify only N images (a quick run)")
    data.add_argument("--selection", choices=("stratified", "first"), default="stratified",
                      help="with --limit: a seeded pick spread evenly over classes (default), or the first N")
    data.add_argument("--seed", type=int, default=0, help="seed of --limit, of the timing set and of the job order")
    data.add_argument("--val-fraction", type=float, default=0.2, help="folder train/val/test subsets: as in training")
    data.add_argument("--test-fraction", type=float, default=0.0, help="folder train/val/test subsets: as in training")
    data.add_argument("--photos", action="append", default=[], metavar="DIR",
                      help="also score every variant on a real-world photo set, DIR/<label>/*.jpg named by some of its "
                           "labels (repeatable), e.g. ../shared/realworld-val")
    what = run.add_argument_group("what to run")
    what.add_argument("--models", nargs="+", default=["models"], help=".tflite files or folders of flowerlite-*.tflite (default: models/)")
    what.add_argument("--engines", type=_csv(str), default=ENGINES, help=f"any of {','.join(ENGINES)} (default: all available)")
    what.add_argument("--runtimes", type=_csv(str), default=(), help="ai-edge-litert,tflite-runtime (default: every installed one)")
    what.add_argument("--threads", type=_csv(int), default=(), help="num_threads values, e.g. 1,4 (default: 1 and all cores)")
    what.add_argument("--python", action="append", default=[], metavar="EXE",
                      help="also run the runtimes installed in another interpreter, e.g. a tflite-runtime venv (repeatable)")
    how = run.add_argument_group("timing")
    how.add_argument("--rounds", type=int, default=20, help="interleaved rounds over all jobs (default 20)")
    how.add_argument("--timing-images", type=int, default=200, help="images every job times end to end (default 200)")
    how.add_argument("--warmup", type=int, default=10, help="untimed images (and invokes) per job first (default 10)")
    how.add_argument("--invoke-repeats", type=int, default=100, help="timed invokes per job (default 100)")
    how.add_argument("--batch-size", type=int, default=8, help="batch size of the batched-throughput runs (default 8)")
    how.add_argument("--batch-repeats", type=int, default=5, help="timed batches per job (default 5)")
    how.add_argument("--accuracy-batch-size", type=int, default=1, help="images per call in the accuracy pass (default 1)")
    how.add_argument("--accuracy-chunks", type=int, default=10, help="the accuracy pass is interleaved across variants in N chunks")
    how.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin a t-thread job to t cores")
    out = run.add_argument_group("output")
    out.add_argument("--output", default=DEFAULT_OUTPUT, help=f"folder for benchmark.json/.md and PNGs (default {DEFAULT_OUTPUT})")
    out.add_argument("--no-charts", dest="charts", action="store_false", help="skip the PNG charts")
    out.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    compare = sub.add_parser("compare", help="print a side-by-side difference of two benchmark.json files")
    compare.add_argument("a", help="first benchmark.json (the baseline)")
    compare.add_argument("b", help="second benchmark.json")
    return parser


def _run(args, argv: list[str]) -> int:
    from benchmarks.charts import write_charts
    from benchmarks.report import render_markdown, write_json
    from benchmarks.runner import RunConfig, run_benchmark

    unknown = [e for e in args.engines if e not in ENGINES]
    if unknown:
        raise BenchmarkError(f"Unknown engine {unknown[0]!r}: use any of {', '.join(ENGINES)}")
    if args.limit is not None and args.limit < 1:
        raise BenchmarkError(f"--limit must be at least 1. Received: --limit {args.limit}")
    output = Path(args.output)
    config = RunConfig(
        models=tuple(args.models), dataset=args.dataset, data_dir=args.data_dir,
        subset=args.subset or ("test" if args.dataset == "oxford102" else "all"),
        limit=args.limit, selection=args.selection, seed=args.seed, val_fraction=args.val_fraction, test_fraction=args.test_fraction,
        engines=tuple(args.engines), runtimes=tuple(args.runtimes), threads=tuple(args.threads), pythons=tuple(args.python),
        rounds=args.rounds, speed_images=args.timing_images, warmup_images=args.warmup, warmup_invokes=args.warmup,
        invoke_repeats=args.invoke_repeats, batch_size=args.batch_size, batch_repeats=args.batch_repeats,
        accuracy_batch_size=args.accuracy_batch_size,
        accuracy_chunks=args.accuracy_chunks, pin=args.pin, progress=args.progress,
        command="python -m benchmarks " + shlex.join(argv), photos=tuple(args.photos),
    )
    report = run_benchmark(config)
    write_json(report, output / "benchmark.json")
    (output / "benchmark.md").write_text(render_markdown(report))
    charts = write_charts(report, output) if args.charts else []
    if args.charts and not charts:
        print("No charts: matplotlib is not installed (pip install matplotlib, or -e \".[bench]\")", file=sys.stderr)
    written = [output / "benchmark.json", output / "benchmark.md", *charts]
    # The checksums of what this run wrote, beside it (the command that rebuilds it is in the files).
    (output / "SHA256SUMS").write_text("".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in written))
    print("Wrote " + ", ".join(map(str, written)) + f", {output / 'SHA256SUMS'}")
    for target in report.targets:
        state = {True: "met", False: "MISSED", None: "not measured"}[target.passed]
        value = "–" if target.value is None else f"{target.value:.3f}"
        print(f"  {state:12} {target.name}: {value} ({target.detail})")
    failed = [j for j in report.jobs if j.status != "ok"]
    for job in failed:
        print(f"  job failed: {job.job_id}: {job.error}", file=sys.stderr)
    return 0


def _compare(args) -> int:
    from benchmarks.compare import compare_reports
    from benchmarks.report import read_json

    print(compare_reports(read_json(args.a), read_json(args.b), args.a, args.b), end="")
    return 0


def _use_checkout_sdk() -> None:
    # In a fresh clone the SDK is not installed yet: use the checkout's sdk/ (the job processes do too).
    import importlib.util

    sdk = Path(__file__).resolve().parent.parent / "sdk"
    if importlib.util.find_spec("flowerlite") is None and (sdk / "flowerlite").is_dir():
        sys.path.insert(0, str(sdk))


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (2 with one line on stderr for a user error)."""
    _use_checkout_sdk()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        return _run(args, argv) if args.command == "run" else _compare(args)
    except FlowerliteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: no result written", file=sys.stderr)
        return 130

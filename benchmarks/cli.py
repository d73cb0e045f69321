"""Command line: `python -m benchmarks run ...` and `python -m benchmarks compare A.json B.json`."""

from __future__ import annotations

import argparse
import hashlib
import shlex
import sys
import tempfile
from pathlib import Path

from benchmarks.engines import ENGINES
from benchmarks.errors import BenchmarkError, FlowerliteError

__all__ = ["main", "build_parser"]

DEFAULT_OUTPUT = "benchmarks/results/tmp/latest"
EXIT_FAILED = 1  # a job failed or the run stopped early (what was measured is written)
EXIT_USAGE = 2  # a bad argument, model, dataset or interpreter, found before any work


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _integer(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
            raise argparse.ArgumentTypeError(f"expected {what}, received {text!r}")
        return value
    parse.__name__ = "positive integer" if minimum == 1 else f"integer >= {minimum}"
    return parse


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), received {text!r}")
    return value


def _csv(kind):
    def parse(text: str):
        try:
            values = tuple(kind(x) for x in text.split(",") if x.strip())
        except (ValueError, argparse.ArgumentTypeError):
            values = None
        if not values:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {kind.__name__}s, received {text!r}")
        return values
    return parse


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of both commands."""
    parser = _Parser(prog="python -m benchmarks", description="Benchmark flowerlite model variants: size, speed, memory, accuracy.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="benchmark models on a test set and write JSON, Markdown and PNG charts")
    data = run.add_argument_group("images")
    data.add_argument("--dataset", choices=("oxford102", "folder"), default="oxford102", help="oxford102 (official split) or folder (DIR/<class>/*.jpg)")
    data.add_argument("--data-dir", help="dataset folder (oxford102: default is the download cache, fetched if missing)")
    data.add_argument("--subset", help="oxford102: train/val/test (default test); folder: all (default) or train/val/test")
    data.add_argument("--limit", type=_integer(1), help="classify only N images (a quick run)")
    data.add_argument("--selection", choices=("stratified", "first"), default="stratified",
                      help="with --limit: a seeded pick spread evenly over classes (default), or the first N")
    data.add_argument("--seed", type=int, default=0, help="seed of --limit, of the timing set and of the job order")
    data.add_argument("--val-fraction", type=_fraction, default=0.2, help="folder train/val/test subsets: as in training")
    data.add_argument("--test-fraction", type=_fraction, default=0.0, help="folder train/val/test subsets: as in training")
    data.add_argument("--photos", action="append", default=[], metavar="DIR",
                      help="also score every variant on a real-world photo set, DIR/<label>/*.jpg named by some of its "
                           "labels (repeatable), e.g. ../shared/realworld-val")
    what = run.add_argument_group("what to run")
    what.add_argument("--models", nargs="+", default=["models"], help=".tflite files or folders of flowerlite-*.tflite (default: models/)")
    what.add_argument("--engines", type=_csv(str), default=ENGINES, help=f"any of {','.join(ENGINES)} (default: all available)")
    what.add_argument("--runtimes", type=_csv(str), default=(), help="ai-edge-litert,tflite-runtime (default: every installed one)")
    what.add_argument("--threads", type=_csv(_integer(1)), default=(), help="num_threads values, e.g. 1,4 (default: 1 and all cores)")
    what.add_argument("--python", action="append", default=[], metavar="EXE",
                      help="also run the runtimes installed in another interpreter, e.g. a tflite-runtime venv (repeatable)")
    how = run.add_argument_group("timing")
    how.add_argument("--rounds", type=_integer(1), default=20, help="interleaved rounds over all jobs (default 20)")
    how.add_argument("--timing-images", type=_integer(1), default=200, help="images every job times end to end (default 200)")
    how.add_argument("--warmup", type=_integer(0), default=10, help="untimed images (and invokes) per job first (default 10)")
    how.add_argument("--invoke-repeats", type=_integer(1), default=100, help="timed invokes per job (default 100)")
    how.add_argument("--batch-size", type=_integer(1), default=8, help="batch size of the batched-throughput runs (default 8)")
    how.add_argument("--batch-repeats", type=_integer(0), default=5, help="timed batches per job (default 5)")
    how.add_argument("--accuracy-batch-size", type=_integer(0), default=0,
                     help="images per call in the accuracy pass; 0 (default): the SDK's classify_batch over each chunk "
                          "(decoding overlapped with inference), the bare interpreter one by one")
    how.add_argument("--accuracy-chunks", type=_integer(1), default=10, help="the accuracy pass is interleaved across variants in N chunks")
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
    from benchmarks.files import write_atomic
    from benchmarks.report import render_markdown, write_json
    from benchmarks.runner import RunConfig, run_benchmark
    from training.benchmark_json import FILE_NAME

    unknown = [e for e in args.engines if e not in ENGINES]
    if unknown:
        raise BenchmarkError(f"Unknown engine {unknown[0]!r}: use any of {', '.join(ENGINES)}")
    output = _check_output(Path(args.output))
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
    # The measurements first (atomically), so that a failure in what follows (Markdown, charts) never loses them.
    written = [write_json(report, output / FILE_NAME)]
    written.append(write_atomic(output / "benchmark.md", render_markdown(report)))
    try:
        charts = write_charts(report, output) if args.charts else []
    except Exception as exc:  # noqa: BLE001 - matplotlib's many errors; the results are written already
        charts = []
        print(f"warning: no charts ({type(exc).__name__}: {exc})".splitlines()[0], file=sys.stderr)
    else:
        if args.charts and not charts:
            print("No charts: matplotlib is not installed (pip install matplotlib, or -e \".[bench]\")", file=sys.stderr)
    written += charts
    # The checksums of what this run wrote, beside it (the command that rebuilds it is in the files).
    write_atomic(output / "SHA256SUMS", "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in written))
    print("Wrote " + ", ".join(map(str, written)) + f", {output / 'SHA256SUMS'}")
    for target in report.targets:
        state = {True: "met", False: "MISSED", None: "not measured"}[target.passed]
        value = "–" if target.value is None else f"{target.value:.3f}"
        print(f"  {state:12} {target.name}: {value} ({target.detail})")
    if report.incomplete:
        print(f"error: the run stopped early ({report.incomplete}); {output / FILE_NAME} holds what it measured",
              file=sys.stderr)
        return EXIT_FAILED
    failed = [j for j in report.jobs if j.status != "ok"]
    for job in failed:
        print(f"  job failed: {job.job_id}: {job.error}", file=sys.stderr)
    return EXIT_FAILED if failed else 0


def _check_output(output: Path) -> Path:
    """The output folder, created and proven writable before any work (a late failure would lose the run)."""
    if output.exists() and not output.is_dir():
        raise BenchmarkError(f"--output {output} is a file, not a folder: name a folder (it is created if missing)")
    try:
        output.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=output, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise BenchmarkError(f"--output {output} cannot be written ({exc.strerror or exc}): name a writable folder") from None
    return output


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

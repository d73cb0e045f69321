"""The ``flowerlite`` command line (also ``python -m flowerlite``).

    flowerlite classify IMAGE|FOLDER|-... [--model M] [--labels L] [--top-k K]
                                 [--format text|csv|jsonl|json] [--json] [--extensions E]
                                 [--no-progress] [--runtime R] [--threads N]
    flowerlite info [MODEL] [--labels L] [--runtime R] [--json]

Errors print exactly one line on stderr and exit with status 1 (2 for usage errors).
``classify`` goes on past an image it cannot use (one error line each) and exits 1 at
the end if any failed. Output closed early (``| head -1``) ends it quietly (status 141,
as a Unix tool killed by SIGPIPE).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
import warnings
from collections.abc import Iterator, Sequence

from . import __version__, _runtime
from .errors import FlowerliteError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 128 + 13  # as a process killed by SIGPIPE
FORMATS = ("text", "csv", "jsonl", "json")
CSV_COLUMNS = ("image", "rank", "index", "label", "score", "confident")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}")
    return value


def _thread_count(text: str) -> int:
    value, limit = _positive_int(text), _runtime.max_threads()
    if value > limit:
        raise argparse.ArgumentTypeError(f"at most {limit} threads here ({_runtime.THREADS_PER_CPU} per usable "
                                         f"CPU), received {text!r}")
    return value


def _extensions(text: str) -> tuple[str, ...]:
    names = tuple(f".{e.strip().lstrip('.').lower()}" for e in text.split(",") if e.strip().lstrip("."))
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated file extensions, received {text!r}")
    return names


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="flowerlite", description="Classify flower photos with a TFLite model.")
    parser.add_argument("--version", action="version", version=f"flowerlite {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    classify = commands.add_parser(
        "classify", help="classify images, folders of images, or paths read from stdin",
        description="Classify images. A FOLDER is searched recursively for image files (by extension); "
                    "'-' reads one path a line from stdin. Results are written as they come; an image "
                    "that cannot be used prints one error line on stderr, the others go on, and the exit "
                    "status is 1 if any failed.")
    classify.add_argument("images", nargs="+", metavar="IMAGE",
                          help="image files, folders (recursive), or - for paths on stdin")
    classify.add_argument("--model", "-m", help="the .tflite model (default: the packaged int8 model)")
    classify.add_argument("--labels", help="label file, one label per line (for models without metadata)")
    classify.add_argument("--top-k", "-k", type=_positive_int, default=5, help="categories per image (default 5)")
    formats = classify.add_mutually_exclusive_group()
    formats.add_argument("--format", "-f", choices=FORMATS, default=None,
                          help="text (default); csv: a header, then one row per image and category "
                               f"({','.join(CSV_COLUMNS)}); jsonl: one JSON object per image; json: one "
                               "document at the end. All but json are written as each image is done")
    formats.add_argument("--json", action="store_true", help="the same as --format json")
    classify.add_argument("--extensions", type=_extensions, default=None, metavar="EXT,...",
                          help="file extensions a folder search picks up (default: "
                               "jpg,jpeg,jpe,jfif,png,webp,bmp,gif,tif,tiff,avif)")
    classify.add_argument("--no-progress", dest="progress", action="store_false",
                          help="no progress bar (it is shown only when stderr is a terminal)")
    classify.add_argument("--runtime", help="ai-edge-litert, tflite-runtime or tensorflow")
    classify.add_argument("--threads", type=_thread_count, help=f"interpreter threads, at most "
                          f"{_runtime.THREADS_PER_CPU} per usable CPU ({_runtime.max_threads()} here)")

    info = commands.add_parser("info", help="show the runtime and a model's contract")
    info.add_argument("model", nargs="?", metavar="MODEL", help="the .tflite model (default: packaged model)")
    info.add_argument("--labels", help="label file, one label per line (for models without metadata)")
    info.add_argument("--runtime", help="ai-edge-litert, tflite-runtime or tensorflow")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Hides what native code writes on fd 2 (the runtime's "INFO: Created TensorFlow Lite XNNPACK
    delegate", libtiff's warnings about a corrupt TIFF) so that an error stays the one line on
    stderr; Python's own `sys.stderr` (error lines, the progress bar, warnings) still reaches the
    real stderr through a copy of its descriptor."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded, captured): nothing to hide
        yield
        return
    python_stderr = sys.stderr
    try:
        on_fd2 = python_stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # captured (pytest, an embedding app): leave it be
        on_fd2 = False
    try:
        with open(os.devnull, "w") as devnull, open(saved, "w", closefd=False) as real:
            os.dup2(devnull.fileno(), 2)
            if on_fd2:
                sys.stderr = real
            try:
                yield
            finally:
                real.flush()
                sys.stderr = python_stderr
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _open(args, **kwargs):
    from .classifier import Classifier

    with _quiet_native_stderr():
        return Classifier(args.model, labels_path=args.labels, runtime=args.runtime, **kwargs)


def is_confident(categories, confident_score: float | None) -> bool | None:
    """Whether the best answer reaches the model's "confident" score; None when the model sets no level."""
    if confident_score is None:
        return None
    return bool(categories) and categories[0].score >= confident_score


def format_text(image: str, categories, confident_score: float | None) -> str:
    """One image's text block: its path, a "not sure" line below the confident level, the categories."""
    lines = [image]
    if is_confident(categories, confident_score) is False:
        best = f"best guess {categories[0].label} ({categories[0].score:.0%})" if categories else "no answer"
        lines.append(f"  not sure: {best}")
    lines += [f"  {c.score:7.4f}  {c.label} [{c.index}]" for c in categories]
    return "\n".join(lines)


def _record(image: str, categories, confident_score: float | None) -> dict:
    record = {"image": image, "categories": [
        {"index": c.index, "label": c.label, "score": round(c.score, 6)} for c in categories]}
    confident = is_confident(categories, confident_score)
    if confident is not None:
        record["confident"] = confident
    return record


class _Output:
    """Writes each image's result to stdout as it comes, in the chosen format; errors to stderr."""

    def __init__(self, fmt: str, info, progress):
        self._fmt, self._info, self._progress = fmt, info, progress
        self._confident_score = info.confident_score
        self._records: list[dict] = []
        self._csv = csv.writer(sys.stdout, lineterminator="\n") if fmt == "csv" else None
        if self._csv is not None:
            self._emit(lambda: self._csv.writerow(CSV_COLUMNS))

    def result(self, image: str, categories) -> None:
        if self._fmt == "json":
            self._records.append(_record(image, categories, self._confident_score))
        elif self._fmt == "jsonl":
            self._emit(lambda: print(json.dumps(_record(image, categories, self._confident_score))))
        elif self._fmt == "csv":
            confident = is_confident(categories, self._confident_score)
            cell = "" if confident is None else str(confident).lower()
            self._emit(lambda: self._csv.writerows(
                (image, rank, c.index, c.label, f"{c.score:.6f}", cell) for rank, c in enumerate(categories, 1)))
        else:
            self._emit(lambda: print(format_text(image, categories, self._confident_score)))

    def error(self, message: str) -> None:
        if self._progress is not None:
            self._progress.clear()
        print(f"flowerlite: error: {_one_line(message)}", file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self._fmt == "json":
            info = self._info
            self._emit(lambda: print(json.dumps({"model": info.model_path, "runtime": info.runtime,
                                                 "runtime_version": info.runtime_version,
                                                 "results": self._records}, indent=2)))

    def _emit(self, write) -> None:
        if self._progress is not None:
            self._progress.clear()
        write()
        sys.stdout.flush()  # as each image is done, and a closed pipe shows up here, not at exit


def _classify(args) -> int:
    from ._image_files import IMAGE_EXTENSIONS, find_images

    fmt = "json" if args.json else (args.format or "text")
    found = find_images(args.images, extensions=args.extensions or IMAGE_EXTENSIONS, stdin=sys.stdin)
    failed = len(found.errors)
    with _open(args, num_threads=args.threads, top_k=args.top_k) as clf:
        # libtiff prints warnings about a corrupt TIFF on fd 2, Pillow warns about corrupt tags in
        # Python: the image's one error line says it all.
        with _quiet_native_stderr(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"PIL\.")
            failed += _classify_all(clf, found, fmt, args.progress)
    return EXIT_ERROR if failed else 0


def _classify_all(clf, found, fmt: str, show_progress: bool) -> int:
    """Classify `found.paths`, writing each result as it comes; returns how many images failed."""
    from ._progress import ProgressBar

    failed = 0
    progress = ProgressBar(len(found.paths), sys.stderr) if show_progress and _is_terminal(sys.stderr) else None
    output = _Output(fmt, clf.info, progress)
    for message in found.errors:
        output.error(message)
    try:
        for result in clf.classify_iter(found.paths, errors="return"):
            if result.ok:
                output.result(result.source, result.categories)
            else:
                failed += 1
                output.error(str(result.error))
            if progress is not None:
                progress.update(result.ok)
        output.finish()
    finally:
        if progress is not None:
            progress.close()
    return failed


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _info(args) -> int:
    with _open(args) as clf:
        info = clf.info
    if args.json:
        print(json.dumps(info.to_dict(), indent=2))
        return 0
    quant = lambda scale, zero: f" (scale {scale:g}, zero point {zero})" if scale else ""  # noqa: E731
    labels = ", ".join(info.labels[:5]) + (", ..." if len(info.labels) > 5 else "")
    print(f"runtime:       {info.runtime} {info.runtime_version}")
    print(f"model:         {info.model_path}")
    print(f"name:          {info.name or '-'}")
    print(f"version:       {info.version or '-'}")
    print(f"input:         {list(info.input_shape)} {info.input_dtype}"
          f"{quant(info.input_scale, info.input_zero_point)}")
    print(f"output:        {list(info.output_shape)} {info.output_dtype}"
          f"{quant(info.output_scale, info.output_zero_point)}")
    print(f"normalisation: mean {list(info.mean)} std {list(info.std)} ({info.normalization_source})")
    print(f"labels:        {len(info.labels)} from {info.labels_source}: {labels}")
    if info.confident_score is None:
        print("confident:     - (the model carries no confident score level)")
    else:
        from .metadata import CONFIDENT_ACCURACY

        print(f"confident:     answers scoring at least {info.confident_score:.2f} (right at least "
              f"{CONFIDENT_ACCURACY:.0%} of the time on the real-world photos of its model card)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _classify(args) if args.command == "classify" else _info(args)
    except FlowerliteError as exc:
        print(f"flowerlite: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("flowerlite: interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """The reader of stdout has gone (``| head -1``): point stdout at /dev/null, so that
    Python's own flush at exit does not print a BrokenPipeError of its own."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout fd (captured): nothing will flush there
        pass


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``flowerlite`` command line (also ``python -m flowerlite``).

    flowerlite classify IMAGE... [--model M] [--labels L] [--top-k K] [--json]
                                 [--runtime R] [--threads N]
    flowerlite info [MODEL] [--labels L] [--runtime R] [--json]

Errors print exactly one line on stderr and exit with status 1 (2 for usage errors).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence

from . import __version__, _runtime
from .errors import FlowerliteError

EXIT_ERROR = 1
EXIT_USAGE = 2


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


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="flowerlite", description="Classify flower photos with a TFLite model.")
    parser.add_argument("--version", action="version", version=f"flowerlite {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    classify = commands.add_parser("classify", help="classify one or more images")
    classify.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    classify.add_argument("--model", "-m", help="the .tflite model (default: the packaged int8 model)")
    classify.add_argument("--labels", help="label file, one label per line (for models without metadata)")
    classify.add_argument("--top-k", "-k", type=_positive_int, default=5, help="categories per image (default 5)")
    classify.add_argument("--json", action="store_true", help="print JSON instead of text")
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
    """Hides the runtime's native log lines ("INFO: Created TensorFlow Lite XNNPACK delegate")
    so that an error stays the one line on stderr (the CLI is single-threaded)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded, captured): nothing to hide
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _open(args, **kwargs):
    from .classifier import Classifier

    with _quiet_native_stderr():
        return Classifier(args.model, labels_path=args.labels, runtime=args.runtime, **kwargs)


def _classify(args) -> int:
    with _open(args, num_threads=args.threads, top_k=args.top_k) as clf:
        results = []
        for image in args.images:
            with _quiet_native_stderr():  # libtiff prints warnings about a corrupt TIFF on fd 2
                categories = clf.classify(image)
            results.append({"image": image, "categories": [
                {"index": c.index, "label": c.label, "score": round(c.score, 6)} for c in categories]})
            if not args.json:
                print(image)
                for c in categories:
                    print(f"  {c.score:7.4f}  {c.label} [{c.index}]")
        if args.json:
            print(json.dumps({"model": clf.info.model_path, "runtime": clf.info.runtime,
                              "runtime_version": clf.info.runtime_version, "results": results}, indent=2))
    return 0


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
    except KeyboardInterrupt:
        print("flowerlite: interrupted", file=sys.stderr)
        return 130


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Loads many damaged variants of a model in one process (run by test_model_validation.py).

    python corruption_worker.py MODEL MODE COUNT SEED WORKDIR [--raw | --no-safe-load]

MODE is ``truncate`` (cut the file at many points) or ``corrupt`` (overwrite
random bytes or aligned 32-bit words with random or boundary values). Each
variant goes through ``flowerlite.Classifier`` (or, with ``--raw``, straight to
the runtime's Interpreter, as a control; with ``--no-safe-load``, without the
child-process first load, to test the in-process verification alone). Before each case the worker writes
the case number and bytes to WORKDIR, so that if the process dies the parent
can report and keep the variant that killed it. Prints a JSON summary last.
"""

from __future__ import annotations

import collections
import json
import pathlib
import random
import sys

import numpy as np

BOUNDARY_WORDS = (0, 1, 2, 3, 4, 8, 16, 255, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE)


def truncations(data: bytes, count: int):
    step = max(1, len(data) // count)
    cuts = sorted(set(range(0, len(data), step)) | set(range(0, 64)) | set(range(len(data) - 64, len(data))))
    for cut in cuts:
        yield f"truncated to {cut} bytes", data[:cut]


def corruptions(data: bytes, count: int, seed: int):
    rng = random.Random(seed)
    for i in range(count):
        damaged = bytearray(data)
        if i % 2:
            for _ in range(rng.choice((1, 1, 2, 3, 4))):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            what = "random bytes"
        else:
            pos = rng.randrange(0, len(damaged) - 4) & ~3
            word = rng.choice(BOUNDARY_WORDS) if rng.random() < 0.6 else rng.getrandbits(32)
            damaged[pos : pos + 4] = word.to_bytes(4, "little")
            what = f"word {word:#x} at {pos}"
        yield f"case {i}: {what}", bytes(damaged)


def run_raw(data: bytes, image: np.ndarray) -> str:
    import os

    if os.environ.get("FLOWERLITE_RUNTIME", "").replace("_", "-") == "tflite-runtime":
        from tflite_runtime.interpreter import Interpreter
    else:
        from ai_edge_litert.interpreter import Interpreter
    try:
        interpreter = Interpreter(model_content=data)
        interpreter.allocate_tensors()
        detail = interpreter.get_input_details()[0]
        interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
        interpreter.invoke()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - the control only counts survivals
        return type(exc).__name__


def main() -> int:
    model, mode, count, seed, workdir = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    raw = "--raw" in sys.argv
    safe_load = "--no-safe-load" not in sys.argv
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # sdk/ when not installed
    from flowerlite import Classifier, FlowerliteError

    data = pathlib.Path(model).read_bytes()
    work = pathlib.Path(workdir)
    variant_path, status = work / "variant.tflite", work / "status.txt"
    image = np.zeros((40, 40, 3), np.uint8)
    image[:20, 20:] = 230
    cases = truncations(data, count) if mode == "truncate" else corruptions(data, count, seed)
    outcomes: collections.Counter = collections.Counter()
    for description, variant in cases:
        status.write_text(description)
        variant_path.write_bytes(variant)
        if raw:
            outcomes[run_raw(variant, image)] += 1
            continue
        try:
            with Classifier(variant_path, mean=(127.5,), std=(127.5,), safe_load=safe_load) as clf:
                scores = clf.scores(clf.preprocess(image))
            outcomes["ok" if np.isfinite(scores).all() else "ok-nonfinite"] += 1
        except FlowerliteError as exc:
            outcomes[type(exc).__name__] += 1
        except Exception as exc:  # noqa: BLE001 - anything else is a bug to report
            print(f"{description}: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
            return 3
    status.write_text("done")
    print(json.dumps(dict(outcomes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

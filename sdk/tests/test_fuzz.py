"""A small seeded fuzz run: mutated images of every format Pillow writes here, and mutated models.

Every outcome must be a result or a FlowerliteError: never another exception, a
signal, a hang (each case runs under an alarm that kills the worker) or a peak
RSS over :data:`PEAK_RSS_LIMIT_MB`. About 4,000 cases in 15-40 s on 2 cores.

    FLOWERLITE_FUZZ_SEED=7 FLOWERLITE_FUZZ_IMAGE_MUTANTS=300 pytest sdk/tests/test_fuzz.py   # a longer hunt
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys

import pytest

from fuzz_worker import CASE_TIMEOUT

WORKER = pathlib.Path(__file__).resolve().parent / "fuzz_worker.py"
SEED = int(os.environ.get("FLOWERLITE_FUZZ_SEED", "0"))
IMAGE_MUTANTS = int(os.environ.get("FLOWERLITE_FUZZ_IMAGE_MUTANTS", "30"))
MODEL_MUTANTS = int(os.environ.get("FLOWERLITE_FUZZ_MODEL_MUTANTS", "60"))
# The worst accepted image (a 64 MP float TIFF or RGBA PNG, both in the run) peaks near 0.62 GB.
PEAK_RSS_LIMIT_MB = 1024


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="the per-case timeout needs SIGALRM")
def test_mutated_images_and_models_give_results_or_flowerlite_errors_only(tmp_path):
    result = subprocess.run([sys.executable, str(WORKER), str(SEED), str(IMAGE_MUTANTS), str(MODEL_MUTANTS),
                             str(tmp_path)], capture_output=True, text=True, timeout=900)
    status = (tmp_path / "status.txt").read_text() if (tmp_path / "status.txt").exists() else "?"
    if result.returncode == -signal.SIGALRM:
        pytest.fail(f"case {status!r} hung (over {CASE_TIMEOUT} s); the damaged input is in {tmp_path}")
    assert result.returncode == 0, f"case '{status}' failed with status {result.returncode}: {result.stderr[-3000:]}"
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    outcomes = summary["outcomes"]
    assert set(outcomes) >= {"ok", "ImageDecodeError", "ImageTooLargeError", "InvalidModelError"}, outcomes
    formats = {name.split("/")[0] for name in summary["formats"]}
    assert {"JPEG", "PNG", "TIFF", "WEBP", "GIF", "BMP"} <= formats and len(formats) >= 20, formats
    assert summary["peak_rss_mb"] < PEAK_RSS_LIMIT_MB, summary

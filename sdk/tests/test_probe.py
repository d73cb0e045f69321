"""The safe-load check's verdict cache: an unusable cache degrades to checking without it."""

from __future__ import annotations

import ctypes
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import fixture_path

SDK = str(pathlib.Path(__file__).resolve().parents[1])
# Loads two models (two cache look-ups), classifies, and reports the warnings it got.
CHILD = """
import sys, warnings
if sys.argv[1] == "no-passwd":  # a container uid without a passwd entry: expanduser("~") stays "~"
    import pwd

    def missing(uid):
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    pwd.getpwuid = missing
import numpy as np
from flowerlite import Classifier

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for model in sys.argv[2:]:
        with Classifier(model) as clf:
            clf.classify(np.zeros((40, 40, 3), np.uint8))
for w in caught:
    print(w.category.__name__, w.message)
print("classified")
"""


def _without_file_permission_override() -> None:
    """In the child: make root obey file permissions (drop CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH)."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):
            if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_child(case: str, env: dict, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in env.items() if k not in ("FLOWERLITE_CACHE", "XDG_CACHE_HOME")}
    env["PYTHONPATH"] = SDK
    models = [fixture_path("quadrants_int8_metadata"), fixture_path("quadrants_float32_metadata")]
    try:
        return subprocess.run([sys.executable, "-c", CHILD, case, *models], capture_output=True, text=True, cwd=cwd,
                              env=env, timeout=300, preexec_fn=_without_file_permission_override)
    except subprocess.SubprocessError as exc:  # root without CAP_SETPCAP: cannot make it obey permissions
        pytest.skip(f"cannot drop root's permission override here ({exc})")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux permissions and prctl")
def test_an_unreadable_home_warns_once_and_models_still_load(tmp_path):
    # As under `docker run -u 1000` with HOME=/root: stat() of the cache marker fails with EACCES.
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0)
    try:
        result = run_child("unreadable-home", dict(os.environ, HOME=str(home)), tmp_path)
    finally:
        home.chmod(0o700)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[-1] == "classified"
    assert len(lines) == 2 and lines[0].startswith(
        f"FlowerliteWarning flowerlite: cannot use the model-check cache {home}/.cache/flowerlite/verified "
        "(Permission denied); checking without it; set FLOWERLITE_CACHE"), lines


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux permissions and prctl")
def test_without_home_nothing_is_written_into_the_working_directory(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    work.chmod(0o777)
    env = {k: v for k, v in os.environ.items() if k != "HOME"}
    result = run_child("no-passwd", env, work)
    assert result.returncode == 0, result.stderr[-3000:]
    assert list(work.iterdir()) == []  # no ./~/.cache/flowerlite
    assert result.stdout.splitlines() == [
        "FlowerliteWarning flowerlite: no home directory to cache model checks in (HOME is unset); every new "
        "process checks each model again; set FLOWERLITE_CACHE to a writable folder",
        "classified",
    ]

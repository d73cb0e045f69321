"""First load of a model in a throwaway child process, so a damaged model cannot crash ours.

Python-side verification (:mod:`flowerlite._tflite_model`) rejects any
malformed flatbuffer, but a well-formed file can still hold nonsense (an
operator swapped for another, a denormal quantisation scale) on which TFLite
kernels crash instead of failing. So the first time a given model (by SHA-256)
meets a given runtime, a child process loads it, allocates and runs it at batch
1 and 2; only if that child survives does the caller's process load it. The
verdict is cached in memory and in the ``verified`` folder of :func:`flowerlite.contract.cache_dir`
(``$FLOWERLITE_CACHE``, else ``$XDG_CACHE_HOME/flowerlite`` or ``~/.cache/flowerlite``), so each model costs this
once per machine. A cache that cannot be used (no home, an unreadable one) only
costs the check again: a FlowerliteWarning says so once per process.

Run as a script, this file is the child: model bytes on stdin, runtime name on
the command line. It imports only numpy and the runtime.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import signal
import subprocess
import sys
import threading
import warnings

TIMEOUT_SECONDS = 120
_SURVIVED = b"flowerlite-probe: survived"
_verified: set[str] = set()
_lock = threading.Lock()
_warned = False


def _new_lock_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # a fork while another thread held it must not hang the child


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)


def _cache_dir() -> pathlib.Path | None:
    """Where verdicts are kept; ``None`` when there is no usable home (never the working directory)."""
    from .contract import cache_dir  # imported here: run as a script, this file has no package

    root = cache_dir()
    return None if root is None else root / "verified"


def _warn_once(message: str) -> None:
    global _warned
    with _lock:
        if _warned:
            return
        _warned = True
    from .errors import FlowerliteWarning

    warnings.warn(message, FlowerliteWarning, stacklevel=4)


def _cached(key: str) -> bool:
    """Whether a verdict for ``key`` is on disk; an unusable cache counts as no verdict."""
    folder = _cache_dir()
    if folder is None:
        _warn_once("flowerlite: no home directory to cache model checks in (HOME is unset); every new "
                   "process checks each model again; set FLOWERLITE_CACHE to a writable folder")
        return False
    try:
        return (folder / key).exists()
    except OSError as exc:
        _warn_once(f"flowerlite: cannot use the model-check cache {folder} ({exc.strerror or exc}); checking "
                   "without it; set FLOWERLITE_CACHE to a writable folder")
        return False


def _remember(key: str) -> None:
    folder = _cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / key).touch()
    except OSError:
        pass  # a read-only or unreadable home only costs the check again next time


def check(data: bytes, runtime_name: str, runtime_version: str, source: str) -> None:
    """Raises InvalidModelError if loading and running ``data`` crashes a child process."""
    from .errors import InvalidModelError

    key = f"{hashlib.sha256(data).hexdigest()}-{runtime_name}-{runtime_version}"
    with _lock:
        if key in _verified:
            return
    if _cached(key):
        with _lock:
            _verified.add(key)
        return
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    try:
        child = subprocess.run([sys.executable, os.path.abspath(__file__), runtime_name], input=data,
                               capture_output=True, timeout=TIMEOUT_SECONDS, env=env)
    except subprocess.TimeoutExpired:
        raise InvalidModelError(
            f"{source} did not finish loading in {TIMEOUT_SECONDS} s in a test process; "
            "the file is corrupt: re-download or re-export it"
        ) from None
    except OSError:
        return  # no usable Python executable (embedded interpreter): rely on verification alone
    if child.returncode == 0 and child.stdout.strip().endswith(_SURVIVED):
        pass
    elif child.returncode == 1 and b"Traceback" in child.stderr:
        return  # the child could not even start the runtime (a Python error): the real load reports why
    else:  # killed by a signal (negative on POSIX) or a crash code (Windows)
        code = child.returncode
        name = signal.Signals(-code).name if code < 0 and -code in signal.valid_signals() else f"exit {code}"
        raise InvalidModelError(
            f"{source} crashed the {runtime_name} runtime ({name}) when a test process loaded it; "
            "the file is corrupt: re-download or re-export it"
        )
    with _lock:
        _verified.add(key)
    _remember(key)


def _child() -> int:
    import numpy as np

    runtime = sys.argv[1]
    if runtime == "ai-edge-litert":
        from ai_edge_litert.interpreter import Interpreter
    elif runtime == "tflite-runtime":
        from tflite_runtime.interpreter import Interpreter
    else:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter  # noqa: N806
    data = sys.stdin.buffer.read()
    try:
        interpreter = Interpreter(model_content=data, num_threads=1)
        interpreter.allocate_tensors()
        detail = interpreter.get_input_details()[0]
        shape = list(detail["shape"])
        for batch in (1, 2):
            if batch != shape[0]:
                interpreter.resize_tensor_input(detail["index"], [batch, *shape[1:]])
                interpreter.allocate_tensors()
            interpreter.set_tensor(detail["index"], np.zeros([batch, *shape[1:]], detail["dtype"]))
            interpreter.invoke()
            interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    except Exception:  # noqa: BLE001 - errors are fine; only a crash of this process matters
        pass
    sys.stdout.write(_SURVIVED.decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_child())

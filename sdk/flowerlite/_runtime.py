"""Finding a TFLite runtime: ai-edge-litert, then tflite-runtime, then tensorflow.lite.

The choice is made once per :class:`~flowerlite.Classifier`: an explicit
``runtime=`` argument beats the ``FLOWERLITE_RUNTIME`` environment variable,
which beats the automatic order. Runtimes are imported only when chosen, so
``import flowerlite`` never imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import importlib
import os

from .errors import RuntimeUnavailableError

ENV_VAR = "FLOWERLITE_RUNTIME"
THREADS_PER_CPU = 4
"""``num_threads`` may be at most this many times the CPUs the process may use (see :func:`max_threads`)."""
RUNTIMES = ("ai-edge-litert", "tflite-runtime", "tensorflow")

_ALIASES = {
    "ai-edge-litert": "ai-edge-litert", "litert": "ai-edge-litert",
    "tflite-runtime": "tflite-runtime", "tflite": "tflite-runtime",
    "tensorflow": "tensorflow", "tf": "tensorflow", "tensorflow.lite": "tensorflow",
    "tf.lite": "tensorflow",
}
_INSTALL_HINTS = {
    "ai-edge-litert": "pip install ai-edge-litert",
    "tflite-runtime": "pip install tflite-runtime 'numpy<2' (Python 3.11 or older)",
    "tensorflow": "pip install tensorflow-cpu",
}


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def max_threads() -> int:
    """The largest ``num_threads`` a Classifier accepts: :data:`THREADS_PER_CPU` per usable CPU.

    Far larger requests (100000, or a few hundred under a process limit) made the
    runtimes crash when the interpreter was destroyed.
    """
    return THREADS_PER_CPU * usable_cpus()


@dataclasses.dataclass(frozen=True)
class Runtime:
    """A usable TFLite runtime: its distribution name, version and Interpreter class."""

    name: str
    version: str
    interpreter_class: type


def canonical_name(name: str) -> str:
    """Maps a runtime name or alias (``litert``, ``tflite_runtime``, ``tf``...) to its canonical name."""
    key = name.strip().lower().replace("_", "-")
    if key not in _ALIASES:
        raise RuntimeUnavailableError(
            f"unknown runtime {name!r}; choose one of {', '.join(RUNTIMES)} "
            f"(argument runtime= or environment variable {ENV_VAR})"
        )
    return _ALIASES[key]


def _import(name: str) -> Runtime:
    if name == "ai-edge-litert":
        from importlib import metadata  # only here: it costs tens of milliseconds to import

        module = importlib.import_module("ai_edge_litert.interpreter")
        return Runtime(name, metadata.version("ai-edge-litert"), module.Interpreter)
    if name == "tflite-runtime":
        import numpy

        module = importlib.import_module("tflite_runtime.interpreter")
        if int(numpy.__version__.split(".")[0]) >= 2:
            raise RuntimeUnavailableError(
                f"tflite-runtime cannot run models with numpy {numpy.__version__}; "
                "install 'numpy<2' or use ai-edge-litert"
            )
        version = importlib.import_module("tflite_runtime").__version__
        return Runtime(name, version, module.Interpreter)
    tf = importlib.import_module("tensorflow")
    return Runtime(name, tf.__version__, tf.lite.Interpreter)


def load_runtime(name: str | None = None) -> Runtime:
    """Returns the runtime named by ``name``, else by ``$FLOWERLITE_RUNTIME``, else the first available.

    Raises:
        RuntimeUnavailableError: the requested runtime, or every runtime, is missing.
    """
    requested = name or os.environ.get(ENV_VAR) or None
    if requested:
        canonical = canonical_name(requested)
        try:
            return _import(canonical)
        except ImportError as exc:
            if isinstance(exc, RuntimeUnavailableError):
                raise
            source = "runtime argument" if name else f"{ENV_VAR}={requested}"
            raise RuntimeUnavailableError(
                f"TFLite runtime {canonical!r} ({source}) is not installed or fails to import ({exc}); "
                f"{_INSTALL_HINTS[canonical]}"
            ) from None
    failures = []
    for candidate in RUNTIMES:
        try:
            return _import(candidate)
        except ImportError as exc:
            failures.append(f"{candidate}: {exc}")
    raise RuntimeUnavailableError(
        "no TFLite runtime is installed (" + "; ".join(failures) + "); pip install ai-edge-litert"
    )

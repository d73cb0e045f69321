"""What machine and software a benchmark ran on (standard library only, so any interpreter can report it)."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from dataclasses import asdict
from pathlib import Path

from training.benchmark_json import MachineInfo, PythonInfo  # benchmark.json's schema (standard library only)

__all__ = ["MachineInfo", "PythonInfo", "describe_machine", "describe_python", "RUNTIME_PACKAGES"]

# Distribution name -> the module a job imports.  ai-edge-litert is LiteRT, the successor of tflite-runtime.
RUNTIME_PACKAGES = {"ai-edge-litert": "ai_edge_litert", "tflite-runtime": "tflite_runtime", "mediapipe": "mediapipe"}


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _flowerlite_version() -> str | None:
    version = _version("flowerlite")
    if version:
        return version
    try:  # an un-installed checkout on PYTHONPATH still counts
        import importlib.util

        return "source" if importlib.util.find_spec("flowerlite") else None
    except (ImportError, ValueError):
        return None


def describe_python() -> PythonInfo:
    """The running interpreter, numpy, Pillow, installed TFLite runtimes and the SDK."""
    runtimes = {name: v for name in RUNTIME_PACKAGES if (v := _version(name))}
    return PythonInfo(
        executable=sys.executable,
        version=platform.python_version(),
        implementation=platform.python_implementation(),
        numpy=_version("numpy"),
        pillow=_version("pillow"),
        runtimes=runtimes,
        flowerlite=_flowerlite_version(),
    )


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        text = ""
    # x86 has "model name"; a Raspberry Pi's kernel puts the board in "Model" and the core in "CPU part".
    for key in ("model name", "Model", "Hardware", "cpu model"):
        for line in text.splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key and value.strip():
                return value.strip()
    return platform.processor() or platform.machine() or "unknown"


def _memory_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def describe_machine() -> MachineInfo:
    """CPU model, cores (all and usable by this process), memory, OS and current load."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    load = tuple(round(x, 2) for x in os.getloadavg()) if hasattr(os, "getloadavg") else None
    return MachineInfo(
        cpu_model=_cpu_model(),
        architecture=platform.machine(),
        logical_cores=os.cpu_count() or 1,
        usable_cores=usable,
        memory_bytes=_memory_bytes(),
        os=_os_name(),
        kernel=platform.release(),
        hostname=platform.node(),
        load_average=load,
    )


if __name__ == "__main__":  # `python -m benchmarks.machine` is how the harness probes another interpreter
    import json

    print(json.dumps({"python": asdict(describe_python()), "machine": asdict(describe_machine())}))

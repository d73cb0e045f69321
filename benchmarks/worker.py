"""One benchmark job in its own process: load one model with one engine, then time work on request.

Run by the harness as `python -m benchmarks.worker SPEC.json`, possibly under another interpreter
(`--python`), so this module needs only the standard library, numpy, Pillow and the job's runtime.
Requests and replies are JSON lines: requests on stdin, replies on a private copy of stdout (the
process's own stdout is pointed at stderr, so a runtime printing there cannot garble a reply).
Each job has its own process so that its peak resident memory is its own.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback

__all__ = ["peak_rss_bytes", "current_rss_bytes", "serve"]

_now = time.perf_counter_ns


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far.

    Linux: VmHWM of /proc/self/status. Not getrusage's ru_maxrss, which Linux carries over an
    exec from the parent: a job started by a harness that held 300 MB reported 300 MB whatever
    it used itself. Elsewhere getrusage (kB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def current_rss_bytes() -> int | None:
    """Resident set size now (psutil if installed, else /proc/self/statm), or None where unknown."""
    try:
        import psutil

        return psutil.Process().memory_info().rss
    except ImportError:
        pass
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _e2e(engine, paths: list[str]) -> dict:
    latencies, topk = [], []
    cpu, wall = time.process_time_ns(), _now()  # CPU time of every thread of the process: the cores it really used
    for path in paths:
        start = _now()
        labels = engine.classify(path)
        latencies.append(_now() - start)
        topk.append(labels)
    return {"latencies_ns": latencies, "topk": topk, "cpu_ns": time.process_time_ns() - cpu, "wall_ns": _now() - wall}


def _invoke(engine, path: str, repeats: int) -> dict:
    prepared = engine.prepare(path)  # not timed: this measures the runtime alone
    latencies = []
    for _ in range(repeats):
        start = _now()
        engine.invoke(prepared)
        latencies.append(_now() - start)
    return {"latencies_ns": latencies}


def _batch(engine, paths: list[str]) -> dict:
    # Steady state: an untimed batch first (an engine may resize its interpreter to the batch size), and an
    # untimed single image after, so that the next single-image timing does not pay the resize back.
    engine.classify_batch(paths)
    start = _now()
    topk = engine.classify_batch(paths)
    elapsed = _now() - start
    engine.classify(paths[0])
    return {"elapsed_ns": elapsed, "topk": topk}


def _invoke_each(engine, paths: list[str]) -> dict:
    # The runtime alone on each image: preparing its input is not timed, only the invoke call.
    total = 0
    for path in paths:
        prepared = engine.prepare(path)
        start = _now()
        engine.invoke(prepared)
        total += _now() - start
    return {"invoke_ns": total}


def _classify_many(engine, paths: list[str], batch_size: int) -> dict:
    topk = []
    start = _now()
    if batch_size == 0 and hasattr(engine, "classify_all"):
        topk = engine.classify_all(paths)
    elif batch_size <= 1:
        topk = [engine.classify(p) for p in paths]
    else:
        for i in range(0, len(paths), batch_size):
            topk.extend(engine.classify_batch(paths[i : i + batch_size]))
    return {"elapsed_ns": _now() - start, "topk": topk}


def serve(spec: dict, requests, reply) -> None:
    """Load the job's engine, answer `requests` (dicts) through `reply(dict)`, stop at "finish"."""
    from benchmarks.engines import Preprocessing, create_engine, import_modules

    if spec.get("cpus") and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, spec["cpus"])
    rss_start = current_rss_bytes()
    pre = Preprocessing(**spec["preprocessing"]) if spec.get("preprocessing") else None
    start = _now()
    import_modules(spec["engine"], spec.get("runtime"))  # imported before the load timer: load time is the model's
    import_ns = _now() - start
    start = _now()
    engine = create_engine(spec["engine"], spec["model"], spec.get("runtime"), spec["threads"], pre, spec.get("k", 5))
    load_ns = _now() - start
    reply({
        "ok": True, "load_ns": load_ns, "import_ns": import_ns, "rss_start_bytes": rss_start,
        "rss_after_load_bytes": current_rss_bytes(), "runtime": engine.runtime, "runtime_version": engine.runtime_version,
        "pid": os.getpid(), "cpus": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    })
    paths = spec["paths"]
    for request in requests:
        op = request["op"]
        if op == "finish":
            reply({"ok": True, "peak_rss_bytes": peak_rss_bytes(), "rss_end_bytes": current_rss_bytes()})
            engine.close()
            return
        chosen = [paths[i] for i in request.get("images", [])]
        if op == "e2e":
            result = _e2e(engine, chosen)
        elif op == "invoke":
            result = _invoke(engine, chosen[0], request["repeats"])
        elif op == "batch":
            result = _batch(engine, chosen)
        elif op == "classify_many":
            result = _classify_many(engine, chosen, request.get("batch_size", 1))
        elif op == "invoke_each":
            result = _invoke_each(engine, chosen)
        else:
            raise ValueError(f"Unknown request. Received: op={op!r}")
        reply({"ok": True, **result})


def main(argv: list[str]) -> int:
    """Entry point of the worker process."""
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the runtimes' own prints now land in stderr, never in the reply channel
    sys.stdout = sys.stderr

    def reply(message: dict) -> None:
        channel.write(json.dumps(message) + "\n")

    try:
        with open(argv[0]) as f:
            spec = json.load(f)
        serve(spec, (json.loads(line) for line in sys.stdin if line.strip()), reply)
    except Exception as exc:  # reported to the harness, which records the job as failed and goes on
        traceback.print_exc()
        reply({"ok": False, "error": f"{type(exc).__name__}: {exc}".splitlines()[0][:500]})
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

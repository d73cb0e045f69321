"""The harness's side of a job process: start `benchmarks.worker` under some Python, send requests, read replies."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from benchmarks.errors import BenchmarkError

__all__ = ["WorkerError", "WorkerProcess", "worker_environment", "probe_python"]

REPO_ROOT = Path(__file__).resolve().parent.parent


class WorkerError(BenchmarkError):
    """A job process failed: its message names the job and the error it reported."""


def worker_environment() -> dict[str, str]:
    """The environment of a job process: this checkout (and its sdk/) importable under any interpreter."""
    env = dict(os.environ)
    paths = [str(REPO_ROOT)]
    if (REPO_ROOT / "sdk" / "flowerlite").is_dir():
        paths.append(str(REPO_ROOT / "sdk"))
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    # One thread per job for numpy/OpenMP: the runtime's num_threads is the only parallelism measured.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("GLOG_minloglevel", "2")
    return env


def probe_python(python: str) -> dict:
    """Ask an interpreter for its versions and runtimes (`python -m benchmarks.machine`).

    Raises:
        BenchmarkError: if it cannot be run or does not answer.
    """
    try:
        done = subprocess.run([python, "-m", "benchmarks.machine"], capture_output=True, text=True, timeout=120,
                              cwd=REPO_ROOT, env=worker_environment())
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchmarkError(f"Cannot run the interpreter {python} ({exc}): pass the path of a Python executable to --python") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise BenchmarkError(f"{python} -m benchmarks.machine failed ({last}): it needs Python >= 3.10")
    return json.loads(done.stdout)


class WorkerProcess:
    """One running job: a `python -m benchmarks.worker` process with its spec, log and reply channel."""

    def __init__(self, job_id: str, spec: dict, python: str, workdir: Path):
        self.job_id = job_id
        workdir.mkdir(parents=True, exist_ok=True)
        spec_path = workdir / f"{job_id}.json"
        spec_path.write_text(json.dumps(spec))
        self.log_path = workdir / f"{job_id}.log"
        self._log = open(self.log_path, "w")
        self._process = subprocess.Popen(
            [python, "-m", "benchmarks.worker", str(spec_path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, bufsize=1,
            cwd=REPO_ROOT, env=worker_environment(),
        )
        self.ready = self._receive()

    def _receive(self) -> dict:
        line = self._process.stdout.readline()
        if not line:
            self._process.wait(timeout=30)
            self._log.flush()
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise WorkerError(f"Job {self.job_id} exited with code {self._process.returncode}: {' | '.join(tail) or 'no output'} (log: {self.log_path})")
        message = json.loads(line)
        if not message.get("ok"):
            raise WorkerError(f"Job {self.job_id} failed: {message.get('error')} (log: {self.log_path})")
        return message

    def request(self, op: str, **fields) -> dict:
        """Send one request and wait for its reply."""
        try:
            self._process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
            self._process.stdin.flush()
        except BrokenPipeError:
            pass  # the process died: _receive reports how
        return self._receive()

    def finish(self) -> dict:
        """Ask for the final memory figures and let the process exit."""
        reply = self.request("finish")
        self.close()
        return reply

    def close(self) -> None:
        """Stop the process (if still running) and close its log."""
        if self._process.poll() is None:
            try:
                self._process.stdin.close()
                self._process.wait(timeout=10)
            except (subprocess.TimeoutExpired, BrokenPipeError, OSError):
                self._process.kill()
                self._process.wait()
        self._log.close()

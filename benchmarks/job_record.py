"""One job's worker process and everything it measured: calls to a worker that never raise, failures kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmarks.plan import Job
from benchmarks.workers import WorkerError, WorkerProcess

__all__ = ["JobRecord"]


@dataclass
class JobRecord:
    """A job, its worker (None once it failed or finished) and its measurements so far."""

    job: Job
    worker: WorkerProcess | None = None
    ready: dict = field(default_factory=dict)
    error: str = ""
    e2e_ns: list = field(default_factory=list)
    e2e_cpu_ns: int = 0
    e2e_wall_ns: int = 0
    e2e_top1: dict = field(default_factory=dict)  # image index -> top-1
    invoke_ns: list = field(default_factory=list)
    invoke_supported: bool = True
    batch_images: int = 0
    batch_ns: int = 0
    accuracy_topk: dict = field(default_factory=dict)  # image index -> top-k
    accuracy_ns: int = 0
    accuracy_invoke_ns: int = 0  # invoke alone on the same images (prepared untimed)
    final: dict = field(default_factory=dict)

    def call(self, op: str, **fields) -> dict | None:
        """The worker's reply to one request, or None when the worker is gone or fails now (the job is then failed)."""
        if self.worker is None:
            return None
        try:
            return self.worker.request(op, **fields)
        except WorkerError as exc:
            self.fail(str(exc))
            return None

    def fail(self, message: str) -> None:
        """Marks the job failed (the first message is kept) and stops its worker."""
        self.error = self.error or message
        if self.worker is not None:
            self.worker.close()
            self.worker = None

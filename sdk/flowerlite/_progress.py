"""A one-line progress bar on a terminal's stderr (the SDK has no tqdm): count, share, rate, ETA."""

from __future__ import annotations

import shutil
import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """Redraws ``[#####.....]  120/2000   6%  310 img/s  ETA 6s`` in place, at most 10 times a second."""

    def __init__(self, total: int, stream: TextIO, *, interval: float = 0.1):
        self._total, self._stream, self._interval = total, stream, interval
        self._done = self._failed = 0
        self._start = self._drawn_at = time.monotonic()
        self._shown = False

    def update(self, ok: bool = True) -> None:
        """Counts one more image (``ok=False``: one that failed) and redraws when due."""
        self._done += 1
        self._failed += not ok
        now = time.monotonic()
        if now - self._drawn_at >= self._interval or self._done == self._total:
            self._drawn_at = now
            self._draw(now)

    def clear(self) -> None:
        """Erases the bar (before a line is printed to the same terminal); the next update redraws it."""
        if self._shown:
            self._write("\r\033[K")
            self._shown = False

    def close(self) -> None:
        """Erases the bar for good."""
        self.clear()

    def _draw(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-9)
        rate = self._done / elapsed
        share = self._done / self._total if self._total else 1.0
        eta = (self._total - self._done) / rate if rate else 0.0
        failed = f"  {self._failed} failed" if self._failed else ""
        text = f" {self._done}/{self._total} {share:4.0%}  {rate:.0f} img/s  ETA {eta:.0f}s{failed}"
        width = max(10, min(40, shutil.get_terminal_size((80, 24)).columns - len(text) - 4))
        filled = int(width * share)
        self._write(f"\r[{'#' * filled}{'.' * (width - filled)}]{text}\033[K")
        self._shown = True

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr must not stop the classification
            pass

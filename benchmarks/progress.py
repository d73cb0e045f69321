"""Progress of a run on stderr: a tqdm bar when tqdm is installed, else one line per step."""

from __future__ import annotations

import sys

__all__ = ["Progress"]


class Progress:
    """Counts `total` steps; `enabled=False` shows nothing."""

    def __init__(self, total: int, enabled: bool):
        self._bar = None
        self._enabled = enabled
        if enabled:
            try:
                from tqdm import tqdm

                self._bar = tqdm(total=total, unit="step", file=sys.stderr, dynamic_ncols=True)
            except ImportError:
                pass
        self._done, self._total = 0, total

    def step(self, label: str, n: int = 1) -> None:
        """`n` more steps done, the last one described by `label`."""
        self._done += n
        if self._bar is not None:
            self._bar.set_description(label[:48])
            self._bar.update(n)
        elif self._enabled:
            print(f"[{self._done}/{self._total}] {label}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Ends the bar."""
        if self._bar is not None:
            self._bar.close()

"""Writing result files atomically: a reader (or a crash) never sees half a file."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "write_atomic"]


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yields a temporary path beside `path`; renamed onto `path` when the block ends without an error."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Writes `data` to `path` through a temporary file and a rename."""
    with atomic_path(path) as temporary:
        if isinstance(data, str):
            temporary.write_text(data)
        else:
            temporary.write_bytes(data)
    return Path(path)

"""Opening user-named files without hanging or reading without end.

``open()`` on a FIFO with no writer blocks forever, and ``read()`` of
``/dev/zero`` never ends. Models, label files and image paths are therefore
opened non-blocking, must be regular files, and are read with a size bound.
Callers turn the :class:`OSError` subclasses below into their own
:class:`~flowerlite.FlowerliteError` with a message about what the file was for.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from .errors import InvalidModelError, ModelNotFoundError

MAX_MODEL_BYTES = 1 << 30
"""Model files larger than this (1 GiB) are refused before they are read."""

MAX_LABELS_BYTES = 8 << 20
"""Label files (given, or packed in a model's metadata) larger than this (8 MiB) are refused."""


class NotRegularFileError(OSError):
    """The path names a FIFO, device, socket or directory, not a regular file."""

    def __init__(self, path: str, kind: str) -> None:
        super().__init__(f"{path} is a {kind}, not a regular file")
        self.kind = kind


class FileTooLargeError(OSError):
    """The file is larger than the bound the caller set."""

    def __init__(self, path: str, size: int, limit: int) -> None:
        super().__init__(f"{path} is {size} bytes, over the limit of {limit}")
        self.size, self.limit = size, limit


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "FIFO (named pipe)"),
                       (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
                       (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "special file"


def open_regular(path: str) -> BinaryIO:
    """Opens ``path`` for reading if it is a regular file, without ever blocking on a FIFO.

    Raises:
        FileNotFoundError, PermissionError, ...: as ``open()``.
        NotRegularFileError: ``path`` is a directory, FIFO, device or socket.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(path, _kind(mode))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(path: str, limit: int) -> bytes:
    """Reads the whole regular file ``path``, refusing one larger than ``limit`` bytes.

    Raises:
        FileNotFoundError, PermissionError, ...: as ``open()``.
        NotRegularFileError: ``path`` is not a regular file.
        FileTooLargeError: the file holds more than ``limit`` bytes.
    """
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise FileTooLargeError(path, size, limit)
        data = f.read(limit + 1)  # a file that grows while it is read stays bounded too
    if len(data) > limit:
        raise FileTooLargeError(path, len(data), limit)
    return data


def read_model(path: str) -> bytes:
    """The bytes of the model file ``path``, or a ModelNotFoundError / InvalidModelError saying why not."""
    try:
        return read_bounded(path, MAX_MODEL_BYTES)
    except FileNotFoundError:
        raise ModelNotFoundError(f"model file not found: {path}; check the path") from None
    except NotRegularFileError as exc:
        if exc.kind == "directory":
            raise ModelNotFoundError(f"model path is a directory, not a .tflite file: {path}") from None
        raise InvalidModelError(f"model path {path} is a {exc.kind}, not a regular file; "
                                "pass a .tflite file") from None
    except FileTooLargeError as exc:
        raise InvalidModelError(f"model file {path} is {exc.size} bytes, over flowerlite's limit of "
                                f"{exc.limit} bytes (1 GiB); pass a .tflite model file") from None
    except OSError as exc:
        raise InvalidModelError(f"cannot read model file {path}: {exc.strerror or exc}") from None

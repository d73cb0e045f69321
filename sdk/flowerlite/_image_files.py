"""Image files named on a command line: files as given, folders walked recursively by extension, ``-`` for stdin.

Example::

    from flowerlite._image_files import find_images

    found = find_images(["photos/", "extra.jpg"])
    for problem in found.errors:
        print(problem)
    print(len(found.paths), "images")
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from typing import TextIO

__all__ = ["IMAGE_EXTENSIONS", "FoundImages", "find_images"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".avif")
"""What a folder walk picks up (case-insensitive): the photo formats Pillow decodes. A file named
explicitly is classified whatever its extension."""


@dataclasses.dataclass(frozen=True)
class FoundImages:
    """The image paths found, in order, and one message per argument or folder that could not be read."""

    paths: list[str]
    errors: list[str]


def find_images(arguments: Iterable[str], *, extensions: Iterable[str] = IMAGE_EXTENSIONS,
                stdin: TextIO | None = None) -> FoundImages:
    """Expands ``arguments`` into image paths: files as given, folders recursively, ``-``: one path a line from ``stdin``.

    Folders are walked in sorted order (a folder's files, then its subfolders), skipping hidden files and folders (names
    starting with ``.``), and yield the files whose extension is in ``extensions``.
    A folder that cannot be listed, or one without images, is an error message,
    not an exception; a missing file is left for the classifier to report in turn.
    """
    suffixes = tuple(e.lower() if e.startswith(".") else f".{e.lower()}" for e in extensions)
    paths: list[str] = []
    errors: list[str] = []
    stdin_read = False
    for argument in arguments:
        if argument == "-":
            if stdin_read or stdin is None:
                continue
            stdin_read = True
            names = [line.rstrip("\r\n") for line in stdin]
            for name in names:
                if name.strip():
                    _add(name, suffixes, paths, errors)
        else:
            _add(argument, suffixes, paths, errors)
    return FoundImages(paths, errors)


def _add(path: str, suffixes: tuple[str, ...], paths: list[str], errors: list[str]) -> None:
    if not os.path.isdir(path):
        paths.append(path)
        return
    before, errors_before = len(paths), len(errors)

    def unreadable(exc: OSError) -> None:
        errors.append(f"cannot read folder {exc.filename or path}: {exc.strerror or exc}")

    for folder, dirs, files in os.walk(path, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        paths.extend(os.path.join(folder, name) for name in sorted(files)
                      if not name.startswith(".") and name.lower().endswith(suffixes))
    if len(paths) == before and len(errors) == errors_before:
        errors.append(f"no images in folder {path} (looked for {', '.join(suffixes)}); "
                      "name image files explicitly or pass --extensions")

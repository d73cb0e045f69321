"""Locating the default model: the released int8 model packaged with flowerlite.

A wheel carries it as ``flowerlite/models/flowerlite-<backbone>-int8.tflite`` (copied
from the repository's ``models/`` at build time by ``sdk/setup_hooks.py``, so git holds
one copy). In an editable install or a source checkout the repository's ``models/`` is
used directly. A released name is one :func:`flowerlite.contract.parse_release_name` reads.
"""

from __future__ import annotations

import pathlib

from .contract import release_glob, released_files
from .errors import ModelNotFoundError

VARIANT = "int8"
PATTERN = release_glob(VARIANT)
PACKAGE_MODELS = pathlib.Path(__file__).resolve().parent / "models"


def _source_models() -> pathlib.Path | None:
    """``<repo>/models`` when this package is ``<repo>/sdk/flowerlite`` of a checkout."""
    package = pathlib.Path(__file__).resolve().parent
    repo = package.parent.parent
    if package.parent.name == "sdk" and (repo / "pyproject.toml").is_file():
        return repo / "models"
    return None


def candidates() -> list[pathlib.Path]:
    """The folders searched for the default model, in order."""
    folders = [PACKAGE_MODELS]
    source = _source_models()
    if source is not None:
        folders.append(source)
    return folders


def find() -> pathlib.Path:
    """Returns the path of the packaged default int8 model.

    Raises:
        ModelNotFoundError: no released model exists yet, or more than one.
    """
    for folder in candidates():
        found = released_files(folder, VARIANT) if folder.is_dir() else []
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise ModelNotFoundError(
                f"{folder} holds several int8 models ({names}); keep one or pass a model path"
            )
    searched = " and ".join(str(f) for f in candidates())
    raise ModelNotFoundError(
        f"no default model: models/ has no released model yet (searched {searched} for {PATTERN}); "
        "pass a model path, e.g. Classifier('model.tflite') or flowerlite classify --model model.tflite IMAGE"
    )

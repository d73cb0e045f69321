"""Locating the default model: the released int8 model packaged with flowerlite.

A wheel carries it as ``flowerlite/models/<name>-int8.tflite`` (copied from the
repository's ``models/`` at build time, so git holds one copy). In an editable
install or a source checkout the repository's ``models/`` is used directly.
"""

from __future__ import annotations

import pathlib

from .errors import ModelNotFoundError

PATTERN = "*-int8.tflite"
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
        found = sorted(folder.glob(PATTERN)) if folder.is_dir() else []
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

"""flowerlite: on-device flower recognition (Oxford 102 flowers) with TFLite.

Example::

    import flowerlite

    with flowerlite.Classifier() as clf:          # the packaged int8 model
        print(clf.classify("rose.jpg")[0].label)

Public modules: :mod:`flowerlite.classifier`, :mod:`flowerlite.containers` (Category, ImageResult,
ClassifierOptions, ModelInfo), :mod:`flowerlite.preprocessing` (the shared image rule),
:mod:`flowerlite.metadata` (standard TFLite metadata), :mod:`flowerlite.contract` (what the
SDK shares with the build chain, the benchmarks and the Android demo: the crop fraction, the
release file name, the top-k order), :mod:`flowerlite.errors`, and the
``flowerlite`` CLI (:mod:`flowerlite.cli`).
Importing flowerlite is cheap: numpy, Pillow and the runtime load on first use.
"""

from __future__ import annotations

from .errors import (
    ClassifierClosedError,
    FlowerliteError,
    FlowerliteWarning,
    ImageDecodeError,
    ImageError,
    ImageNotFoundError,
    ImageTooLargeError,
    InvalidModelError,
    LabelError,
    MetadataError,
    ModelError,
    ModelNotFoundError,
    RuntimeUnavailableError,
    UnsupportedModelError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "Category",
    "Classifier",
    "ClassifierOptions",
    "ImageResult",
    "ModelInfo",
    "FlowerliteError",
    "ImageError",
    "ImageNotFoundError",
    "ImageDecodeError",
    "ImageTooLargeError",
    "ModelError",
    "ModelNotFoundError",
    "InvalidModelError",
    "UnsupportedModelError",
    "MetadataError",
    "LabelError",
    "RuntimeUnavailableError",
    "ClassifierClosedError",
    "FlowerliteWarning",
]

_LAZY = {"Category": "containers", "ClassifierOptions": "containers", "ImageResult": "containers",
         "ModelInfo": "containers",
         "Classifier": "classifier"}


def __getattr__(name: str):
    # The classifier pulls in numpy and Pillow: load it on first use only (PEP 562).
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'flowerlite' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

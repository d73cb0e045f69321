"""Errors raised by flowerlite: one hierarchy rooted at :class:`FlowerliteError`.

Every message names the offending path or value and says what to do, so the
CLI can print it as a single line.

    FlowerliteError
    ├── ImageError
    │   ├── ImageNotFoundError      (also a FileNotFoundError)
    │   ├── ImageDecodeError        unreadable, truncated or not an image
    │   └── ImageTooLargeError      over the pixel limit (decompression bomb)
    ├── ModelError
    │   ├── ModelNotFoundError      (also a FileNotFoundError)
    │   ├── InvalidModelError       corrupt, truncated or not a .tflite file
    │   ├── UnsupportedModelError   not an image classifier, or an unsupported dtype
    │   ├── MetadataError           metadata missing or malformed (also a ValueError)
    │   └── LabelError              no labels, or a count that does not match the output
    ├── RuntimeUnavailableError     no usable TFLite runtime (also an ImportError)
    └── ClassifierClosedError       the Classifier was used after close() (also a RuntimeError)

Arguments of the wrong type or value (``Classifier(num_threads="2")``,
``top_k=0``) raise ``TypeError`` or ``ValueError`` when the classifier is
created or the method is called: they are programming errors, not bad input.

:class:`FlowerliteWarning` is issued when flowerlite works around a problem it
can survive (an unusable cache directory).
"""

from __future__ import annotations

__all__ = [
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


class FlowerliteError(Exception):
    """Base class of every error flowerlite raises on bad input."""


class ImageError(FlowerliteError):
    """An input image could not be used."""


class ImageNotFoundError(ImageError, FileNotFoundError):
    """The image file does not exist."""


class ImageDecodeError(ImageError):
    """The image is unreadable, truncated, or not an image at all."""


class ImageTooLargeError(ImageError):
    """The image has more pixels than the configured limit."""


class ModelError(FlowerliteError):
    """A model file could not be used."""


class ModelNotFoundError(ModelError, FileNotFoundError):
    """The model file (or the packaged default model) does not exist."""


class InvalidModelError(ModelError):
    """The file is not a well-formed TFLite flatbuffer (corrupt or truncated)."""


class UnsupportedModelError(ModelError):
    """The model is valid TFLite but not an image classifier flowerlite can run."""


class MetadataError(ModelError, ValueError):
    """Model metadata is missing, malformed, or cannot be written as asked."""


class LabelError(ModelError):
    """Labels are missing or do not match the model's output."""


class RuntimeUnavailableError(FlowerliteError, ImportError):
    """No usable TFLite runtime (ai-edge-litert, tflite-runtime or TensorFlow)."""


class ClassifierClosedError(FlowerliteError, RuntimeError):
    """The Classifier was used after :meth:`~flowerlite.Classifier.close`."""


class FlowerliteWarning(UserWarning):
    """flowerlite worked around a problem (e.g. an unusable cache directory) and carried on."""

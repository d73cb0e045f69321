"""Results, options and the model contract of the classifier (small frozen dataclasses)."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from . import preprocessing
from .errors import FlowerliteError

__all__ = ["Category", "ImageResult", "ClassifierOptions", "ModelInfo"]


@dataclasses.dataclass(frozen=True)
class Category:
    """One classification result: output index, dequantised probability and label.

    MediaPipe's ``Category(index, score, display_name, category_name)`` without the display name:
    ``label`` is MediaPipe's ``category_name`` (the model's label for that output index).

    Attributes:
        index: the output index (class) of the model.
        score: its dequantised probability, in [0, 1] for flowerlite's models.
        label: the label of that index (from the model's metadata, or ``labels_path``).
    """

    index: int
    score: float
    label: str


@dataclasses.dataclass(frozen=True)
class ImageResult:
    """One image's outcome in :meth:`Classifier.classify_iter`: its categories, or the error that stopped it.

    Attributes:
        source: the image as given (a path, bytes, a PIL image, ...).
        categories: its categories, as :meth:`Classifier.classify` returns them; empty on an error.
        error: the :class:`~flowerlite.FlowerliteError` that stopped this image (``errors="return"``), else None.
    """

    source: Any
    categories: list[Category]
    error: FlowerliteError | None = None

    @property
    def ok(self) -> bool:
        """True when the image was classified (``error`` is None)."""
        return self.error is None


@dataclasses.dataclass(frozen=True)
class ClassifierOptions:
    """Options of a :class:`Classifier`, for :meth:`Classifier.create_from_options`.

    How they differ from MediaPipe's ``ImageClassifierOptions(base_options=BaseOptions(model_asset_path=...),
    running_mode, display_names_locale, max_results, score_threshold, category_allowlist, category_denylist)``:

    - One flat dataclass: the model is ``model_path`` here, not nested in a ``BaseOptions`` (there is no
      ``model_asset_buffer`` and no ``delegate``: the CPU runtime is chosen by ``runtime``).
    - ``top_k`` is MediaPipe's ``max_results``, with ``None`` (not -1) for all categories;
      :meth:`Classifier.classify` also takes ``max_results=``. ``score_threshold`` follows MediaPipe's
      rule (it overrides the model's metadata threshold, which applies when it is ``None``).
    - No ``running_mode`` or ``result_callback``: every call classifies still images and returns
      (MediaPipe's IMAGE mode); no video or live-stream mode.
    - No ``display_names_locale`` (categories carry no display name) and no ``category_allowlist`` /
      ``category_denylist``: filter the returned categories instead.
    - Only here: ``labels_path``, ``runtime``, ``num_threads``, ``mean`` / ``std``, ``max_pixels``,
      ``max_batch_size`` and ``safe_load``.

    Attributes:
        model_path: the ``.tflite`` file; ``None`` loads the packaged default model.
        labels_path: a label file (one label per line); beats the model's metadata.
        runtime: ``"ai-edge-litert"``, ``"tflite-runtime"`` or ``"tensorflow"``; ``None``
            uses ``$FLOWERLITE_RUNTIME`` or the first one installed.
        num_threads: interpreter threads; ``None`` lets the runtime decide. At most 4 per
            CPU the process may use (``ValueError`` above that).
        top_k: how many categories :meth:`Classifier.classify` returns; ``None`` for all.
        score_threshold: categories scoring below this are dropped; ``None`` uses the
            model's own threshold from its metadata (MediaPipe's rule), else 0.
        mean, std: input normalisation overriding the model's metadata.
        max_pixels: images with more pixels are refused (``None``: no limit). Peak memory
            per image is about 10 bytes a pixel (0.67 GB at the 64 MP default, worst mode).
        max_batch_size: batches are run in chunks of at most this many images.
        safe_load: load each new model first in a child process, so that a damaged
            model that passes verification but crashes the runtime raises
            InvalidModelError instead (once per model and runtime; cached).

    The values are checked when a :class:`Classifier` is made from them (TypeError / ValueError
    naming the option), not here.
    """

    model_path: str | os.PathLike | None = None
    labels_path: str | os.PathLike | None = None
    runtime: str | None = None
    num_threads: int | None = None
    top_k: int | None = 5
    score_threshold: float | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    max_pixels: int | None = preprocessing.MAX_PIXELS
    max_batch_size: int = 32
    safe_load: bool = True


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """The model contract as the classifier uses it (read from the model and its metadata)."""

    model_path: str
    name: str
    version: str
    description: str
    input_shape: tuple[int, ...]
    input_dtype: str
    input_scale: float
    input_zero_point: int
    output_shape: tuple[int, ...]
    output_dtype: str
    output_scale: float
    output_zero_point: int
    labels: tuple[str, ...]
    labels_source: str
    mean: tuple[float, ...]
    std: tuple[float, ...]
    normalization_source: str
    score_threshold: float  # the model's own (metadata ScoreThresholdingOptions), 0 without one
    has_metadata: bool
    runtime: str
    runtime_version: str
    # Answers whose top score is at least this were right at least metadata.CONFIDENT_ACCURACY (90%) of
    # the time on the real-world photos the release measured (see the model card); None without one.
    confident_score: float | None = None

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) of the model input image."""
        return self.input_shape[1], self.input_shape[2]

    @property
    def num_classes(self) -> int:
        """How many classes the model scores (one label each)."""
        return len(self.labels)

    def to_dict(self) -> dict:
        """A JSON-ready dict of every field."""
        return dataclasses.asdict(self)

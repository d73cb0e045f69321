"""The image classifier: load a flower ``.tflite`` model once, classify many images.

The task class on top of one module per part: option checks (:mod:`flowerlite._options`), the
label file and the model's shape check (:mod:`flowerlite._model_file`), the labels and normalisation
it uses (:mod:`flowerlite._model_config`), and the locked interpreter (:mod:`flowerlite._session`).

Example::

    import flowerlite

    with flowerlite.Classifier("models/flowerlite-efficientnet_lite0-int8.tflite", top_k=3) as clf:
        for category in clf.classify("rose.jpg"):
            print(category.label, round(category.score, 3))
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator

import numpy as np

from . import _default_model, _files, _large_jpeg, _probe, _runtime, _stream, _tflite_model, metadata, preprocessing
from ._model_config import resolve_labels, resolve_normalization
from ._model_file import MAX_INPUT_SIDE, MIN_INPUT_SIDE, check_image_classifier  # noqa: F401 - the limits were public here
from ._options import check_limits, check_options
from ._session import InterpreterSession
from .containers import Category, ClassifierOptions, ImageResult, ModelInfo
from .contract import top_k_indices
from .errors import UnsupportedModelError

__all__ = ["Category", "ClassifierOptions", "ImageResult", "ModelInfo", "Classifier"]

_UNSET = object()


class Classifier:
    """Classifies images with a TFLite image-classification model.

    As MediaPipe's ``ImageClassifier``: made with :meth:`create_from_model_path` or
    :meth:`create_from_options` (or the constructor), used as a context manager, released with
    :meth:`close`. Unlike it, :meth:`classify` returns the list of :class:`Category` of the
    model's single head directly (no ``ClassificationResult`` wrapper), and batches and streams of
    images have their own methods (:meth:`classify_batch`, :meth:`classify_iter`, :meth:`scores`).

    One instance may be shared between threads: preprocessing runs in parallel,
    inference is serialised on the interpreter.

    Args:
        model_path: the ``.tflite`` model; ``None`` loads the int8 model packaged with flowerlite.
        labels_path: a label file, one label per line, for models without label metadata.
        runtime: TFLite runtime name; default ``$FLOWERLITE_RUNTIME`` or the first installed
            of ai-edge-litert, tflite-runtime, tensorflow.
        num_threads: interpreter threads.
        top_k: categories returned per image (``None``: all).
        score_threshold: categories scoring below this are dropped; ``None`` (default): the
            model's own threshold from its metadata, if any (as MediaPipe), else 0.
        **options: further :class:`ClassifierOptions` fields (``mean``, ``std``,
            ``max_pixels``, ``max_batch_size``, ``safe_load``).

    Raises:
        ModelNotFoundError: the model file (or the packaged default model) is missing.
        InvalidModelError: the model file is corrupt or truncated.
        UnsupportedModelError: the model is not an image classifier flowerlite can run.
        MetadataError: the metadata is malformed, or a float model has no normalisation.
        LabelError: there are no labels, or their count does not match the model output.
        RuntimeUnavailableError: the requested (or every) TFLite runtime is missing.
        TypeError, ValueError: an option has the wrong type or value (checked here, all of them).

    Example::

        clf = Classifier("model.tflite", top_k=3)
        print(clf.classify("rose.jpg")[0].label)
        clf.close()
    """

    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        *,
        labels_path: str | os.PathLike | None = None,
        runtime: str | None = None,
        num_threads: int | None = None,
        top_k: int | None = 5,
        score_threshold: float | None = None,
        **options,
    ) -> None:
        fields = {f.name for f in dataclasses.fields(ClassifierOptions)}
        unknown = set(options) - fields
        if unknown:
            raise TypeError(f"unknown Classifier option(s) {sorted(unknown)}; valid options: {sorted(fields)}")
        opts = ClassifierOptions(model_path=model_path, labels_path=labels_path, runtime=runtime,
                                 num_threads=num_threads, top_k=top_k, score_threshold=score_threshold,
                                 **options)
        check_options(opts)
        self._options = opts

        path = os.fsdecode(opts.model_path) if opts.model_path is not None else str(_default_model.find())
        data = _files.read_model(path)
        structure = _tflite_model.parse_model(data, path)
        image, scores = check_image_classifier(structure, path)
        meta = metadata._read(data, structure, path)
        if meta is not None and meta.score_type == "calibrated":
            raise UnsupportedModelError(
                f"{path} asks for score calibration in its metadata, which flowerlite does not apply; "
                "export the model without ScoreCalibration"
            )
        num_classes = scores.shape[-1]
        labels, labels_source = resolve_labels(opts, meta, path, num_classes)
        mean, std, norm_source = resolve_normalization(opts, meta, image, path)

        rt = _runtime.load_runtime(opts.runtime)
        if opts.safe_load:
            _probe.check(data, rt.name, rt.version, path)
        self._session = InterpreterSession(rt.interpreter_class, data, opts.num_threads, num_classes,
                                           f"{rt.name} {rt.version}", path)
        in_detail, out_detail = self._session.input_detail, self._session.output_detail
        in_scale, in_zero = in_detail["quantization"]
        out_scale, out_zero = out_detail["quantization"]
        self._info = ModelInfo(
            model_path=path,
            name=meta.name if meta else "",
            version=meta.version if meta else "",
            description=meta.description if meta else "",
            input_shape=tuple(int(d) for d in in_detail["shape"]),
            input_dtype=np.dtype(in_detail["dtype"]).name,
            input_scale=float(in_scale),
            input_zero_point=int(in_zero),
            output_shape=tuple(int(d) for d in out_detail["shape"]),
            output_dtype=np.dtype(out_detail["dtype"]).name,
            output_scale=float(out_scale),
            output_zero_point=int(out_zero),
            labels=labels,
            labels_source=labels_source,
            mean=mean,
            std=std,
            normalization_source=norm_source,
            score_threshold=float(meta.score_threshold) if meta and meta.score_threshold is not None else 0.0,
            has_metadata=meta is not None,
            runtime=rt.name,
            runtime_version=rt.version,
            confident_score=meta.confident_score if meta else None,
        )

    # ------------------------------------------------------------------ construction

    @classmethod
    def create_from_model_path(cls, model_path: str | os.PathLike | None = None, **kwargs) -> Classifier:
        """Creates a classifier from a model file.

        Args:
            model_path: the ``.tflite`` file; ``None`` loads the packaged default model.
            **kwargs: further :class:`ClassifierOptions` fields (``top_k=3``, ``num_threads=2``, ...).

        Returns:
            The classifier.

        Raises:
            As :class:`Classifier`.
        """
        return cls(model_path, **kwargs)

    @classmethod
    def create_from_options(cls, options: ClassifierOptions) -> Classifier:
        """Creates a classifier from a :class:`ClassifierOptions`.

        Args:
            options: every option at once (the object is read, never changed).

        Returns:
            The classifier.

        Raises:
            As :class:`Classifier`.
        """
        kwargs = dataclasses.asdict(options)
        return cls(kwargs.pop("model_path"), **kwargs)

    # ------------------------------------------------------------------ properties

    @property
    def info(self) -> ModelInfo:
        """The model contract: shapes, dtypes, quantisation, labels, normalisation, runtime."""
        return self._info

    @property
    def options(self) -> ClassifierOptions:
        """The options this classifier was made with."""
        return self._options

    @property
    def labels(self) -> tuple[str, ...]:
        """The label of each output index (``info.labels``)."""
        return self._info.labels

    def __repr__(self) -> str:
        info = self._info
        return (f"Classifier({info.model_path!r}, input={list(info.input_shape)} {info.input_dtype}, "
                f"classes={info.num_classes}, runtime={info.runtime} {info.runtime_version})")

    # ------------------------------------------------------------------ inference

    def preprocess(self, image: preprocessing.ImageSource) -> np.ndarray:
        """The exact input tensor for ``image``, as :meth:`classify` feeds it to the model.

        :func:`flowerlite.preprocessing.preprocess` with the model's size, normalisation and
        quantisation, except that a JPEG big enough (a phone photo) is decoded at a reduced scale
        first (:mod:`flowerlite._large_jpeg`).

        Args:
            image: a path, bytes, a binary file object, a PIL image or a numpy array.

        Returns:
            An array of shape ``info.input_shape`` (batch 1) and dtype ``info.input_dtype``.

        Raises:
            ImageNotFoundError: ``image`` is a path that does not exist.
            ImageDecodeError: the data is unreadable, truncated or not an image.
            ImageTooLargeError: the image has more than ``max_pixels`` pixels.
        """
        info = self._info
        short_target = round(max(info.input_size) / preprocessing.CROP_FRACTION)
        reduced = _large_jpeg.open_reduced(image, short_target, self._options.max_pixels)
        if reduced is not None:
            image = reduced
        tensor = preprocessing.preprocess(
            image, info.input_size, mean=info.mean, std=info.std, dtype=info.input_dtype,
            scale=info.input_scale, zero_point=info.input_zero_point, channels=info.input_shape[3],
            max_pixels=self._options.max_pixels,
        )
        return tensor[None]

    def scores(self, batch: np.ndarray) -> np.ndarray:
        """Dequantised probabilities of an already preprocessed batch.

        The batch runs in chunks of at most ``max_batch_size`` images; a model whose graph is
        tied to batch 1 runs them one by one.

        Args:
            batch: the input dtype and shape (N, height, width, channels): outputs of
                :meth:`preprocess` concatenated; stacked ones, (N, 1, height, width, channels),
                and a single (height, width, channels) tensor are accepted too.

        Returns:
            A float32 array of shape (N, classes), in output-index order.

        Raises:
            ValueError: the batch's shape or dtype is not the model input's.
            ClassifierClosedError: the classifier was closed.
            UnsupportedModelError: the runtime fails to run the model.
        """
        info = self._info
        batch = np.asarray(batch)
        if batch.ndim == 3:
            batch = batch[None]
        elif batch.ndim == 5 and batch.shape[1] == 1:
            batch = batch[:, 0]
        if batch.shape[1:] != info.input_shape[1:] or batch.dtype != np.dtype(info.input_dtype):
            raise ValueError(
                f"expected a batch of shape (N, {', '.join(map(str, info.input_shape[1:]))}) and dtype "
                f"{info.input_dtype}; received {batch.shape} {batch.dtype} (use Classifier.preprocess)"
            )
        if batch.shape[0] == 0:
            return np.zeros((0, info.num_classes), np.float32)
        step = self._options.max_batch_size
        raw = np.concatenate([self._session.run(batch[i : i + step]) for i in range(0, len(batch), step)])
        if info.output_dtype == "float32":
            return raw.astype(np.float32)
        return ((raw.astype(np.float32) - info.output_zero_point) * np.float32(info.output_scale)).astype(np.float32)

    def classify(
        self,
        image: preprocessing.ImageSource,
        *,
        top_k: int | None | object = _UNSET,
        score_threshold: float | None = None,
        max_results: int | None | object = _UNSET,
    ) -> list[Category]:
        """Classifies one image.

        Args:
            image: a path, bytes, a binary file object, a PIL image or a numpy array.
            top_k: at most this many categories (``None``: all); default: the classifier's option.
            score_threshold: no category scoring below this; ``None``: the classifier's option, else
                the model's own threshold.
            max_results: MediaPipe's name for ``top_k`` (used when ``top_k`` is not given).

        Returns:
            The categories by descending score, equal scores in index order
            (:func:`flowerlite.contract.top_k_indices`).

        Raises:
            ImageNotFoundError, ImageDecodeError, ImageTooLargeError: the image cannot be used.
            ClassifierClosedError: the classifier was closed.
            UnsupportedModelError: the runtime fails to run the model.
            TypeError, ValueError: ``top_k`` or ``score_threshold`` has the wrong type or value.
        """
        top_k, threshold = self._limits(top_k, max_results, score_threshold)
        return self._categories(self.scores(self.preprocess(image))[0], top_k, threshold)

    def classify_batch(
        self,
        images: Iterable[preprocessing.ImageSource],
        *,
        top_k: int | None | object = _UNSET,
        score_threshold: float | None = None,
        max_results: int | None | object = _UNSET,
    ) -> list[list[Category]]:
        """Classifies several images: the same results as :meth:`classify` on each, in order.

        Decoding overlaps inference: a few threads decode the next images while the
        model runs each one alone, as :meth:`classify` does (so the scores are
        bit-identical to it). Memory stays flat however many images are given.
        :meth:`scores` runs prepared batches.

        Args:
            images: any iterable of images (paths, bytes, PIL images, arrays, ...).
            top_k, score_threshold, max_results: as in :meth:`classify`, for every image.

        Returns:
            One list of categories per image, in the order given.

        Raises:
            ImageNotFoundError, ImageDecodeError, ImageTooLargeError: the first image that cannot be used.
            ClassifierClosedError: the classifier was closed.
            UnsupportedModelError: the runtime fails to run the model.
            TypeError, ValueError: ``top_k`` or ``score_threshold`` has the wrong type or value.
        """
        return [result.categories for result in self.classify_iter(
            images, top_k=top_k, score_threshold=score_threshold, max_results=max_results)]

    def classify_iter(
        self,
        images: Iterable[preprocessing.ImageSource],
        *,
        top_k: int | None | object = _UNSET,
        score_threshold: float | None = None,
        max_results: int | None | object = _UNSET,
        errors: str = "raise",
    ) -> Iterator[ImageResult]:
        """Classifies images as :meth:`classify_batch` does, yielding a result per image in order.

        ``images`` is read lazily (a generator of paths works), a few images ahead.

        Args:
            images: any iterable of images (paths, bytes, PIL images, arrays, ...).
            top_k, score_threshold, max_results: as in :meth:`classify`, for every image.
            errors: ``"raise"`` (default): an image that cannot be used raises its error when its
                turn comes; ``"return"``: it yields a result whose ``error`` is that
                ``FlowerliteError``, and the others go on.

        Returns:
            An iterator of :class:`ImageResult`, one per image, in the order given.

        Raises:
            ValueError: ``errors`` is neither ``"raise"`` nor ``"return"`` (at the call).
            TypeError, ValueError: ``top_k`` or ``score_threshold`` has the wrong type or value (at the call).
            ImageNotFoundError, ImageDecodeError, ImageTooLargeError: while iterating, with ``errors="raise"``.
            ClassifierClosedError, UnsupportedModelError: while iterating.
        """
        if errors not in ("raise", "return"):
            raise ValueError(f"errors must be 'raise' or 'return'; received errors={errors!r}")
        top_k, threshold = self._limits(top_k, max_results, score_threshold)
        return _stream.classify_stream(self, images, top_k, threshold, raise_errors=errors == "raise")

    def _limits(self, top_k, max_results, score_threshold):
        if top_k is _UNSET:
            top_k = max_results
        if top_k is _UNSET:
            top_k = self._options.top_k
        threshold = self._options.score_threshold if score_threshold is None else score_threshold
        check_limits(top_k, threshold)
        return top_k, self._info.score_threshold if threshold is None else threshold

    def _categories(self, row: np.ndarray, top_k: int | None, threshold: float) -> list[Category]:
        # Scores at or above the threshold are a prefix of this order: build only the top_k Categories.
        order = top_k_indices(row, top_k)
        labels = self._info.labels
        return [Category(int(i), float(row[i]), labels[i]) for i in order if row[i] >= threshold]

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Releases the interpreter; afterwards every inference raises ClassifierClosedError.

        Closing twice is harmless; ``with Classifier(...) as clf:`` closes on leaving the block.
        """
        self._session.close()

    def __enter__(self) -> Classifier:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

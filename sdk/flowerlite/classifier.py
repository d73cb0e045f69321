"""The image classifier: load a flower ``.tflite`` model once, classify many images.

Example::

    import flowerlite

    with flowerlite.Classifier("models/flowerlite-efficientnet_lite0-int8.tflite", top_k=3) as clf:
        for category in clf.classify("rose.jpg"):
            print(category.label, round(category.score, 3))
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import threading
import weakref
from collections.abc import Iterable, Iterator

import numpy as np

from . import _default_model, _files, _large_jpeg, _probe, _runtime, _stream, _tflite_model, metadata, preprocessing
from .containers import Category, ClassifierOptions, ImageResult, ModelInfo
from .contract import top_k_indices
from .errors import (
    ClassifierClosedError,
    LabelError,
    MetadataError,
    UnsupportedModelError,
)

__all__ = ["Category", "ClassifierOptions", "ImageResult", "ModelInfo", "Classifier"]

_INPUT_DTYPES = ("float32", "uint8", "int8")
_UNSET = object()
MIN_INPUT_SIDE = 16
"""Models asking for smaller input images are refused (a tampered or foreign shape)."""
MAX_INPUT_SIDE = 1024
"""Models asking for larger input images are refused (a 4096x4096 input took 2.1 GB)."""
_OUTPUT_DTYPES = ("float32", "uint8", "int8")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_positive_int(value, message: str) -> None:
    """TypeError for a non-integer (or a bool), ValueError for one below 1; ``message`` names the option."""
    if not _is_int(value):
        raise TypeError(message)
    if value < 1:
        raise ValueError(message)


def _check_limits(top_k, score_threshold) -> None:
    if top_k is not None:
        _check_positive_int(top_k, f"top_k must be a positive integer or None; received top_k={top_k!r}")
    if score_threshold is not None and not _is_number(score_threshold):
        raise TypeError(f"score_threshold must be a finite number or None; received {score_threshold!r}")
    if score_threshold is not None and not math.isfinite(score_threshold):
        raise ValueError(f"score_threshold must be a finite number; received {score_threshold!r}")


def _check_options(options: ClassifierOptions) -> None:
    """Checks every option's type and value (TypeError / ValueError naming the option)."""
    for name in ("model_path", "labels_path"):
        value = getattr(options, name)
        if value is not None and not isinstance(value, (str, bytes, os.PathLike)):
            raise TypeError(f"{name} must be a path (str or os.PathLike) or None; "
                            f"received {value!r} ({type(value).__name__})")
    if options.runtime is not None and not isinstance(options.runtime, str):
        raise TypeError(f"runtime must be a runtime name (str) or None; received {options.runtime!r}")
    _check_limits(options.top_k, options.score_threshold)
    threads = options.num_threads
    if threads is not None:
        _check_positive_int(threads, f"num_threads must be a positive integer or None; received {threads!r}")
    if threads is not None and threads > _runtime.max_threads():
        raise ValueError(
            f"num_threads={threads} is more than this machine can use: at most {_runtime.max_threads()} "
            f"({_runtime.THREADS_PER_CPU} per usable CPU, {_runtime.usable_cpus()} here); "
            "pass a smaller number or None"
        )
    if options.max_pixels is not None:
        _check_positive_int(options.max_pixels,
                            f"max_pixels must be a positive integer or None; received {options.max_pixels!r}")
    _check_positive_int(options.max_batch_size,
                        f"max_batch_size must be a positive integer; received {options.max_batch_size!r}")
    if not isinstance(options.safe_load, bool):
        raise TypeError(f"safe_load must be True or False; received {options.safe_load!r}")
    if (options.mean is None) != (options.std is None):
        raise ValueError("give both mean and std, or neither")
    for name in ("mean", "std"):
        values = getattr(options, name)
        if values is None:
            continue
        if (isinstance(values, (str, bytes, Iterator)) or not isinstance(values, Iterable)
                or not all(map(_is_number, values))):
            raise TypeError(f"{name} must be a sequence of numbers (one, or one per channel); received {values!r}")
        floats = [float(v) for v in values]
        if not floats or not all(map(math.isfinite, floats)) or (name == "std" and min(floats) <= 0):
            raise ValueError(f"{name} must hold finite numbers{', all positive' if name == 'std' else ''}; "
                             f"received {values!r}")


def _read_labels(path: str) -> tuple[str, ...]:
    try:
        raw = _files.read_bounded(path, _files.MAX_LABELS_BYTES)
    except FileNotFoundError:
        raise LabelError(f"labels file not found: {path}; check the path") from None
    except _files.NotRegularFileError as exc:
        raise LabelError(f"labels path {path} is a {exc.kind}, not a regular file; "
                         "pass a text file with one label per line") from None
    except _files.FileTooLargeError as exc:
        raise LabelError(f"labels file {path} is {exc.size} bytes, over flowerlite's limit of "
                         f"{exc.limit} bytes (8 MiB); pass a text file with one label per line") from None
    except OSError as exc:
        raise LabelError(f"cannot read labels file {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LabelError(f"labels file {path} is not UTF-8 text; save it as UTF-8, one label per line") from None
    labels = metadata.parse_labels(text)
    if not labels:
        raise LabelError(f"labels file {path} is empty; write one label per line")
    return labels


def _check_image_classifier(structure, path: str):
    if len(structure.inputs) != 1 or len(structure.outputs) != 1:
        raise UnsupportedModelError(
            f"{path} is not an image classifier: it has {len(structure.inputs)} inputs and "
            f"{len(structure.outputs)} outputs (expected one image input and one score output)"
        )
    image, scores = structure.inputs[0], structure.outputs[0]
    shape = list(image.shape)
    if len(shape) != 4 or shape[0] != 1 or shape[3] not in (1, 3) or min(shape) < 1:
        raise UnsupportedModelError(
            f"{path} is not an image classifier: input shape {shape} (expected [1, height, width, 3])"
        )
    if not MIN_INPUT_SIDE <= min(shape[1], shape[2]) <= max(shape[1], shape[2]) <= MAX_INPUT_SIDE:
        raise UnsupportedModelError(
            f"{path} asks for {shape[1]}x{shape[2]} input images; flowerlite supports "
            f"{MIN_INPUT_SIDE} to {MAX_INPUT_SIDE} pixels a side (is the model's input shape damaged?)"
        )
    if image.dtype not in _INPUT_DTYPES:
        raise UnsupportedModelError(f"{path} has a {image.dtype} input; flowerlite supports {_INPUT_DTYPES}")
    out = list(scores.shape)
    if len(out) < 2 or math.prod(out[:-1]) != 1 or out[-1] < 1:
        raise UnsupportedModelError(
            f"{path} is not an image classifier: output shape {out} (expected [1, number of classes])"
        )
    if scores.dtype not in _OUTPUT_DTYPES:
        raise UnsupportedModelError(f"{path} has a {scores.dtype} output; flowerlite supports {_OUTPUT_DTYPES}")
    for spec, what in ((image, "input"), (scores, "output")):
        if spec.dtype != "float32" and len(spec.scales) != 1:
            raise UnsupportedModelError(f"{path} has a {spec.dtype} {what} without per-tensor quantisation")
    return image, scores


class Classifier:
    """Classifies images with a TFLite image-classification model.

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
        _check_options(opts)
        self._options = opts
        self._lock = threading.Lock()
        self._interpreter = None
        self._closed = False

        path = os.fsdecode(opts.model_path) if opts.model_path is not None else str(_default_model.find())
        data = _files.read_model(path)
        structure = _tflite_model.parse_model(data, path)
        image, scores = _check_image_classifier(structure, path)
        meta = metadata._read(data, structure, path)
        if meta is not None and meta.score_type == "calibrated":
            raise UnsupportedModelError(
                f"{path} asks for score calibration in its metadata, which flowerlite does not apply; "
                "export the model without ScoreCalibration"
            )
        num_classes = scores.shape[-1]
        labels, labels_source = self._resolve_labels(opts, meta, path, num_classes)
        mean, std, norm_source = self._resolve_normalization(opts, meta, image, path)

        rt = _runtime.load_runtime(opts.runtime)
        self._runtime_name = f"{rt.name} {rt.version}"
        self._path = path
        if opts.safe_load:
            _probe.check(data, rt.name, rt.version, path)
        self._data = data  # the interpreter reads from this buffer: keep it alive
        self._interpreter_class = rt.interpreter_class
        interpreter = self._new_interpreter()
        in_detail = interpreter.get_input_details()[0]
        out_detail = interpreter.get_output_details()[0]
        self._interpreter = interpreter
        _live.add(self)
        self._input_index = in_detail["index"]
        self._output_index = out_detail["index"]
        self._can_resize = True
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
        """Creates a classifier from a model file (``None``: the packaged default model)."""
        return cls(model_path, **kwargs)

    @classmethod
    def create_from_options(cls, options: ClassifierOptions) -> Classifier:
        """Creates a classifier from a :class:`ClassifierOptions`."""
        kwargs = dataclasses.asdict(options)
        return cls(kwargs.pop("model_path"), **kwargs)

    def _new_interpreter(self):
        try:
            interpreter = self._interpreter_class(model_content=self._data, num_threads=self._options.num_threads)
            interpreter.allocate_tensors()
            interpreter.get_input_details()[0]
            interpreter.get_output_details()[0]
        except (ValueError, RuntimeError, IndexError) as exc:
            raise self._runtime_error(exc, "load") from None
        self._batch = 1
        return interpreter

    @staticmethod
    def _resolve_labels(opts, meta, path, num_classes):
        if opts.labels_path is not None:
            source = os.fsdecode(opts.labels_path)
            labels = _read_labels(source)
        elif meta is not None and meta.labels:
            source, labels = f"{path} (metadata)", meta.labels
        else:
            raise LabelError(
                f"{path} has no label metadata; pass labels_path= (CLI: --labels) with one label per line"
            )
        if len(labels) != num_classes:
            raise LabelError(
                f"{source} has {len(labels)} labels but {path} outputs {num_classes} scores; "
                "use the label file that belongs to this model"
            )
        return labels, source

    @staticmethod
    def _resolve_normalization(opts, meta, image, path):
        channels = image.shape[-1]

        def per_channel(values):
            values = tuple(float(v) for v in values)
            if len(values) == 1:
                return values * channels
            if len(values) != channels:
                raise MetadataError(f"normalisation {values} does not match the {channels} input channels "
                                    f"of {path}")
            return values

        if opts.mean is not None:
            mean, std, source = per_channel(opts.mean), per_channel(opts.std), "options"
        elif meta is not None and meta.mean is not None:
            mean, std, source = per_channel(meta.mean), per_channel(meta.std), "metadata"
        elif image.dtype in ("uint8", "int8"):
            # As MediaPipe does for quantised inputs without metadata: feed the raw
            # pixel values (0..255, shifted to -128..127 for int8).
            scale, zero = image.scales[0], image.zero_points[0]
            offset = -128 if image.dtype == "int8" else 0
            mean, std, source = (float(zero - offset),) * channels, (1.0 / scale,) * channels, "raw pixels"
        else:
            raise MetadataError(
                f"{path} has a float32 input but no normalisation metadata; pass mean= and std= "
                "(e.g. mean=(127.5,), std=(127.5,)) or add metadata with flowerlite.metadata.write_metadata"
            )
        if not all(math.isfinite(v) for v in mean + std) or any(s <= 0 for s in std):
            raise MetadataError(f"{path}: invalid normalisation mean={mean} std={std} ({source})")
        return mean, std, source

    # ------------------------------------------------------------------ properties

    @property
    def info(self) -> ModelInfo:
        """The model contract: shapes, dtypes, quantisation, labels, normalisation, runtime."""
        return self._info

    @property
    def options(self) -> ClassifierOptions:
        return self._options

    @property
    def labels(self) -> tuple[str, ...]:
        return self._info.labels

    def __repr__(self) -> str:
        info = self._info
        return (f"Classifier({info.model_path!r}, input={list(info.input_shape)} {info.input_dtype}, "
                f"classes={info.num_classes}, runtime={info.runtime} {info.runtime_version})")

    # ------------------------------------------------------------------ inference

    def preprocess(self, image: preprocessing.ImageSource) -> np.ndarray:
        """The exact input tensor for ``image``: shape ``input_shape`` (batch 1), input dtype.

        :func:`flowerlite.preprocessing.preprocess`, except that a JPEG big enough (a phone
        photo) is decoded at a reduced scale first (:mod:`flowerlite._large_jpeg`).
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
        """Dequantised probabilities, shape (N, classes), for an already preprocessed batch.

        ``batch`` has the input dtype and shape (N, height, width, channels): outputs
        of :meth:`preprocess` concatenated; stacked ones, (N, 1, height, width,
        channels), and a single (height, width, channels) tensor are accepted too.
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
        raw = np.concatenate([self._invoke(batch[i : i + step]) for i in range(0, len(batch), step)])
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
        """Classifies one image: categories sorted by score, at most ``top_k``, none below ``score_threshold``.

        ``top_k`` and ``score_threshold`` override the classifier's options for
        this call (``max_results`` is MediaPipe's name for ``top_k``).

        Raises:
            ImageNotFoundError, ImageDecodeError, ImageTooLargeError: the image cannot be used.
            ClassifierClosedError: the classifier was closed.
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
        bit-identical to it). Memory stays flat however many images are given, and
        ``images`` may be any iterable. :meth:`scores` runs prepared batches.

        Raises:
            ImageNotFoundError, ImageDecodeError, ImageTooLargeError: the first image that cannot be used.
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
        """Classifies images as :meth:`classify_batch` does, yielding an :class:`ImageResult` per image in order.

        ``images`` is read lazily (a generator of paths works). With
        ``errors="return"``, an image that cannot be used yields a result whose
        ``error`` is its ``FlowerliteError`` and the others go on; with ``"raise"``
        (default) that error is raised when its turn comes.
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
        _check_limits(top_k, threshold)
        return top_k, self._info.score_threshold if threshold is None else threshold

    def _categories(self, row: np.ndarray, top_k: int | None, threshold: float) -> list[Category]:
        # Scores at or above the threshold are a prefix of this order: build only the top_k Categories.
        order = top_k_indices(row, top_k)
        labels = self._info.labels
        return [Category(int(i), float(row[i]), labels[i]) for i in order if row[i] >= threshold]

    def _runtime_error(self, exc: Exception, action: str) -> UnsupportedModelError:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return UnsupportedModelError(
            f"{self._runtime_name} cannot {action} {self._path}: {reason}; the model is damaged, "
            "uses operators this runtime lacks, or needs a newer runtime"
        )

    def _invoke(self, batch: np.ndarray) -> np.ndarray:
        with self._lock:
            if self._closed:
                raise ClassifierClosedError(f"this Classifier of {self._path} is closed; create a new one")
            if self._interpreter is None:  # the first use in a forked child: a fresh interpreter
                self._interpreter = self._new_interpreter()
            n = len(batch)
            if n > 1 and self._can_resize:
                try:
                    return self._run(batch)
                except (ValueError, RuntimeError):
                    # The model's graph is tied to batch 1 (e.g. a fixed reshape): run one by one.
                    self._can_resize = False
            try:
                return np.concatenate([self._run(batch[i : i + 1]) for i in range(n)])
            except (ValueError, RuntimeError) as exc:
                raise self._runtime_error(exc, "run") from None

    def _run(self, batch: np.ndarray) -> np.ndarray:
        """Runs one batch; the caller holds the lock."""
        interpreter = self._interpreter
        n = len(batch)
        if n != self._batch:
            try:
                interpreter.resize_tensor_input(self._input_index, [n, *self._info.input_shape[1:]])
                interpreter.allocate_tensors()
                self._batch = n
            except (ValueError, RuntimeError):
                self._restore_batch_one()
                raise
        interpreter.set_tensor(self._input_index, np.ascontiguousarray(batch))
        interpreter.invoke()
        out = interpreter.get_tensor(self._output_index)
        expected = (n, self._info.num_classes)
        if out.size != n * self._info.num_classes:
            self._restore_batch_one()
            raise ValueError(f"batched output has shape {out.shape}, expected {expected}")
        return out.reshape(expected).copy()

    def _restore_batch_one(self) -> None:
        self._interpreter.resize_tensor_input(self._input_index, list(self._info.input_shape))
        self._interpreter.allocate_tensors()
        self._batch = 1

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Releases the interpreter; the classifier cannot be used afterwards."""
        with self._lock:
            self._interpreter = None
            self._closed = True
        _live.discard(self)

    def __enter__(self) -> Classifier:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# Forking while another thread holds a classifier's lock (mid-inference) left the child
# waiting on a lock no thread would release, and the runtime's worker threads do not
# exist in a child either. So a child gets fresh locks, and each classifier builds a
# new interpreter on its first use there. The parent's interpreters are kept, never
# destroyed in the child: their destructors would wait for threads the child lacks.
_live: weakref.WeakSet[Classifier] = weakref.WeakSet()
_inherited: list = []


def _after_fork_in_child() -> None:
    for classifier in list(_live):
        classifier._lock = threading.Lock()
        if classifier._interpreter is not None:
            _inherited.append(classifier._interpreter)
            classifier._interpreter = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

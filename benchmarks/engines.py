"""The ways a job classifies an image: the SDK, the bare interpreter and MediaPipe (imported lazily).

Every engine answers the same four calls, so the worker times them identically:
`classify(path)` (decode + preprocess + invoke + top-k), `prepare(path)` then `invoke(prepared)`
(the runtime alone), and `classify_batch(paths)`.  None of this module imports TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from flowerlite.contract import top_k_indices

__all__ = ["ENGINES", "Preprocessing", "create_engine", "import_interpreter", "import_modules"]

ENGINES = ("sdk", "bare", "mediapipe")


@dataclass(frozen=True)
class Preprocessing:
    """The model contract the bare baseline needs, read once from the model's metadata by the harness."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    crop_fraction: float


def import_interpreter(runtime: str) -> tuple[type, str]:
    """The Interpreter class of a TFLite runtime ("ai-edge-litert" or "tflite-runtime") and its version."""
    import importlib.metadata

    if runtime == "ai-edge-litert":
        from ai_edge_litert.interpreter import Interpreter
    elif runtime == "tflite-runtime":
        from tflite_runtime.interpreter import Interpreter
    else:
        raise ValueError(f"Unknown runtime. Received: runtime={runtime!r}; expected ai-edge-litert or tflite-runtime")
    return Interpreter, importlib.metadata.version(runtime)


def import_modules(engine: str, runtime: str | None) -> None:
    """Import what an engine needs (PIL, the runtime, the SDK or MediaPipe) so that loading is timed alone."""
    import PIL.Image  # noqa: F401

    if engine == "mediapipe":
        from mediapipe.tasks.python import vision  # noqa: F401
        return
    if engine == "sdk":
        import flowerlite  # noqa: F401
    if runtime:
        import_interpreter(runtime)


def _top_k(scores: np.ndarray, k: int) -> list[int]:
    # The SDK's order (quantised outputs tie often, and ties go to the lower label), from its one owner.
    return top_k_indices(scores, k).tolist()


class BareEngine:
    """The runtime's Interpreter with the simplest correct preprocessing: the baseline the SDK is measured against.

    PIL decode, resize the shorter side to size / crop_fraction (bilinear), centre crop, normalise
    with the metadata's mean/std, quantise with the input tensor's scale/zero point, invoke, argsort.
    """

    def __init__(self, model_path: str, runtime: str, threads: int, preprocessing: Preprocessing, k: int = 5):
        interpreter_class, self.runtime_version = import_interpreter(runtime)
        self.runtime = runtime
        self._interpreter_class = interpreter_class
        self._model_path = model_path
        self._threads = threads
        self._k = k
        self._mean = np.asarray(preprocessing.mean, dtype=np.float32)
        self._std = np.asarray(preprocessing.std, dtype=np.float32)
        self._crop_fraction = preprocessing.crop_fraction
        self._interpreter = self._new_interpreter(None)
        detail = self._interpreter.get_input_details()[0]
        self._height, self._width = int(detail["shape"][1]), int(detail["shape"][2])
        self._dtype = detail["dtype"]
        self._scale, self._zero_point = detail["quantization"]
        self._batched: dict[int, Any] = {}

    def _new_interpreter(self, batch: int | None):
        interpreter = self._interpreter_class(model_path=self._model_path, num_threads=self._threads)
        if batch is not None:
            detail = interpreter.get_input_details()[0]
            interpreter.resize_tensor_input(detail["index"], [batch, *detail["shape"][1:]])
        interpreter.allocate_tensors()
        return interpreter

    def _pixels(self, path: str) -> np.ndarray:
        from PIL import Image

        with Image.open(path) as image:
            image = image.convert("RGB")
        short = round(min(self._height, self._width) / self._crop_fraction)
        scale = short / min(image.size)
        image = image.resize((max(short, round(image.width * scale)), max(short, round(image.height * scale))), Image.BILINEAR)
        left, top = (image.width - self._width) // 2, (image.height - self._height) // 2
        return np.asarray(image.crop((left, top, left + self._width, top + self._height)))

    def prepare(self, path: str) -> np.ndarray:
        """The model's input tensor (1 x H x W x 3) for the image at `path`."""
        x = (self._pixels(path).astype(np.float32) - self._mean) / self._std
        if self._dtype != np.float32:
            info = np.iinfo(self._dtype)
            x = np.clip(np.round(x / self._scale + self._zero_point), info.min, info.max).astype(self._dtype)
        return x[None]

    def _run(self, interpreter, x: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])

    def invoke(self, prepared: np.ndarray) -> np.ndarray:
        """Raw output scores of one prepared input."""
        return self._run(self._interpreter, prepared)[0]

    def classify(self, path: str) -> list[int]:
        """Top-k labels of one image file."""
        return _top_k(self.invoke(self.prepare(path)), self._k)

    def classify_batch(self, paths: Sequence[str]) -> list[list[int]]:
        """Top-k labels of several images in one invoke of a batch-sized interpreter."""
        n = len(paths)
        if n not in self._batched:
            try:
                self._batched[n] = self._new_interpreter(n)
            except (ValueError, RuntimeError):  # a graph fixed to batch 1: one invoke per image, as the SDK does
                self._batched[n] = None
        if self._batched[n] is None:
            return [self.classify(p) for p in paths]
        scores = self._run(self._batched[n], np.concatenate([self.prepare(p) for p in paths]))
        return [_top_k(row, self._k) for row in scores]

    def close(self) -> None:
        """Release the interpreters."""
        self._interpreter = None
        self._batched.clear()


class SdkEngine:
    """flowerlite.Classifier through its public API only."""

    def __init__(self, model_path: str, runtime: str | None, threads: int, k: int = 5):
        import flowerlite

        # Threshold 0: every engine returns exactly k classes (top-k accuracy needs all k), whatever
        # score threshold the model's metadata carries.
        self._classifier = flowerlite.Classifier(model_path, runtime=runtime, num_threads=threads, top_k=k,
                                                 score_threshold=0.0)
        self.runtime, self.runtime_version = self._classifier.info.runtime, self._classifier.info.runtime_version

    def prepare(self, path: str) -> np.ndarray:
        """The input tensor the SDK feeds the model for one image."""
        return self._classifier.preprocess(path)

    def invoke(self, prepared: np.ndarray) -> np.ndarray:
        """Probabilities of one prepared input."""
        return self._classifier.scores(prepared)

    def classify(self, path: str) -> list[int]:
        """Top-k labels of one image file."""
        return [c.index for c in self._classifier.classify(path)]

    def classify_batch(self, paths: Sequence[str]) -> list[list[int]]:
        """Top-k labels of several image files in one call."""
        return [[c.index for c in result] for result in self._classifier.classify_batch(paths)]

    def classify_all(self, paths: Sequence[str]) -> list[list[int]]:
        """Top-k labels of many image files: `classify_batch` decodes ahead on its own threads and runs bounded batches."""
        return self.classify_batch(paths)

    def close(self) -> None:
        """Release the classifier."""
        self._classifier.close()


class MediaPipeEngine:
    """MediaPipe Tasks' ImageClassifier: decodes with MediaPipe, preprocesses from the model's metadata."""

    def __init__(self, model_path: str, k: int = 5):
        import importlib.metadata

        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        # MediaPipe applies the metadata's score threshold whatever is passed here (0 and negative values
        # tried), so it may return fewer than k classes; the harness uses its top-1 only.
        options = vision.ImageClassifierOptions(base_options=BaseOptions(model_asset_path=model_path), max_results=k)
        self._classifier = vision.ImageClassifier.create_from_options(options)
        self.runtime, self.runtime_version = "mediapipe", importlib.metadata.version("mediapipe")

    def prepare(self, path: str):
        """A decoded MediaPipe image (MediaPipe has no separate preprocess step to time)."""
        return self._mp.Image.create_from_file(path)

    def invoke(self, prepared) -> Any:
        """Classify a decoded image: MediaPipe's preprocessing plus the invoke."""
        return self._classifier.classify(prepared)

    def classify(self, path: str) -> list[int]:
        """Top-k labels of one image file."""
        result = self._classifier.classify(self._mp.Image.create_from_file(path))
        return [c.index for c in result.classifications[0].categories]

    def classify_batch(self, paths: Sequence[str]) -> list[list[int]]:
        """MediaPipe has no batch API: one call per image."""
        return [self.classify(p) for p in paths]

    def close(self) -> None:
        """Release the MediaPipe graph."""
        self._classifier.close()


def create_engine(engine: str, model_path: str, runtime: str | None, threads: int, preprocessing: Preprocessing | None, k: int = 5):
    """Build the engine a job names."""
    if engine == "bare":
        if preprocessing is None:
            raise ValueError("The bare engine needs the model's preprocessing (mean, std, crop fraction)")
        return BareEngine(model_path, runtime or "ai-edge-litert", threads, preprocessing, k)
    if engine == "sdk":
        return SdkEngine(model_path, runtime, threads, k)
    if engine == "mediapipe":
        return MediaPipeEngine(model_path, k)
    raise ValueError(f"Unknown engine. Received: engine={engine!r}; expected one of {', '.join(ENGINES)}")

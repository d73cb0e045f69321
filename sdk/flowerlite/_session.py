"""The interpreter session: one TFLite interpreter behind a lock, run at any batch size, safe across a fork.

Preprocessing may run on many threads; inference is serialised here. A batch is run by resizing the
interpreter's input to it; a model whose graph is tied to batch 1 (e.g. a fixed reshape) falls back to
running the images one by one, for good.
"""

from __future__ import annotations

import os
import threading
import weakref

import numpy as np

from .errors import ClassifierClosedError, UnsupportedModelError

__all__ = ["InterpreterSession"]


class InterpreterSession:
    """A locked interpreter of one model: :meth:`run` raw outputs for input batches, :meth:`close` to release it.

    Args:
        interpreter_class: the runtime's ``Interpreter``.
        data: the model's bytes (kept alive here: the interpreter reads from this buffer).
        num_threads: interpreter threads, or None.
        num_classes: the scores a row of output holds.
        runtime_name: ``"<runtime> <version>"``, and ``path`` the model's: both for error messages.

    Raises:
        UnsupportedModelError: the runtime cannot load the model.
    """

    def __init__(self, interpreter_class, data: bytes, num_threads: int | None, num_classes: int,
                 runtime_name: str, path: str) -> None:
        self._interpreter_class = interpreter_class
        self._data = data
        self._num_threads = num_threads
        self._num_classes = num_classes
        self._runtime_name = runtime_name
        self._path = path
        self._lock = threading.Lock()
        self._closed = False
        self._interpreter = None
        interpreter = self._new_interpreter()
        self.input_detail = interpreter.get_input_details()[0]
        self.output_detail = interpreter.get_output_details()[0]
        self._interpreter = interpreter
        _live.add(self)
        self._input_index = self.input_detail["index"]
        self._output_index = self.output_detail["index"]
        self._input_shape = tuple(int(d) for d in self.input_detail["shape"])
        self.can_resize = True
        """False once a batch failed: the model's graph is tied to batch 1, so batches run one by one."""

    def _new_interpreter(self):
        try:
            interpreter = self._interpreter_class(model_content=self._data, num_threads=self._num_threads)
            interpreter.allocate_tensors()
            interpreter.get_input_details()[0]
            interpreter.get_output_details()[0]
        except (ValueError, RuntimeError, IndexError) as exc:
            raise self._runtime_error(exc, "load") from None
        self._batch = 1
        return interpreter

    def _runtime_error(self, exc: Exception, action: str) -> UnsupportedModelError:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return UnsupportedModelError(
            f"{self._runtime_name} cannot {action} {self._path}: {reason}; the model is damaged, "
            "uses operators this runtime lacks, or needs a newer runtime"
        )

    def run(self, batch: np.ndarray) -> np.ndarray:
        """The raw outputs, shape (N, classes), of a prepared batch (the input's dtype and shape).

        Raises:
            ClassifierClosedError: the session was closed.
            UnsupportedModelError: the runtime fails on the model.
        """
        with self._lock:
            if self._closed:
                raise ClassifierClosedError(f"this Classifier of {self._path} is closed; create a new one")
            if self._interpreter is None:  # the first use in a forked child: a fresh interpreter
                self._interpreter = self._new_interpreter()
            n = len(batch)
            if n > 1 and self.can_resize:
                try:
                    return self._run(batch)
                except (ValueError, RuntimeError):
                    # The model's graph is tied to batch 1 (e.g. a fixed reshape): run one by one.
                    self.can_resize = False
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
                interpreter.resize_tensor_input(self._input_index, [n, *self._input_shape[1:]])
                interpreter.allocate_tensors()
                self._batch = n
            except (ValueError, RuntimeError):
                self._restore_batch_one()
                raise
        interpreter.set_tensor(self._input_index, np.ascontiguousarray(batch))
        interpreter.invoke()
        out = interpreter.get_tensor(self._output_index)
        expected = (n, self._num_classes)
        if out.size != n * self._num_classes:
            self._restore_batch_one()
            raise ValueError(f"batched output has shape {out.shape}, expected {expected}")
        return out.reshape(expected).copy()

    def _restore_batch_one(self) -> None:
        self._interpreter.resize_tensor_input(self._input_index, list(self._input_shape))
        self._interpreter.allocate_tensors()
        self._batch = 1

    def close(self) -> None:
        """Releases the interpreter; :meth:`run` raises ClassifierClosedError afterwards."""
        with self._lock:
            self._interpreter = None
            self._closed = True
        _live.discard(self)


# Forking while another thread holds a session's lock (mid-inference) left the child
# waiting on a lock no thread would release, and the runtime's worker threads do not
# exist in a child either. So a child gets fresh locks, and each session builds a
# new interpreter on its first use there. The parent's interpreters are kept, never
# destroyed in the child: their destructors would wait for threads the child lacks.
_live: weakref.WeakSet[InterpreterSession] = weakref.WeakSet()
_inherited: list = []


def _after_fork_in_child() -> None:
    for session in list(_live):
        session._lock = threading.Lock()
        if session._interpreter is not None:
            _inherited.append(session._interpreter)
            session._interpreter = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

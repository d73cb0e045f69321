"""flowerlite.Classifier: results, batches, threads, labels, options, runtimes and errors."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import threading

import numpy as np
import pytest

from conftest import CLASSIFIERS, LABELS, fixture_path, quadrant_array, random_images, runtime_installed
from flowerlite import (
    Category,
    Classifier,
    ClassifierClosedError,
    ClassifierOptions,
    FlowerliteError,
    ImageNotFoundError,
    InvalidModelError,
    LabelError,
    MetadataError,
    ModelNotFoundError,
    RuntimeUnavailableError,
    UnsupportedModelError,
    _default_model,
)
from flowerlite._tflite_model import parse_model
from flowerlite.preprocessing import preprocess


@pytest.fixture(scope="module", params=CLASSIFIERS)
def clf(request):
    with Classifier(fixture_path(request.param), top_k=None) as classifier:
        yield classifier


def test_classify_finds_the_bright_quadrant(clf):
    for quadrant in range(4):
        categories = clf.classify(quadrant_array(quadrant))
        assert categories[0] == Category(quadrant, categories[0].score, LABELS[quadrant])
        assert categories[0].score > 0.7
        assert [c.score for c in categories] == sorted((c.score for c in categories), reverse=True)
        assert sorted(c.index for c in categories) == [0, 1, 2, 3]
        assert abs(sum(c.score for c in categories) - 1.0) < 0.02  # dequantised probabilities


def test_grayscale_models_work_too():
    with Classifier(fixture_path("quadrants_gray_float32_metadata")) as clf:
        assert clf.info.input_shape == (1, 32, 32, 1)
        assert clf.classify(quadrant_array(3))[0].label == "bottom right"


def test_category_is_a_frozen_dataclass():
    category = Category(1, 0.5, "top right")
    with pytest.raises(dataclasses.FrozenInstanceError):
        category.score = 1.0  # type: ignore[misc]


def test_preprocess_returns_the_exact_input_tensor(clf):
    image = random_images(1, seed=5)[0]
    tensor = clf.preprocess(image)
    info = clf.info
    assert tensor.shape == info.input_shape and tensor.dtype == np.dtype(info.input_dtype)
    expected = preprocess(image, info.input_size, mean=info.mean, std=info.std, dtype=info.input_dtype,
                          scale=info.input_scale, zero_point=info.input_zero_point)
    assert np.array_equal(tensor[0], expected)


def test_batches_give_the_single_image_results(clf):
    images = random_images(7, seed=1) + [quadrant_array(q) for q in range(4)]
    singles = [clf.classify(image) for image in images]
    batched = clf.classify_batch(images)
    batch = np.concatenate([clf.preprocess(image) for image in images])
    rows = np.concatenate([clf.scores(clf.preprocess(image)) for image in images])
    if clf.info.output_dtype == "float32":  # batched float kernels may round the last bit differently
        assert [[c.index for c in r] for r in batched] == [[c.index for c in r] for r in singles]
        np.testing.assert_allclose(clf.scores(batch), rows, rtol=0, atol=1e-6)
    else:  # integer kernels: bit for bit
        assert batched == singles
        assert np.array_equal(clf.scores(batch), rows)


def test_batch_one_models_fall_back_to_one_by_one():
    with Classifier(fixture_path("quadrants_int8_batch1_metadata")) as clf:
        images = random_images(3, seed=2)
        batch = np.concatenate([clf.preprocess(image) for image in images])
        assert np.array_equal(clf.scores(batch), np.concatenate([clf.scores(clf.preprocess(i)) for i in images]))
        assert clf.classify_batch(images) == [clf.classify(image) for image in images]
        assert clf._session.can_resize is False  # the graph is fixed to batch 1: it looped
    with Classifier(fixture_path("quadrants_int8_metadata")) as clf:
        clf.scores(np.concatenate([clf.preprocess(image) for image in random_images(3, seed=2)]))
        assert clf._session.can_resize is True  # resized the input to the batch


def test_large_batches_run_in_chunks_with_the_same_results():
    images = random_images(10, seed=3)
    with Classifier(fixture_path("quadrants_int8_metadata"), max_batch_size=3) as clf:
        chunked = clf.classify_batch(images)
    with Classifier(fixture_path("quadrants_int8_metadata")) as clf:
        assert chunked == clf.classify_batch(images) == [clf.classify(image) for image in images]


def test_scores_accepts_concatenated_stacked_and_single_tensors(clf):
    tensors = [clf.preprocess(image) for image in random_images(3, seed=4)]
    expected = clf.scores(np.concatenate(tensors))
    assert expected.shape == (3, 4) and expected.dtype == np.float32
    np.testing.assert_allclose(clf.scores(np.stack(tensors)), expected, atol=1e-6)
    np.testing.assert_allclose(clf.scores(tensors[0][0]), expected[:1], atol=1e-6)
    assert clf.scores(np.zeros((0, 32, 32, 3), clf.info.input_dtype)).shape == (0, 4)


def test_scores_rejects_wrong_shapes_and_dtypes(clf):
    with pytest.raises(ValueError, match=r"expected a batch of shape \(N, 32, 32, 3\).*received \(2, 16, 16, 3\)"):
        clf.scores(np.zeros((2, 16, 16, 3), clf.info.input_dtype))
    with pytest.raises(ValueError, match="received .* float64"):
        clf.scores(np.zeros((1, 32, 32, 3), np.float64))


def test_one_classifier_can_be_shared_between_threads():
    images = random_images(12, seed=6)
    with Classifier(fixture_path("quadrants_int8_metadata")) as clf:
        expected = [clf.classify(image) for image in images]
        results: dict[int, list] = {}
        errors: list[BaseException] = []

        def work(worker: int) -> None:
            try:
                for round_ in range(5):
                    if (worker + round_) % 3 == 0:  # mix batches (input resizes) with singles
                        results[(worker, round_)] = clf.classify_batch(images)
                    else:
                        results[(worker, round_)] = [clf.classify(image) for image in images]
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors, errors
    assert len(results) == 40 and all(result == expected for result in results.values())


def test_top_k_and_score_threshold_limit_the_results():
    image = quadrant_array(1)
    with Classifier(fixture_path("quadrants_float32_metadata"), top_k=2) as clf:
        assert [c.label for c in clf.classify(image)] == ["top right", clf.classify(image)[1].label]
        assert len(clf.classify(image)) == 2
        assert len(clf.classify(image, top_k=None)) == 4
        assert len(clf.classify(image, max_results=3)) == 3  # MediaPipe's name
        assert [c.label for c in clf.classify(image, score_threshold=0.5)] == ["top right"]
        assert clf.classify(image, score_threshold=1.5) == []
        assert [len(r) for r in clf.classify_batch([image, image], top_k=1)] == [1, 1]
        with pytest.raises(ValueError, match="top_k must be a positive integer or None; received top_k=0"):
            clf.classify(image, top_k=0)
    with Classifier(fixture_path("quadrants_float32_metadata"), score_threshold=0.5, top_k=None) as clf:
        assert len(clf.classify(image)) == 1


def test_invalid_options_are_refused_with_the_value():
    path = fixture_path("quadrants_int8_metadata")
    with pytest.raises(ValueError, match="num_threads must be a positive integer or None; received 0"):
        Classifier(path, num_threads=0)
    with pytest.raises(ValueError, match="score_threshold must be a finite number; received nan"):
        Classifier(path, score_threshold=float("nan"))
    with pytest.raises(TypeError, match=r"unknown Classifier option\(s\) \['colour'\]"):
        Classifier(path, colour="red")
    with pytest.raises(ValueError, match="give both mean and std"):
        Classifier(path, mean=(1.0,))


def test_info_describes_the_model_contract(clf, selected_runtime):
    info = clf.info
    assert info.input_shape == (1, 32, 32, 3) and info.input_size == (32, 32)
    assert info.output_shape == (1, 4) and info.labels == LABELS and info.num_classes == 4
    assert info.mean == (127.5,) * 3 and info.std == (127.5,) * 3 and info.normalization_source == "metadata"
    assert info.has_metadata and info.version == "1.0.0" and info.name.startswith("quadrants")
    if info.input_dtype == "uint8":
        assert 0 < info.input_scale < 1 and 0 <= info.input_zero_point <= 255
        assert info.output_dtype == "uint8" and info.output_scale == pytest.approx(1 / 256)
    else:
        assert info.input_dtype == info.output_dtype == "float32" and info.input_scale == 0.0
    assert info.runtime == (selected_runtime or "ai-edge-litert") and info.runtime_version
    assert json.loads(json.dumps(info.to_dict()))["labels"] == list(LABELS)
    assert "Classifier(" in repr(clf) and info.runtime in repr(clf)


def test_models_without_metadata_need_labels_and_float_ones_normalisation():
    labels = fixture_path("labels.txt")
    with pytest.raises(LabelError, match=r"quadrants_int8\.tflite has no label metadata; pass labels_path="):
        Classifier(fixture_path("quadrants_int8"))
    with pytest.raises(MetadataError, match="float32 input but no normalisation metadata; pass mean= and std="):
        Classifier(fixture_path("quadrants_float32"), labels_path=labels)
    image = quadrant_array(2)
    with Classifier(fixture_path("quadrants_float32"), labels_path=labels, mean=(127.5,), std=(127.5,)) as a, \
            Classifier(fixture_path("quadrants_float32_metadata")) as b:
        assert a.info.labels_source == labels and not a.info.has_metadata
        np.testing.assert_allclose(a.scores(a.preprocess(image)), b.scores(b.preprocess(image)), atol=1e-6)
    with Classifier(fixture_path("quadrants_int8"), labels_path=labels) as raw:
        # Quantised input without metadata: raw pixels, as MediaPipe does.
        assert raw.info.normalization_source == "raw pixels"
        assert raw.classify(image)[0].label == "bottom left"


def test_labels_file_beats_metadata_and_is_checked(tmp_path):
    renamed = tmp_path / "renamed.txt"
    renamed.write_text("\ufeffnorth-west\r\nnorth-east\r\nsouth-west\r\nsouth-east\r\n\r\n")
    with Classifier(fixture_path("quadrants_int8_metadata"), labels_path=renamed) as clf:
        assert clf.labels == ("north-west", "north-east", "south-west", "south-east")
    short = tmp_path / "short.txt"
    short.write_text("a\nb\nc\n")
    with pytest.raises(LabelError, match=r"short\.txt has 3 labels but .* outputs 4 scores"):
        Classifier(fixture_path("quadrants_int8_metadata"), labels_path=short)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(LabelError, match=r"labels file .*empty\.txt is empty"):
        Classifier(fixture_path("quadrants_int8"), labels_path=empty)
    with pytest.raises(LabelError, match=r"labels file not found: .*nope\.txt"):
        Classifier(fixture_path("quadrants_int8"), labels_path=tmp_path / "nope.txt")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(LabelError, match="not UTF-8"):
        Classifier(fixture_path("quadrants_int8"), labels_path=binary)


def test_model_errors_name_the_file_and_say_what_to_do(tmp_path):
    with pytest.raises(ModelNotFoundError, match=r"model file not found: .*missing\.tflite; check the path"):
        Classifier(tmp_path / "missing.tflite")
    with pytest.raises(ModelNotFoundError, match="is a directory"):
        Classifier(tmp_path)
    with pytest.raises(UnsupportedModelError,
                       match=r"not_a_classifier\.tflite is not an image classifier: input shape \[1, 8\]"):
        Classifier(fixture_path("not_a_classifier"), labels_path=fixture_path("labels.txt"))
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(pathlib.Path(fixture_path("quadrants_int8_metadata")).read_bytes()[:1000])
    with pytest.raises(InvalidModelError, match=r"truncated\.tflite is not a valid TFLite model"):
        Classifier(truncated)
    for error in (ModelNotFoundError, InvalidModelError, UnsupportedModelError, LabelError, MetadataError):
        assert issubclass(error, FlowerliteError)


def test_image_errors_come_through_classify(tmp_path):
    with Classifier(fixture_path("quadrants_int8_metadata")) as clf:
        with pytest.raises(ImageNotFoundError, match="nope.jpg"):
            clf.classify(tmp_path / "nope.jpg")


def test_close_and_context_manager():
    clf = Classifier.create_from_model_path(fixture_path("quadrants_int8_metadata"))
    with clf:
        clf.classify(quadrant_array(0))
    with pytest.raises(ClassifierClosedError, match="closed"):
        clf.classify(quadrant_array(0))
    clf.close()  # closing twice is harmless


def test_create_from_options_uses_every_option():
    options = ClassifierOptions(model_path=fixture_path("quadrants_float32_metadata"), top_k=1, num_threads=1)
    with Classifier.create_from_options(options) as clf:
        assert clf.options == options
        assert len(clf.classify(quadrant_array(0))) == 1


# ----------------------------------------------------------------- runtimes


def test_runtime_can_be_chosen_by_argument_and_environment(monkeypatch, selected_runtime):
    installed = [r for r in ("ai-edge-litert", "tflite-runtime") if runtime_installed(r)]
    if selected_runtime == "tflite-runtime":
        installed = ["tflite-runtime"]  # numpy 2 venvs cannot run it; this one can
    for runtime in installed:
        monkeypatch.setenv("FLOWERLITE_RUNTIME", runtime)
        with Classifier(fixture_path("quadrants_int8_metadata")) as clf:
            assert clf.info.runtime == runtime
        monkeypatch.delenv("FLOWERLITE_RUNTIME")
        alias = {"ai-edge-litert": "litert", "tflite-runtime": "tflite_runtime"}[runtime]
        with Classifier(fixture_path("quadrants_int8_metadata"), runtime=alias) as clf:
            assert clf.info.runtime == runtime


def test_unknown_and_missing_runtimes_raise_runtime_unavailable(monkeypatch):
    with pytest.raises(RuntimeUnavailableError, match="unknown runtime 'onnx'; choose one of ai-edge-litert"):
        Classifier(fixture_path("quadrants_int8_metadata"), runtime="onnx")
    missing = [r for r in ("ai-edge-litert", "tflite-runtime", "tensorflow") if not runtime_installed(r)]
    if not missing:
        pytest.skip("every runtime is installed here")
    monkeypatch.setenv("FLOWERLITE_RUNTIME", missing[0])
    with pytest.raises(RuntimeUnavailableError, match=rf"FLOWERLITE_RUNTIME={missing[0]}.*pip install"):
        Classifier(fixture_path("quadrants_int8_metadata"))
    assert issubclass(RuntimeUnavailableError, ImportError)


@pytest.mark.skipif(not runtime_installed("tensorflow"), reason="TensorFlow is not installed")
def test_tensorflow_lite_runtime_gives_the_same_results():
    image = quadrant_array(3)
    with Classifier(fixture_path("quadrants_int8_metadata"), runtime="tensorflow", safe_load=False) as tf_clf, \
            Classifier(fixture_path("quadrants_int8_metadata")) as clf:
        assert tf_clf.info.runtime == "tensorflow"
        assert [c.index for c in tf_clf.classify(image)] == [c.index for c in clf.classify(image)]


def sdk_env() -> dict:
    """The environment with this checkout's sdk/ importable (installed or not)."""
    sdk = str(pathlib.Path(__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (sdk, env.get("PYTHONPATH")) if p)
    if env.get("FLOWERLITE_RUNTIME") == "tensorflow":
        del env["FLOWERLITE_RUNTIME"]
    return env


def test_importing_and_using_flowerlite_never_imports_tensorflow_or_torch():
    code = (
        "import sys, flowerlite, numpy as np\n"
        f"clf = flowerlite.Classifier({fixture_path('quadrants_int8_metadata')!r})\n"
        "clf.classify(np.zeros((8, 8, 3), np.uint8))\n"
        "import flowerlite.metadata, flowerlite.preprocessing, flowerlite.cli\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'torch', 'keras'))\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=sdk_env(),
                            timeout=120, cwd=pathlib.Path(__file__).parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_import_flowerlite_alone_loads_neither_numpy_nor_pillow():
    code = "import sys, flowerlite; print(sorted(m for m in ('numpy', 'PIL') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=sdk_env())
    assert result.stdout.strip() == "[]", result.stderr


# ----------------------------------------------------------------- the default model


def test_without_a_released_model_the_default_classifier_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(_default_model, "candidates", lambda: [tmp_path / "models"])
    with pytest.raises(ModelNotFoundError, match=r"no default model: models/ has no released model yet .*"
                                                 r"pass a model path"):
        Classifier()


def test_the_default_classifier_loads_the_single_int8_model(monkeypatch, tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(fixture_path("quadrants_int8_metadata"), folder / "flowerlite-quadrants-int8.tflite")
    shutil.copy(fixture_path("quadrants_float32_metadata"), folder / "flowerlite-quadrants-float32.tflite")
    monkeypatch.setattr(_default_model, "candidates", lambda: [folder])
    with Classifier() as clf:
        assert pathlib.Path(clf.info.model_path).name == "flowerlite-quadrants-int8.tflite"
        assert clf.classify(quadrant_array(0))[0].label == "top left"
    shutil.copy(fixture_path("quadrants_int8"), folder / "other-int8.tflite")  # not a release name: not a candidate
    with Classifier() as clf:
        assert pathlib.Path(clf.info.model_path).name == "flowerlite-quadrants-int8.tflite"
    shutil.copy(fixture_path("quadrants_int8"), folder / "flowerlite-other-int8.tflite")
    with pytest.raises(ModelNotFoundError, match=r"several int8 models \(flowerlite-other-int8\.tflite, flowerlite-quadrants-int8\.tflite\)"):
        Classifier()


def test_the_default_model_is_looked_up_in_the_package_then_the_checkout():
    folders = _default_model.candidates()
    assert folders[0] == _default_model.PACKAGE_MODELS
    if len(folders) > 1:  # editable install or source checkout
        assert folders[1] == pathlib.Path(__file__).resolve().parents[2] / "models"


def test_the_models_own_score_threshold_applies_unless_the_caller_sets_one(tmp_path):
    from flowerlite.metadata import read_metadata, write_metadata

    source = fixture_path("quadrants_float32_metadata")
    path = tmp_path / "thresholded.tflite"
    meta = dataclasses.replace(read_metadata(source), score_threshold=0.5)
    path.write_bytes(write_metadata(pathlib.Path(source).read_bytes(), meta))
    image = quadrant_array(1)
    with Classifier(path, top_k=None) as clf:
        assert clf.info.score_threshold == 0.5
        assert [c.label for c in clf.classify(image)] == ["top right"]  # as MediaPipe: the metadata's threshold
        assert len(clf.classify(image, score_threshold=0.0)) == 4  # the caller's beats it
    with Classifier(path, top_k=None, score_threshold=0.0) as clf:
        assert len(clf.classify(image)) == 4
    with Classifier(source, top_k=None) as clf:
        assert clf.info.score_threshold == 0.0 and len(clf.classify(image)) == 4


# --------------------------------------------------------------------------- hardening (issue 17)


def with_input_side(model: str, side: int) -> bytes:
    """The fixture model with its input tensor's shape overwritten to [1, side, side, 3]."""
    data = pathlib.Path(fixture_path(model)).read_bytes()
    shape = struct.pack("<5i", 4, 1, 32, 32, 3)  # the vector's length, then the shape
    for match in re.finditer(re.escape(shape), data):
        tampered = bytearray(data)
        tampered[match.start() : match.end()] = struct.pack("<5i", 4, 1, side, side, 3)
        try:
            if parse_model(bytes(tampered)).inputs[0].shape == (1, side, side, 3):
                return bytes(tampered)
        except InvalidModelError:
            continue
    raise AssertionError(f"no input shape vector to tamper with in {model}")


@pytest.mark.parametrize("side", [2, 8, 2048, 4096])
def test_models_whose_input_shape_was_tampered_with_are_refused(tmp_path, side):
    path = tmp_path / f"input{side}.tflite"
    path.write_bytes(with_input_side("quadrants_int8_metadata", side))
    with pytest.raises(UnsupportedModelError, match=rf"asks for {side}x{side} input images; flowerlite supports "
                                                    r"16 to 1024 pixels a side"):
        Classifier(path, safe_load=False)


def run_python(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs ``code`` in a child Python that imports this checkout's flowerlite."""
    sdk = str(pathlib.Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([sdk, os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


def test_a_thread_count_far_above_the_machine_is_refused_not_a_crash_at_close():
    # num_threads=100000 used to classify, then kill the process with SIGSEGV when the interpreter was freed.
    code = ("import sys\nfrom flowerlite import Classifier\n"
            "try:\n    Classifier(sys.argv[1], num_threads=100000).close()\n"
            "except ValueError as exc:\n    print(exc)")
    result = run_python(code, fixture_path("quadrants_int8_metadata"))
    assert result.returncode == 0, result.stderr[-2000:]
    limit = 4 * len(os.sched_getaffinity(0))
    assert result.stdout.strip() == (
        f"num_threads=100000 is more than this machine can use: at most {limit} (4 per usable CPU, "
        f"{limit // 4} here); pass a smaller number or None")
    with Classifier(fixture_path("quadrants_int8_metadata"), num_threads=limit) as clf:
        assert clf.classify(quadrant_array(1))[0].label == "top right"


@pytest.mark.parametrize(("option", "value", "error", "message"), [
    ("score_threshold", True, TypeError, "score_threshold must be a finite number or None; received True"),
    ("score_threshold", "0.5", TypeError, "score_threshold must be a finite number or None; received '0.5'"),
    ("safe_load", "no", TypeError, "safe_load must be True or False; received 'no'"),
    ("safe_load", 0, TypeError, "safe_load must be True or False; received 0"),
    ("max_batch_size", 2.5, TypeError, "max_batch_size must be a positive integer; received 2.5"),
    ("max_batch_size", 0, ValueError, "max_batch_size must be a positive integer; received 0"),
    ("max_pixels", -1, ValueError, "max_pixels must be a positive integer or None; received -1"),
    ("max_pixels", 1e6, TypeError, "max_pixels must be a positive integer or None; received 1000000.0"),
    ("top_k", True, TypeError, "top_k must be a positive integer or None; received top_k=True"),
    ("num_threads", "2", TypeError, "num_threads must be a positive integer or None; received '2'"),
    ("runtime", 3, TypeError, r"runtime must be a runtime name \(str\) or None; received 3"),
    ("labels_path", 3, TypeError, r"labels_path must be a path \(str or os.PathLike\) or None; received 3 \(int\)"),
])
def test_every_option_is_validated_when_the_classifier_is_created(option, value, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        Classifier(fixture_path("quadrants_int8_metadata"), **{option: value})


def test_mean_and_std_are_validated_when_the_classifier_is_created():
    path = fixture_path("quadrants_float32_metadata")
    with pytest.raises(TypeError, match=r"mean must be a sequence of numbers \(one, or one per channel\); "
                                        r"received '127'"):
        Classifier(path, mean="127", std=(1.0,))
    with pytest.raises(ValueError, match=r"std must hold finite numbers, all positive; received \(0.0,\)"):
        Classifier(path, mean=(127.0,), std=(0.0,))


@pytest.mark.parametrize("model_path", [3, ["model.tflite"], 2.5])
def test_a_model_path_of_the_wrong_type_is_a_type_error_naming_it(model_path):
    with pytest.raises(TypeError, match=rf"model_path must be a path \(str or os.PathLike\) or None; "
                                        rf"received .* \({type(model_path).__name__}\)"):
        Classifier(model_path)


def test_using_a_closed_classifier_is_a_flowerlite_error():
    clf = Classifier(fixture_path("quadrants_int8_metadata"))
    clf.close()
    with pytest.raises(ClassifierClosedError, match="this Classifier of .*quadrants_int8_metadata.tflite is closed; "
                                                    "create a new one") as caught:
        clf.classify(quadrant_array(0))
    assert isinstance(caught.value, FlowerliteError) and isinstance(caught.value, RuntimeError)


@pytest.mark.parametrize("what", ["model", "labels"])
def test_a_fifo_model_or_labels_path_is_refused_at_once_instead_of_blocking(tmp_path, what):
    fifo = tmp_path / f"{what}.fifo"
    os.mkfifo(fifo)
    model, labels = (fifo, None) if what == "model" else (fixture_path("quadrants_int8"), fifo)
    code = ("import sys\nfrom flowerlite import Classifier, FlowerliteError\n"
            "try:\n    Classifier(sys.argv[1], labels_path=sys.argv[2] if len(sys.argv) > 2 else None)\n"
            "except FlowerliteError as exc:\n    print(type(exc).__name__, exc)")
    result = run_python(code, str(model), *([str(labels)] if labels else []), timeout=20)
    expected = (f"InvalidModelError model path {fifo} is a FIFO (named pipe), not a regular file; pass a .tflite file"
                if what == "model" else
                f"LabelError labels path {fifo} is a FIFO (named pipe), not a regular file; pass a text file with "
                "one label per line")
    assert result.stdout.strip() == expected, result.stderr[-2000:]


def test_devices_as_model_or_labels_are_refused_without_reading_them():
    # /dev/zero as a model used to be read until memory ran out (7.4 GB, then MemoryError).
    with pytest.raises(InvalidModelError, match="model path /dev/zero is a character device, not a regular file"):
        Classifier("/dev/zero")
    with pytest.raises(LabelError, match="labels path /dev/urandom is a character device, not a regular file"):
        Classifier(fixture_path("quadrants_int8"), labels_path="/dev/urandom")


def test_model_and_labels_files_over_the_documented_limits_are_refused(tmp_path):
    model = tmp_path / "huge.tflite"
    with open(model, "wb") as f:
        f.truncate((1 << 30) + 1)  # sparse: costs no disk
    with pytest.raises(InvalidModelError, match=f"model file {model} is 1073741825 bytes, over flowerlite's limit "
                                                "of 1073741824 bytes"):
        Classifier(model)
    labels = tmp_path / "labels.txt"
    with open(labels, "wb") as f:
        f.truncate((8 << 20) + 1)
    with pytest.raises(LabelError, match=f"labels file {labels} is 8388609 bytes, over flowerlite's limit of "
                                         "8388608 bytes"):
        Classifier(fixture_path("quadrants_int8"), labels_path=labels)


FORK_WHILE_CLASSIFYING = """
import os, sys, threading, time
import numpy as np
from flowerlite import Classifier

clf = Classifier(sys.argv[1], num_threads=2)
image = np.full((40, 40, 3), 10, np.uint8)
image[:20, 20:] = 230
stop = threading.Event()


def classify_forever():
    while not stop.is_set():
        clf.classify(image)


worker = threading.Thread(target=classify_forever)
worker.start()
outcomes = []
for attempt in range(20):
    time.sleep(0.005)
    pid = os.fork()
    if pid == 0:  # the child classifies on the classifier it inherited, then exits normally
        sys.exit(0 if clf.classify(image)[0].label == "top right" else 3)
    deadline = time.monotonic() + 5
    while not os.waitpid(pid, os.WNOHANG)[0]:
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            outcomes.append("hung")
            break
        time.sleep(0.005)
    else:
        outcomes.append("ok")
    if outcomes[-1] != "ok":
        break
stop.set()
worker.join()
print(" ".join(outcomes))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_while_another_thread_classifies_can_classify_and_exit():
    # The child used to inherit the held inference lock and hang (16 of 20 tries).
    result = run_python(FORK_WHILE_CLASSIFYING, fixture_path("quadrants_int8_metadata"), timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["ok"] * 20

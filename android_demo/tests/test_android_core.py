"""The Android demo's JVM core, checked on this machine without an Android SDK.

* its JUnit 4 tests (compiled and run by ``android_demo/core/run_tests.sh`` with javac);
* parity with the Python SDK: the same PNG images through the JVM core (its ``ParityCli``, which
  prints JSON) and through ``flowerlite.Classifier.preprocess`` give input tensors within one
  quantisation step, and the JVM core reads the same labels, normalisation, score threshold and
  input tensor as ``flowerlite.metadata.read_metadata`` and the interpreter do; fed the output
  tensor the SDK's interpreter computed for each image, the JVM core's ``FlowerClassifier`` returns
  the same top 5 as ``Classifier.classify``, both with the model's own score threshold (the default
  on both sides) and with ``score_threshold=0``. On the SDK's fixture models and on the released
  ``models/*.tflite`` when they exist.

Needs a JDK and JUnit 4 (``android_demo/core/install_deps.sh``: ``apt-get install -y
default-jdk-headless junit4``); skipped with that reason when they are missing, except under CI
(``CI`` set), where the fixture runs install_deps.sh first and a JDK or JUnit still missing fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "android_demo" / "core"
RUN_TESTS = CORE / "run_tests.sh"
MODEL_DIRS = (ROOT / "sdk" / "tests" / "fixtures", ROOT / "models")
IN_CI = bool(os.environ.get("CI"))
INSTALL_HINT = "install a JDK and JUnit 4: apt-get install -y default-jdk-headless junit4"


def _require(condition: bool, reason: str) -> None:
    if not condition:
        if IN_CI:
            pytest.fail(f"{reason} (android_demo/core/install_deps.sh could not install it)")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def jvm_core(tmp_path_factory):
    """Compiles the core, CLI and tests once (and runs JUnit when available); returns the build."""
    junit = Path(os.environ.get("JUNIT_JAR", "/usr/share/java/junit4.jar"))
    if IN_CI and (shutil.which("javac") is None or not junit.is_file()):
        # A fresh CI machine: install the JDK and JUnit from Debian (root, guarded, no-op when present).
        subprocess.run(["bash", str(CORE / "install_deps.sh")], check=False, timeout=900)
    _require(shutil.which("javac") is not None and shutil.which("java") is not None,
             f"javac/java not found; {INSTALL_HINT}")
    build = tmp_path_factory.mktemp("jvm-core")
    env = dict(os.environ, FLOWERLITE_CORE_BUILD=str(build))
    has_junit = junit.is_file()
    args = ["bash", str(RUN_TESTS)] + ([] if has_junit else ["--compile-only"])
    run = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    return {"build": build, "junit": has_junit, "run": run}


def test_the_jvm_cores_junit_tests_pass(jvm_core):
    _require(jvm_core["junit"], f"/usr/share/java/junit4.jar not found; {INSTALL_HINT}")
    run = jvm_core["run"]
    assert run.returncode == 0, f"JUnit failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    assert "OK (" in run.stdout and "tests)" in run.stdout, run.stdout[-2000:]


def _cli(jvm_core, *args: os.PathLike | str) -> subprocess.CompletedProcess:
    run = jvm_core["run"]
    assert run.returncode == 0, f"the JVM core did not build:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    build = jvm_core["build"]
    classpath = os.pathsep.join([str(build / "main"), str(build / "cli")])
    return subprocess.run(
        ["java", "-cp", classpath, "org.flowerlite.core.cli.ParityCli", *map(str, args)],
        capture_output=True, text=True, timeout=300,
    )


def _models() -> list[Path]:
    return sorted(p for d in MODEL_DIRS if d.is_dir() for p in d.glob("*.tflite"))


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> list[Path]:
    """Synthetic PNGs of several sizes and aspect ratios, one with transparency."""
    from PIL import Image

    out = tmp_path_factory.mktemp("parity-images")
    rng = np.random.default_rng(20260)
    paths = []
    # landscape, portrait, tiny (upscaled), square, very wide, very tall (Pillow's vertical-first
    # pass), camera-sized.
    for w, h in [(70, 50), (50, 70), (9, 7), (256, 256), (401, 97), (97, 401), (640, 480)]:
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        smooth = np.stack([255 * x / max(w - 1, 1), 255 * y / max(h - 1, 1),
                           127 + 120 * np.sin((x + 2 * y) / 9.0)], axis=-1)
        pixels = np.clip(smooth + rng.normal(0, 25, smooth.shape), 0, 255).astype(np.uint8)
        path = out / f"synthetic-{w}x{h}.png"
        Image.fromarray(pixels, "RGB").save(path)
        paths.append(path)
    rgba = rng.integers(0, 256, (45, 60, 4), dtype=np.uint8)
    rgba[:10, :, 3] = 0  # fully transparent band
    rgba[10:20, :, 3] = 255
    path = out / "synthetic-rgba-60x45.png"
    Image.fromarray(rgba, "RGBA").save(path)
    paths.append(path)
    return paths


MAX_RESULTS = 5  # ParityCli.MAX_RESULTS: what the app shows


def _raw_outputs(clf, images) -> tuple[str, list, list]:
    """The SDK's output tensor for each image as ParityCli --outputs reads it, and its top 5 (the
    model's threshold, then threshold 0) from the same interpreter run on the same input."""
    info = clf.info
    lines, default, unthresholded = [], [], []
    for image in images:
        row = clf.scores(clf.preprocess(image))[0]
        if info.output_dtype == "float32":
            # repr of the float32 as a double: Float.parseFloat rounds it back to the same float32.
            lines.append(" ".join(repr(float(v)) for v in row))
        else:
            raw = np.rint(row.astype(np.float64) / info.output_scale + info.output_zero_point)
            raw = raw.astype(np.int64)
            dequantised = (raw - info.output_zero_point).astype(np.float32) * np.float32(info.output_scale)
            assert np.array_equal(dequantised, row), "the raw output does not dequantise back to the scores"
            lines.append(" ".join(str(int(v)) for v in raw))
        # classify() preprocesses and runs the interpreter again: the same input, so the same row.
        default.append(clf.classify(image, top_k=MAX_RESULTS))
        unthresholded.append(clf.classify(image, top_k=MAX_RESULTS, score_threshold=0))
    return "\n".join(lines) + "\n", default, unthresholded


def _pairs(categories) -> list[tuple[int, np.float32]]:
    return [(c.index, np.float32(c.score)) for c in categories]


def _assert_same_categories(java: dict, clf, images, sdk_default, sdk_unthresholded) -> None:
    """Like with like: the SDK's default (score_threshold=None: the model's own threshold) against the
    JVM classifier's default, and score_threshold=0 against an explicit 0 on both sides."""
    assert np.float32(java["model"]["classifier_score_threshold"]) == np.float32(clf.info.score_threshold)
    for image, jimage, default, unthresholded in zip(images, java["images"], sdk_default, sdk_unthresholded,
                                                     strict=True):
        jvm_default = [(i, np.float32(s)) for i, s in jimage["categories"]]
        jvm_unthresholded = [(i, np.float32(s)) for i, s in jimage["categories_threshold_0"]]
        assert jvm_default == _pairs(default), image.name
        assert jvm_unthresholded == _pairs(unthresholded), image.name


@pytest.mark.parametrize("model", _models() or [None], ids=lambda p: p.name if p else "no-models")
def test_the_jvm_core_reads_what_the_sdk_reads_and_makes_the_same_input_tensors(model, jvm_core, images,
                                                                                 tmp_path):
    if model is None:
        pytest.skip("no .tflite in sdk/tests/fixtures or models/ yet: nothing to compare")
    from flowerlite import Classifier, FlowerliteError
    from flowerlite.metadata import read_metadata

    try:
        clf = Classifier(model)
    except FlowerliteError as exc:
        # What the SDK cannot run as an image classifier, the JVM core refuses too, with the path.
        result = _cli(jvm_core, model, *images)
        assert result.returncode == 2, f"the JVM core accepted {model.name}; the SDK said: {exc}"
        assert result.stderr.startswith(("InvalidModelException: ", "MetadataException: ")), result.stderr
        assert str(model) in result.stderr
        return
    meta = read_metadata(model)
    if meta is None or not meta.labels or meta.mean is None:
        # The app takes labels and normalisation from metadata only, so it must refuse such a model
        # (the SDK may still run it with defaults or a separate labels file).
        clf.close()
        result = _cli(jvm_core, model, *images)
        assert result.returncode == 2, result.stdout[:500]
        assert result.stderr.startswith("MetadataException: "), result.stderr
        assert str(model) in result.stderr and "write_metadata" in result.stderr, result.stderr
        return
    outputs, sdk_default, sdk_unthresholded = _raw_outputs(clf, images)
    (tmp_path / "outputs.txt").write_text(outputs)
    result = _cli(jvm_core, model, *images, "--outputs", tmp_path / "outputs.txt")
    assert result.returncode == 0, result.stderr
    java = json.loads(result.stdout)
    jm = java["model"]

    assert jm["labels"] == list(meta.labels)
    assert np.array_equal(np.float32(jm["mean"]), np.float32(meta.mean))
    assert np.array_equal(np.float32(jm["std"]), np.float32(meta.std))
    assert (jm["name"] or "", jm["version"] or "") == (meta.name, meta.version)
    if meta.score_threshold is None:
        assert jm["score_threshold"] is None
    else:
        assert np.float32(jm["score_threshold"]) == np.float32(meta.score_threshold)
    _assert_same_categories(java, clf, images, sdk_default, sdk_unthresholded)

    with clf:
        info = clf.info
        assert tuple(jm["input"]["shape"]) == info.input_shape
        assert jm["input"]["dtype"] == info.input_dtype
        assert np.float32(jm["input"]["scale"]) == np.float32(info.input_scale)
        assert jm["input"]["zero_point"] == info.input_zero_point
        assert tuple(jm["output"]["shape"]) == info.output_shape
        assert jm["output"]["dtype"] == info.output_dtype
        assert np.float32(jm["output"]["scale"]) == np.float32(info.output_scale)
        assert jm["output"]["zero_point"] == info.output_zero_point

        if info.input_dtype == "float32":
            step = 1.0 / min(info.std)  # one 8-bit pixel level, normalised
        else:
            step = 1.0
        identical = total = 0
        for image, jimage in zip(images, java["images"]):
            sdk = clf.preprocess(image)[0].astype(np.float64)
            # Float.toString prints the shortest decimal naming the float32: parse it back as float32.
            jvm = np.asarray(jimage["values"], np.float32).astype(np.float64).reshape(sdk.shape)
            diff = np.abs(sdk - jvm)
            assert diff.max() <= step + 1e-6, (
                f"{image.name}: JVM and SDK input tensors differ by up to {diff.max()} "
                f"(allowed: one step = {step}) at {np.unravel_index(diff.argmax(), diff.shape)}"
            )
            identical += int((diff <= 1e-6).sum())
            total += diff.size
        # Both run Pillow's resize arithmetic, so nearly every value is identical, not merely close
        # (all of them with Pillow >= 13, whose pass order the JVM core follows).
        assert identical / total >= 0.99, f"only {identical}/{total} values identical"


def test_the_jvm_core_drops_the_same_categories_as_the_sdk_below_a_score_threshold(jvm_core, tmp_path):
    """The parity images above get unconfident answers, whose top 5 all clear the released int8 model's
    1/512; here the threshold bites: a quadrant fixture, sure of its answer, with a threshold written
    at exactly its second-best score (kept: equal is not below), so the other two are dropped."""
    import dataclasses

    from PIL import Image

    from flowerlite import Classifier
    from flowerlite.metadata import read_metadata, write_metadata

    source = ROOT / "sdk" / "tests" / "fixtures" / "quadrants_int8_metadata.tflite"
    if not source.is_file():
        pytest.skip(f"{source} not found")
    pixels = np.zeros((64, 64, 3), np.uint8)
    pixels[:32, 32:] = 230  # a bright top-right quadrant
    image = tmp_path / "top-right.png"
    Image.fromarray(pixels, "RGB").save(image)
    with Classifier(source) as plain:
        second_best = float(np.sort(plain.scores(plain.preprocess(image))[0])[-2])
    model = tmp_path / "quadrants-thresholded.tflite"
    model.write_bytes(write_metadata(source.read_bytes(),
                                     dataclasses.replace(read_metadata(source), score_threshold=second_best)))

    with Classifier(model) as clf:
        assert clf.info.score_threshold == second_best
        outputs, sdk_default, sdk_unthresholded = _raw_outputs(clf, [image])
        assert len(sdk_default[0]) == 2 < len(sdk_unthresholded[0]) == 4, (sdk_default, sdk_unthresholded)
        (tmp_path / "outputs.txt").write_text(outputs)
        result = _cli(jvm_core, model, image, "--outputs", tmp_path / "outputs.txt")
        assert result.returncode == 0, result.stderr
        java = json.loads(result.stdout)
        assert np.float32(java["model"]["score_threshold"]) == np.float32(second_best)
        _assert_same_categories(java, clf, [image], sdk_default, sdk_unthresholded)


def test_the_jvm_core_refuses_a_file_that_is_not_a_model_with_its_path(jvm_core, tmp_path):
    bogus = tmp_path / "not-a-model.tflite"
    bogus.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    result = _cli(jvm_core, bogus)
    assert result.returncode == 2
    assert result.stderr.startswith(f"InvalidModelException: {bogus}: not a TFLite model"), result.stderr


def test_the_jvm_core_reads_a_model_that_carries_a_confident_score(jvm_core, images, tmp_path):
    """The release writes a confident score level as a CustomMetadata entry of the subgraph (metadata
    parser 1.5.0): the JVM core, which reads only the fields it knows, must read such a model as before."""
    import dataclasses

    from flowerlite import Classifier
    from flowerlite.metadata import read_metadata, write_metadata

    source = ROOT / "sdk" / "tests" / "fixtures" / "quadrants_int8_metadata.tflite"
    if not source.is_file():
        pytest.skip(f"{source} not found")
    meta = dataclasses.replace(read_metadata(source), confident_score=0.55)
    model = tmp_path / "quadrants-confident.tflite"
    model.write_bytes(write_metadata(source.read_bytes(), meta))
    assert read_metadata(model).min_parser_version == "1.5.0"
    with Classifier(model) as clf:
        assert clf.info.confident_score == 0.55
        outputs, sdk_default, sdk_unthresholded = _raw_outputs(clf, images)
        (tmp_path / "outputs.txt").write_text(outputs)
        result = _cli(jvm_core, model, *images, "--outputs", tmp_path / "outputs.txt")
        assert result.returncode == 0, result.stderr
        java = json.loads(result.stdout)
        assert java["model"]["labels"] == list(meta.labels)
        assert np.array_equal(np.float32(java["model"]["mean"]), np.float32(meta.mean))
        _assert_same_categories(java, clf, images, sdk_default, sdk_unthresholded)


@pytest.mark.parametrize("fixture, rows", [
    ("quadrants_float32_metadata", ["0.25 0.0 0.25 0.5", "0.0 -0.0 0.5 0.5", "0.25 0.25 0.25 0.25"]),
    ("quadrants_int8_metadata", ["0 100 100 55", "255 0 255 0", "7 7 7 7"]),
])
def test_the_jvm_core_orders_tied_scores_as_the_sdk_contract(fixture, rows, jvm_core, tmp_path):
    """Replayed output rows full of ties: the JVM core's categories come in `flowerlite.contract.top_k_indices`
    order (descending score, ties to the lower index, 0.0 equal to -0.0), the order the SDK returns."""
    from PIL import Image

    from flowerlite.contract import top_k_indices

    model = ROOT / "sdk" / "tests" / "fixtures" / f"{fixture}.tflite"
    if not model.is_file():
        pytest.skip(f"{model} not found")
    images = []
    for i in range(len(rows)):
        images.append(tmp_path / f"{i}.png")
        Image.new("RGB", (16, 16), (40 * i, 0, 0)).save(images[-1])
    (tmp_path / "outputs.txt").write_text("\n".join(rows) + "\n")
    result = _cli(jvm_core, model, *images, "--outputs", tmp_path / "outputs.txt")
    assert result.returncode == 0, result.stderr
    for row, jimage in zip(rows, json.loads(result.stdout)["images"], strict=True):
        expected = top_k_indices(np.array([float(v) for v in row.split()]), MAX_RESULTS).tolist()
        assert [i for i, _ in jimage["categories_threshold_0"]] == expected, row

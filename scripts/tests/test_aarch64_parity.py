"""scripts/aarch64_parity.py: two machines' input tensors and raw outputs, compared image by image."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "scripts"), str(REPO)]  # the script, and benchmarks/ for the sample's reader
import aarch64_parity  # noqa: E402
from aarch64_parity import Dump, compare, dump, main, read_manifest  # noqa: E402

FIXTURE_MODEL = REPO / "sdk" / "tests" / "fixtures" / "quadrants_int8_metadata.tflite"


def _dump(raw: np.ndarray, inputs: np.ndarray | None = None, labels=None) -> Dump:
    n = len(raw)
    inputs = np.zeros((n, 4, 4, 3), np.uint8) if inputs is None else inputs
    labels = np.arange(n) % raw.shape[1] if labels is None else np.asarray(labels)
    return Dump(tuple(f"jpg/image_{i:05d}.jpg" for i in range(n)), labels, inputs, raw, "test")


def _raw(n: int = 6, classes: int = 5, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 40, (n, classes)).astype(np.uint8)
    raw[np.arange(n), np.arange(n) % classes] = 200  # a clear top-1: the label
    return raw


def test_identical_dumps_pass_with_no_tolerance():
    a = _dump(_raw())
    result = compare(a, _dump(_raw()))
    assert result.identical and result.failures(0) == []
    assert (result.outputs_identical, result.top1_agree, result.top1_correct) == (6, 6, (6, 6))


def test_one_step_difference_fails_bit_identity_but_passes_a_tolerance_of_one():
    raw_b = _raw()
    raw_b[2, 4] += 1
    result = compare(_dump(_raw()), _dump(raw_b))
    assert not result.identical
    assert result.outputs_identical == 5 and result.max_output_diff == 1
    assert result.differing == ("jpg/image_00002.jpg",)
    assert result.failures(0) == ["raw outputs differ by up to 1 steps (allowed: 0)"]
    assert result.failures(1) == []


def test_wrong_scores_like_qemu_max_cpu_fail_even_with_tolerance():
    # QEMU_CPU=max: every output off by many steps and top-1 moved (primrose called bougainvillea).
    raw_b = np.roll(_raw(), 1, axis=1)
    result = compare(_dump(_raw()), _dump(raw_b))
    reasons = result.failures(1)
    assert result.outputs_identical == 0 and result.top1_agree == 0
    assert reasons == ["raw outputs differ by up to 200 steps (allowed: 1)", "top-1 differs on 6 of 6 images"]


def test_a_differing_input_tensor_fails_even_when_outputs_match():
    inputs_b = np.zeros((6, 4, 4, 3), np.uint8)
    inputs_b[3, 0, 0, 1] = 3
    result = compare(_dump(_raw()), _dump(_raw(), inputs=inputs_b))
    assert result.failures(1) == ["1 of 6 input tensors differ (up to 3 steps)"]


def test_dumps_of_different_manifests_are_refused():
    with pytest.raises(SystemExit, match="not of the same manifest"):
        compare(_dump(_raw(6)), _dump(_raw(5)))


def test_compare_command_exits_1_and_names_the_reason(tmp_path, capsys):
    raw_b = _raw()
    raw_b[0] = 0
    raw_b[0, 1] = 50  # top-1 moves to class 1
    _dump(_raw()).save(tmp_path / "a.npz")
    _dump(raw_b).save(tmp_path / "b.npz")
    assert main(["compare", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), "--tolerance", "1"]) == 1
    out, err = capsys.readouterr()
    assert "raw outputs bit-identical:   5/6" in out
    assert "FAILED: raw outputs differ by up to 200 steps (allowed: 1); top-1 differs on 1 of 6 images" in err
    assert main(["compare", str(tmp_path / "a.npz"), str(tmp_path / "a.npz")]) == 0


def test_dump_keeps_the_sdk_input_tensors_and_the_interpreters_integers(tmp_path):
    image = np.full((48, 64, 3), 10, np.uint8)
    image[:24, 32:] = 230  # bright top right quadrant
    Image.fromarray(image).save(tmp_path / "tr.png")
    (tmp_path / "m.tsv").write_text("tr.png\t1\n")
    result = dump(tmp_path / "m.tsv", tmp_path, model=str(FIXTURE_MODEL), num_threads=1)
    result.save(tmp_path / "d.npz")
    again = Dump.load(tmp_path / "d.npz")
    from flowerlite import Classifier

    with Classifier(str(FIXTURE_MODEL), num_threads=1, score_threshold=0) as clf:
        tensor = clf.preprocess(tmp_path / "tr.png")
        scores = clf.scores(tensor)[0]
        step, zero = clf.info.output_scale, clf.info.output_zero_point
    assert again.paths == ("tr.png",) and again.labels.tolist() == [1]
    assert np.array_equal(again.inputs[0], tensor[0])
    assert again.raw.dtype == np.uint8 and int(again.raw[0].argmax()) == 1
    np.testing.assert_array_equal((again.raw[0].astype(np.float32) - zero) * np.float32(step), scores)


def test_manifest_lines_must_be_path_tab_label(tmp_path):
    (tmp_path / "m.tsv").write_text("jpg/a.jpg\t3\njpg/b.jpg 4\n")
    with pytest.raises(SystemExit, match=r"m.tsv:2 is not 'path<TAB>label'"):
        read_manifest(tmp_path / "m.tsv")


@pytest.mark.shared_data
def test_sample_is_the_benchmarks_stratified_pick(tmp_path):
    data = REPO.parent / "shared" / "oxford102"
    if not (data / "setid.mat").is_file():
        pytest.skip(f"needs Oxford 102 in {data}")
    from benchmarks.imageset import load_image_set

    count = aarch64_parity.write_manifest(tmp_path / "m.tsv", data, 204)
    expected = load_image_set("oxford102", data, "test", limit=204, selection="stratified", seed=0)
    pairs = read_manifest(tmp_path / "m.tsv")
    assert count == 204 and len({label for _, label in pairs}) == 102
    assert [(data / rel, label) for rel, label in pairs] == list(zip(expected.paths, expected.labels))

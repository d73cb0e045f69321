"""`python -m training explain` writes readable panels and a grid, and says what is wrong with bad input."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from training.__main__ import main
from training.explain.tests import synthetic


@pytest.fixture(scope="module")
def keras_path(patch_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "model.keras"
    patch_model.save(path)
    return path


def _save(image: np.ndarray, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)
    return path


def test_explain_writes_one_panel_per_image(patch_tflite_int8, keras_path, patch_data, tmp_path, capsys):
    images = [_save(patch_data[1].images[i], tmp_path / f"in_{i}.png") for i in range(2)]
    out = tmp_path / "explanations"
    rc = main(["explain", *map(str, images), "--model", str(patch_tflite_int8), "--keras", str(keras_path),
               "--layer", synthetic.CAM_LAYER, "--out", str(out), "--num-samples", "60"])
    assert rc == 0
    for i, image in enumerate(images):
        with Image.open(out / f"in_{i}.png") as png:
            assert png.size == (1700, 430)
    printed = capsys.readouterr().out.splitlines()
    expected = synthetic.CLASS_NAMES[patch_data[1].p_labels[0]]
    assert printed[0].startswith(f"{images[0]}: {expected} (") and printed[0].endswith(str(out / "in_0.png"))


def test_explain_grid_mixes_correct_and_wrong_predictions(patch_tflite_int8, keras_path, patch_data, tmp_path, capsys):
    test = patch_data[1]
    root = tmp_path / "flowers"
    for i in range(4):
        _save(test.images[i], root / synthetic.CLASS_NAMES[test.p_labels[i]] / f"{i}.png")
    wrong = (test.p_labels[4] + 1) % 3  # filed under the wrong class: the model must disagree
    _save(test.images[4], root / synthetic.CLASS_NAMES[wrong] / "4.png")
    rc = main(["explain", "--model", str(patch_tflite_int8), "--keras", str(keras_path), "--layer", synthetic.CAM_LAYER,
               "--out", str(tmp_path / "out"), "--grid", "4", "--data-dir", str(root), "--num-samples", "40", "--no-lime"])
    assert rc == 0
    with Image.open(tmp_path / "out" / "grid_4.png") as png:
        assert png.size == (1700, 4 * 430)
    assert capsys.readouterr().out.strip().endswith(f"grid of 4 images (1 wrong) -> {tmp_path / 'out' / 'grid_4.png'}")


def test_explain_names_a_missing_image(patch_tflite_int8, tmp_path, capsys):
    rc = main(["explain", str(tmp_path / "nope.jpg"), "--model", str(patch_tflite_int8)])
    assert rc == 2
    assert capsys.readouterr().err.strip() == f"error: Image not found: {tmp_path / 'nope.jpg'}"


def test_explain_names_a_missing_model(patch_data, tmp_path, capsys):
    image = _save(patch_data[1].images[0], tmp_path / "a.png")
    rc = main(["explain", str(image), "--model", str(tmp_path / "m.tflite")])
    assert rc == 2
    assert "error: TFLite model not found: " + str(tmp_path / "m.tflite") in capsys.readouterr().err


def test_explain_grid_needs_a_data_dir(patch_tflite_int8, capsys):
    assert main(["explain", "--model", str(patch_tflite_int8), "--grid", "4"]) == 2
    assert "--grid needs --data-dir" in capsys.readouterr().err


def test_explain_without_a_run_config_asks_for_the_layer(patch_tflite_int8, keras_path, patch_data, tmp_path, capsys):
    image = _save(patch_data[1].images[0], tmp_path / "a.png")
    rc = main(["explain", str(image), "--model", str(patch_tflite_int8), "--keras", str(keras_path), "--no-lime"])
    assert rc == 2
    assert "No config.toml beside" in capsys.readouterr().err


def test_explain_cam_adds_the_int8_twin_pane(patch_tflite_int8, keras_path, patch_data, tmp_path, capsys):
    test = patch_data[1]
    root = tmp_path / "flowers"
    for i in range(6):
        _save(test.images[i], root / synthetic.CLASS_NAMES[test.p_labels[i]] / f"{i}.png")
    image = root / synthetic.CLASS_NAMES[test.p_labels[0]] / "0.png"
    out = tmp_path / "out"
    rc = main(["explain", str(image), "--model", str(patch_tflite_int8), "--keras", str(keras_path), "--layer",
               synthetic.CAM_LAYER, "--out", str(out), "--cam", "--data-dir", str(root), "--no-lime"])
    assert rc == 0
    with Image.open(out / "0.png") as png:
        assert png.size == (2125, 430)  # five panes
    printed = capsys.readouterr().out
    assert f"converting the CAM twin (int8, 6 calibration images) -> {out / 'patch_int8.cam-twin.tflite'}" in printed
    assert (out / "patch_int8.cam-twin.tflite").stat().st_size > 0
    assert ", CAM twin top-1 agrees) ->" in printed  # the twin is the deployed model's own network


def test_explain_cam_needs_the_keras_model(patch_tflite_int8, patch_data, tmp_path, capsys):
    image = _save(patch_data[1].images[0], tmp_path / "a.png")
    assert main(["explain", str(image), "--model", str(patch_tflite_int8), "--cam"]) == 2
    assert "--cam needs --keras" in capsys.readouterr().err


def test_explain_refuses_a_nonsense_sample_count(patch_tflite_int8, capsys):
    assert main(["explain", "x.jpg", "--model", str(patch_tflite_int8), "--num-samples", "0"]) == 2
    assert capsys.readouterr().err.strip() == "error: --num-samples must be at least 1. Received: 0"


def test_explain_names_an_image_that_cannot_be_decoded(patch_tflite_int8, tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    assert main(["explain", str(bad), "--model", str(patch_tflite_int8), "--no-lime"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {bad} is not an image Pillow can read (JPEG, PNG, WebP, ...)"

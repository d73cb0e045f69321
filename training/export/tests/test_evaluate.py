"""`python -m training evaluate --photos`: a file scored on a folder set holding some of its labels (no TensorFlow).

The SDK's quadrant fixture (labels top left, top right, bottom left, bottom right) plays the model; the
photo set holds two of its four classes, so every photo is scored over all four outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training.__main__ import main
from training.tests.support import REPO

FIXTURE = REPO / "sdk" / "tests" / "fixtures" / "quadrants_int8_metadata.tflite"


def _image(bright: list[tuple[int, int]], seed: int) -> Image.Image:
    """A 48 x 48 dark image with the given (row, col) quadrants bright."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 40, (48, 48, 3), dtype=np.uint8)
    for row, col in bright:
        pixels[row * 24 : (row + 1) * 24, col * 24 : (col + 1) * 24] = rng.integers(200, 250, 3)
    return Image.fromarray(pixels)


@pytest.fixture
def photo_set(tmp_path) -> Path:
    """'Top Left' (8 clear photos) and 'bottom right' (4 clear, 8 with the whole bottom half bright: a toss-up)."""
    root = tmp_path / "photos"
    (root / "Top Left").mkdir(parents=True)
    (root / "bottom right").mkdir()
    for i in range(8):
        _image([(0, 0)], seed=i).save(root / "Top Left" / f"{i}.png")
    for i in range(12):
        _image([(1, 1)] if i < 4 else [(1, 0), (1, 1)], seed=100 + i).save(root / "bottom right" / f"{i}.jpg")
    return root


def _sdk_answers(root: Path):
    """(top label, top score, folder) of every photo, by `Classifier.classify` on its own."""
    from flowerlite import Classifier

    with Classifier(FIXTURE, top_k=1, score_threshold=0) as clf:
        return [(clf.classify(p)[0].label, clf.classify(p)[0].score, p.parent.name.lower())
                for p in sorted(root.glob("*/*"))]


def test_evaluate_scores_a_photo_set_over_all_of_the_models_labels(photo_set, tmp_path, capsys):
    out = tmp_path / "eval.json"
    code = main(["evaluate", "--models", str(FIXTURE), "--photos", str(photo_set), "--photos-only", "--json", str(out)])

    assert code == 0, capsys.readouterr().err
    answers = _sdk_answers(photo_set)
    right = [label == folder for label, _, folder in answers]
    per_class = {c: np.mean([r for r, (_, _, f) in zip(right, answers) if f == c]) for c in ("top left", "bottom right")}
    assert per_class["top left"] == 1.0 and 0 < per_class["bottom right"] < 1  # the toss-ups are sometimes wrong
    assert any(label == "bottom left" for label, _, _ in answers)  # a label with no folder can still be the answer

    (result,) = json.loads(out.read_text())["photo_sets"]
    scores = result["scores"]
    assert result["path"] == str(FIXTURE) and result["photo_set"] == str(photo_set)
    assert scores["images"] == 20 and scores["top1"] == pytest.approx(np.mean(right))
    assert scores["top5"] == 1.0  # four labels: always in the top five
    assert scores["per_class"] == pytest.approx({"top left": per_class["top left"], "bottom right": per_class["bottom right"]})
    assert scores["mean_class_top1"] == pytest.approx((per_class["top left"] + per_class["bottom right"]) / 2)
    for point in scores["selective"]:
        answered = [r for r, (_, score, _) in zip(right, answers) if score >= point["threshold"]]
        assert point["answered"] == len(answered) and point["coverage"] == pytest.approx(len(answered) / 20)
    text = capsys.readouterr().out
    assert f"photo set {photo_set}: 20 photos of 2 classes, each scored over all of the model's labels" in text
    assert f"{FIXTURE.name:48} {20:7d} {f'{100 * np.mean(right):.1f}%':>8} {'100.0%':>8}" in text
    assert "  per class top-1: top left 100.0%, bottom right " in text
    assert "  selective: score >= 0.3: " in text
    # 20 photos, a quarter of them wrong: no level answering at least 20 of them is right 90% of the time.
    assert result["confident"] is None
    assert "  confident level: none (no score level keeps answers right 90% of the time)" in text


def test_a_folder_the_model_does_not_know_is_one_line_naming_it_and_exits_2(photo_set, capsys):
    (photo_set / "bottom right").rename(photo_set / "tulip")

    code = main(["evaluate", "--models", str(FIXTURE), "--photos", str(photo_set), "--photos-only"])

    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err == (f"error: {photo_set}: folder 'tulip' is not one of the model's 4 labels: "
                   "name each folder exactly as a label (case does not matter)\n")


def test_photos_only_without_photos_is_refused(capsys):
    assert main(["evaluate", "--models", str(FIXTURE), "--photos-only"]) == 2
    assert capsys.readouterr().err == "error: --photos-only needs at least one --photos DIR\n"

"""`python -m benchmarks run --photos`: every variant scored on a real-world photo set named by some of its labels."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from benchmarks.cli import main
from benchmarks.realworld import RealWorldResult, realworld_targets
from benchmarks.report import read_json, render_markdown, write_json
from training.realworld import score_predictions

from .conftest import make_report, quadrant_image
from .test_run import FAST


@pytest.fixture
def photos(tmp_path):
    """Two of the fixture's four classes, folder names in other case: 'Top Right' (5 photos), 'bottom left' (4)."""
    root = tmp_path / "photos"
    for name, quadrant, count in (("Top Right", 1, 5), ("bottom left", 2, 4)):
        (root / name).mkdir(parents=True)
        for i in range(count):
            quadrant_image(quadrant, (44 + i, 40), seed=50 * quadrant + i).save(root / name / f"{i}.png")
    return root


def _sdk(model, paths):
    from flowerlite import Classifier

    with Classifier(model, score_threshold=0) as clf:
        return np.concatenate([clf.scores(clf.preprocess(p)) for p in paths])


def test_run_scores_every_variant_on_the_photo_set_over_all_its_labels(quadrant_set, photos, tmp_path, capsys):
    models, images = quadrant_set
    out = tmp_path / "out"
    code = main(["run", "--models", str(models), "--dataset", "folder", "--data-dir", str(images), "--engines", "sdk",
                 "--no-charts", "--output", str(out), "--photos", str(photos), *FAST])

    assert code == 0, capsys.readouterr().err
    report = read_json(out / "benchmark.json")
    assert [r.variant for r in report.realworld] == ["quadrants-float32", "quadrants-int8"]
    paths = sorted(photos.glob("Top Right/*")) + sorted(photos.glob("bottom left/*"))
    truth = [1] * 5 + [2] * 4  # indices among the model's four labels, not 0 and 1
    for result in report.realworld:
        model = models / f"flowerlite-quadrants-{result.variant.split('-')[1]}.tflite"
        expected = score_predictions(_sdk(model, paths), truth, ("top left", "top right", "bottom left", "bottom right"))
        assert result.photo_set == str(photos) and result.n_classes == 2
        assert result.scores.images == 9 and result.scores.top1 == expected.top1 == 1.0
        assert result.scores.per_class == {"top right": 1.0, "bottom left": 1.0}
        assert [(p.threshold, p.answered) for p in result.scores.selective] == [(p.threshold, p.answered) for p in expected.selective]
        assert result.fitted is None  # 9 photos: fewer than a trusted level needs
        assert result.confident_score is None and result.at_confident is None  # the fixture carries none
    markdown = (out / "benchmark.md").read_text()
    assert f"`{photos}`: 9 photos of 2 classes." in markdown
    assert "| quadrants-int8 | 100.00% | 9 | 100.00% | 100.00% | 100.00% | top right 100.00%, bottom left 100.00% | – | – | none |" in markdown
    assert markdown.index("## Accuracy") < markdown.index("## Real-world photos") < markdown.index("## Speed and memory")
    names = [t.name for t in report.targets]
    assert f"Mean per-class top-1 of quadrants-int8 on {photos} ≥ 0.8" in names
    assert not any("quadrants-float32" in n and str(photos) in n for n in names)  # the goals are the int8 file's


def test_a_photo_folder_the_model_does_not_know_stops_the_run_before_timing(quadrant_set, photos, tmp_path, capsys):
    models, images = quadrant_set
    (photos / "bottom left").rename(photos / "tulip")
    out = tmp_path / "out"

    code = main(["run", "--models", str(models), "--dataset", "folder", "--data-dir", str(images), "--output", str(out),
                 "--photos", str(photos), *FAST])

    err = capsys.readouterr().err.strip().splitlines()
    # The output folder is created up front to prove it writable; nothing is written into it.
    assert code == 2 and len(err) == 1 and not (out.exists() and any(out.iterdir()))
    assert err[0] == (f"error: {photos}: folder 'tulip' is not one of the model's 4 labels: "
                      "name each folder exactly as a label (case does not matter)")


def _result(variant: str, confident_score=None, right_at_level=(True,) * 30) -> RealWorldResult:
    probs = np.full((40, 3), 0.05)
    probs[:, 0] = [0.95] * len(right_at_level) + [0.5] * (40 - len(right_at_level))
    truth = [0 if r else 1 for r in right_at_level] + [1] * (40 - len(right_at_level))
    scores = score_predictions(probs, truth, ("a", "b", "c"))
    at = score_predictions(probs, truth, ("a", "b", "c"), thresholds=(confident_score,)).selective[0] if confident_score else None
    return RealWorldResult(variant, "../shared/realworld-val", 2, scores, None, confident_score, at, 1.0)


def test_the_real_world_goals_are_checked_on_the_int8_file_at_its_own_confident_score():
    precisions = {"lite0-float32": "float32", "lite0-int8": "int8"}
    targets = realworld_targets([_result("lite0-float32", 0.9), _result("lite0-int8", 0.9, [True] * 27 + [False] * 3)],
                                precisions)
    mean, confident = targets
    assert mean.name == "Mean per-class top-1 of lite0-int8 on ../shared/realworld-val ≥ 0.8"
    assert mean.value == pytest.approx((27 / 27 + 0 / 13) / 2) and mean.passed is False  # class b: 3 + 10 wrong
    assert confident.name == "Answers of lite0-int8 at its confident score right ≥ 0.9 on ../shared/realworld-val"
    assert confident.value == pytest.approx(0.9) and confident.passed is True
    assert confident.detail == "confident score 0.9: 30 of 40 photos answered (75.0%)"
    (_, none) = realworld_targets([_result("lite0-int8")], precisions)
    assert none.passed is None and none.detail == "the file carries no confident score"


def test_real_world_results_round_trip_through_benchmark_json_with_nan_as_null(tmp_path):
    result = _result("lite0-int8", 0.9)
    empty = dataclasses.replace(result, scores=score_predictions(np.full((1, 3), 1 / 3), [0], ("a", "b", "c")))
    report = dataclasses.replace(make_report(), realworld=(result, empty))
    back = read_json(write_json(report, tmp_path / "benchmark.json"))
    assert back.realworld[0] == result
    # NaN (nothing answered) is written as null and read back as NaN, as `PhotoScores.from_dict` reads it.
    assert back.realworld[1].scores.at(0.5).answered == 0 and np.isnan(back.realworld[1].scores.at(0.5).accuracy)
    assert "| lite0-int8 | 90.00% | 1 | 100.00% |" in render_markdown(back)  # nothing answered at 0.5: "–"
    assert "| lite0-int8 | 100.00% / 100.00% | 0.00% / – | 0.00% / – | 0.00% / – |" in render_markdown(back)


def test_the_real_world_pass_imports_no_tensorflow_keras_or_torch():
    import subprocess
    import sys

    from .conftest import REPO

    code = ("import sys\nimport benchmarks.realworld, benchmarks.report, training.realworld, training.data.photoset\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'torch', 'jax')))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_compare_shows_the_real_world_figures_both_runs_measured():
    from benchmarks.compare import compare_reports

    a = dataclasses.replace(make_report(), realworld=(_result("lite0-int8", 0.9, [True] * 27 + [False] * 3),))
    b = dataclasses.replace(make_report(), realworld=(_result("lite0-int8", 0.9),))
    text = compare_reports(a, b)
    assert "Real-world photos (%, Δ in points)" in text
    row = next(line for line in text.splitlines() if line.startswith("lite0-int8 on ../shared/realworld-val"))
    # A: 27 of 40 right, mean per class (27/27 + 0/13) / 2; B: 30 of 40, (30/30 + 0/10) / 2.
    assert row.split()[-6:] == ["67.50", "75.00", "+7.50", "50.00", "50.00", "+0.00"]
    assert "Real-world photos" not in compare_reports(make_report(), b)  # only A lacks them: nothing to compare

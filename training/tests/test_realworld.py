"""score_predictions and confident_level: the real-world figures, checked on hand-made scores."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from training.realworld import PhotoScores, Selective, confident_level, score_predictions

LABELS = ("a", "b", "c", "d", "e", "f")


def _probs(rows):
    probs = np.asarray(rows, dtype=np.float64)
    return probs / probs.sum(axis=1, keepdims=True)


def test_scores_count_top1_top5_per_class_and_selective_accuracy_over_every_label():
    probs = _probs([
        [0.95, 0.01, 0.01, 0.01, 0.01, 0.01],  # a, right, 0.95
        [0.40, 0.60, 0.00, 0.00, 0.00, 0.00],  # a, wrong (b) at 0.6, a second
        [0.00, 0.00, 0.80, 0.20, 0.00, 0.00],  # c, right, 0.8
        [0.00, 0.00, 0.00, 0.00, 0.00, 1.00],  # c, wrong (f), c among the zeros: ties go to the lower index
        [0.00, 0.00, 0.00, 0.00, 0.00, 1.00],  # b, wrong, but b (index 1) is in the stable top 5
    ])
    scores = score_predictions(probs, [0, 0, 2, 2, 1], LABELS)

    assert scores.images == 5
    assert scores.top1 == pytest.approx(2 / 5)
    assert scores.top5 == pytest.approx(5 / 5)
    assert scores.per_class == {"a": 0.5, "b": 0.0, "c": 0.5}  # only the classes present
    assert scores.mean_class_top1 == pytest.approx(1 / 3)
    assert scores.at(0.5) == Selective(0.5, coverage=1.0, accuracy=pytest.approx(2 / 5), answered=5)
    assert scores.at(0.7) == Selective(0.7, coverage=0.8, accuracy=0.5, answered=4)
    assert scores.at(0.9) == Selective(0.9, coverage=0.6, accuracy=pytest.approx(1 / 3), answered=3)
    assert [s.threshold for s in scores.selective] == [0.3, 0.5, 0.7, 0.9]


def test_a_threshold_nothing_reaches_answers_nothing_and_has_no_accuracy():
    scores = score_predictions(_probs([[0.5, 0.5, 0, 0, 0, 0]]), [0], LABELS, thresholds=(0.3, 0.9))
    assert scores.at(0.9).answered == 0 and scores.at(0.9).coverage == 0.0 and math.isnan(scores.at(0.9).accuracy)
    with pytest.raises(KeyError, match=r"No selective-accuracy point at 0.7"):
        scores.at(0.7)


def test_scores_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match=r"Expected scores of shape \(2, 6\). Received: \(2, 5\)"):
        score_predictions(np.ones((2, 5)), [0, 1], LABELS)


def test_scores_round_trip_through_json_with_nan_written_as_null():
    scores = score_predictions(_probs([[0.5, 0.5, 0, 0, 0, 0], [0, 0.6, 0.4, 0, 0, 0]]), [0, 1], LABELS)
    text = json.dumps(scores.to_dict())
    assert "NaN" in text  # nothing scores 0.7 or 0.9
    assert json.dumps(PhotoScores.from_dict(json.loads(text)).to_dict()) == text
    as_null = json.loads(json.dumps(scores.to_dict()).replace("NaN", "null"))
    back = PhotoScores.from_dict(as_null)
    assert back.top1 == scores.top1 and back.at(0.9).answered == 0 and math.isnan(back.at(0.9).accuracy)


def _curve(top_scores, right):
    """Scores whose top class is 0 with the given score; the label is 0 when `right`, else 1."""
    probs = np.repeat(((1 - np.asarray(top_scores, dtype=np.float64)) / 9)[:, None], 10, axis=1)
    probs[:, 0] = top_scores
    return probs, [0 if r else 1 for r in right]


def test_the_confident_level_is_the_lowest_from_which_every_level_reaches_the_target():
    # 40 answers at 0.62 (all right), 20 at 0.42 (half right), 20 at 0.22 (all wrong).
    probs, labels = _curve([0.62] * 40 + [0.42] * 20 + [0.22] * 20, [True] * 40 + [True, False] * 10 + [False] * 20)
    level = confident_level(probs, labels)
    # At 0.45 only the 40 right answers remain; at 0.40 the 20 half-right ones join: 50/60 < 90%.
    assert level == Selective(0.45, coverage=0.5, accuracy=1.0, answered=40)
    assert confident_level(probs, labels, target=0.8) == Selective(0.25, coverage=0.75, accuracy=50 / 60, answered=60)


def test_a_lucky_dip_or_too_few_answers_give_no_level():
    # The top level is wrong more often than the target allows: no level below it can be trusted either.
    probs, labels = _curve([0.97] * 30 + [0.6] * 30, [False] * 10 + [True] * 50)
    assert confident_level(probs, labels) is None
    probs, labels = _curve([0.97] * 19 + [0.3] * 30, [True] * 19 + [False] * 30)
    assert confident_level(probs, labels) is None  # the only right answers are too few to trust
    assert confident_level(probs, labels, min_answered=5).threshold == 0.35

"""The released int8 model explained on a real Oxford 102 test photo (skips without the data or a release)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from training.explain.explanation import ImageExplainer, model_batch
from training.explain.lime_explainer import LimeConfig
from training.explain.panels import write_panel
from training.tests.support import REPO, require_shared

PHOTO = "image_06750.jpg"  # an official test image (pink primrose)


def _released_int8():
    models = sorted((REPO / "models").glob("*-int8.tflite"))
    if not models:
        pytest.skip(f"no released int8 model in {REPO / 'models'} (python -m training release)")
    return models[0]


@pytest.mark.shared_data
def test_lime_on_a_real_photo_finds_superpixels_the_int8_model_needs(tmp_path):
    from flowerlite import Classifier

    photo = require_shared("oxford102") / "jpg" / PHOTO
    with Classifier(_released_int8()) as classifier:
        exp = ImageExplainer(classifier, lime_config=LimeConfig(num_samples=300, seed=0)).explain(photo)
        # The panels plot the raw top five, zero scores included (the int8 file's threshold would drop them).
        expected = classifier.classify(photo, top_k=5, score_threshold=0.0)
        lime = exp.lime
        assert exp.top5 == [(c.label, c.score) for c in expected]
        assert lime.class_index == expected[0].index and len(lime.top_segments) == 5

        # Deletion check: blacking out LIME's top superpixels costs the top class more than blacking
        # out as many random superpixels does.
        def score_without(segments):
            hidden = exp.image.copy()
            hidden[np.isin(lime.segments, segments)] = 0
            return float(classifier.scores(model_batch(classifier, hidden[None]))[0, lime.class_index])

        rng = np.random.default_rng(0)
        ids = np.unique(lime.segments)
        random_scores = [score_without(rng.choice(ids, 5, replace=False)) for _ in range(10)]
        assert score_without(lime.top_segments) < np.mean(random_scores)
    with Image.open(write_panel(exp, tmp_path / "panel.png")) as png:
        assert png.size == (1700, 430)

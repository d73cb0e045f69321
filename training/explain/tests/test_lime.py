"""LIME over the deployed (int8) TFLite model finds the class-deciding patch; its controls do not."""

from __future__ import annotations

import numpy as np
import pytest

from training.explain.errors import ExplainError
from training.explain.lime_explainer import LimeConfig, LimeResult, explain_with_lime
from training.explain.tests import synthetic

P = synthetic.box_mask(synthetic.P_BOX)
Q = synthetic.box_mask(synthetic.Q_BOX)
# Compact SLIC cells (about 8 px) on 48 px images: each patch spans a few whole superpixels.
CONFIG = LimeConfig(num_samples=150, seed=0, batch_size=64, num_features=2, segmentation="slic",
                    n_segments=36, compactness=100.0)
IMAGES = 8


def overlap(result: LimeResult, region: np.ndarray) -> float:
    """Fraction of the top superpixels' pixels that lie inside `region`."""
    return float((result.mask & region).sum() / max(1, result.mask.sum()))


def overlap_rate(results, region) -> float:
    """Fraction of explanations whose top superpixels lie mostly (>= 50%) in `region` (the check: >= 0.75)."""
    return float(np.mean([overlap(r, region) >= 0.5 for r in results]))


def explain_all(path, images) -> list[LimeResult]:
    from flowerlite import Classifier

    with Classifier(path) as classifier:
        return [explain_with_lime(classifier, image, CONFIG) for image in images[:IMAGES]]


@pytest.fixture(scope="module")
def int8_results(patch_tflite_int8, patch_data):
    return explain_all(patch_tflite_int8, patch_data[1].images)


def test_lime_top_superpixels_overlap_the_patch_for_the_int8_model(int8_results, patch_data):
    assert overlap_rate(int8_results, P) >= 0.75
    labels = patch_data[1].p_labels[:IMAGES]
    assert [r.class_index for r in int8_results] == list(labels)  # it explains the int8 model's (right) answer
    assert min(r.probability for r in int8_results) > 0.5


def test_lime_of_a_model_reading_another_region_fails_the_overlap_check(other_region_tflite, patch_data):
    results = explain_all(other_region_tflite, patch_data[1].images)
    assert overlap_rate(results, P) < 0.75
    assert overlap_rate(results, P) <= 0.125
    assert overlap_rate(results, Q) >= 0.75  # it finds what that model reads


def test_lime_with_shuffled_superpixel_weights_fails_the_overlap_check(int8_results):
    rng = np.random.default_rng(0)
    shuffled = []
    for r in int8_results:
        ids = np.array(sorted(r.weights))
        weights = dict(zip(ids.tolist(), rng.permutation([r.weights[i] for i in ids]).tolist()))
        top = sorted(weights, key=weights.get, reverse=True)[: CONFIG.num_features]
        shuffled.append(LimeResult(r.segments, r.class_index, weights, top, np.isin(r.segments, top),
                                   r.local_r2, r.probability, r.config))
    assert overlap_rate(shuffled, P) < 0.75
    assert overlap_rate(shuffled, P) <= 0.25


def test_lime_is_repeatable_with_its_seed_and_changes_with_another(patch_tflite_int8, patch_data):
    from flowerlite import Classifier

    image = patch_data[1].images[0]
    with Classifier(patch_tflite_int8) as classifier:
        first = explain_with_lime(classifier, image, CONFIG)
        again = explain_with_lime(classifier, image, CONFIG)
        other = explain_with_lime(classifier, image, LimeConfig(**{**CONFIG.__dict__, "seed": 1}))
    assert first.weights == again.weights and first.top_segments == again.top_segments
    assert first.weights != other.weights


def test_lime_sends_the_perturbed_samples_to_the_interpreter_in_batches(patch_tflite_int8, patch_data):
    from flowerlite import Classifier

    with Classifier(patch_tflite_int8) as classifier:
        sizes = []
        scores = classifier.scores
        classifier.scores = lambda batch: sizes.append(len(batch)) or scores(batch)
        explain_with_lime(classifier, patch_data[1].images[0], CONFIG)
    assert sizes[:3] == [64, 64, 22]  # 150 samples in batches of 64, then the unperturbed image
    assert sizes[3:] == [1]


def test_lime_refuses_an_image_that_is_not_the_models_crop(patch_tflite_int8):
    from flowerlite import Classifier

    with Classifier(patch_tflite_int8) as classifier:
        with pytest.raises(ExplainError, match=r"of size \(48, 48\). Received: shape \(64, 64, 3\), dtype uint8"):
            explain_with_lime(classifier, np.zeros((64, 64, 3), np.uint8), CONFIG)
        with pytest.raises(ExplainError, match="Received: shape \\(48, 48, 3\\), dtype float32"):
            explain_with_lime(classifier, np.zeros((48, 48, 3), np.float32), CONFIG)


def test_an_unknown_segmentation_is_named(patch_tflite_int8, patch_data):
    from flowerlite import Classifier

    with Classifier(patch_tflite_int8) as classifier:
        with pytest.raises(ExplainError, match="Received: segmentation='watershed'"):
            explain_with_lime(classifier, patch_data[1].images[0], LimeConfig(segmentation="watershed"))


def test_the_batched_sampler_builds_the_images_lime_itself_builds():
    from lime.lime_image import LimeImageExplainer

    from training.explain.lime_explainer import _BatchedLimeExplainer

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
    segments = (np.arange(12)[:, None] // 4) * 3 + np.arange(12)[None, :] // 4  # 9 square superpixels
    fudged = np.zeros_like(image)

    def fingerprint(batch):  # one row per image, unique to its pixels
        return batch.reshape(len(batch), -1).astype(np.float64) @ np.arange(1, 12 * 12 * 3 + 1)[:, None]

    ours = _BatchedLimeExplainer(random_state=3).data_labels(image, fudged, segments, fingerprint, 25, batch_size=7)
    theirs = LimeImageExplainer(random_state=3).data_labels(image, fudged, segments, fingerprint, 25, batch_size=7)
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1], theirs[1])
    assert len(np.unique(ours[1])) > 20  # the samples really differ from each other

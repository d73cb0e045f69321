"""Interoperability: MediaPipe Tasks' ImageClassifier reads the exported files with no side file.

MediaPipe takes the labels from the files' metadata (none are passed) and the normalisation from
it (float) or from the input quantisation (int8). It resizes whatever region it is given to the
model input, so it is given the SDK's centre-crop region: both then see the same pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.export.calibration import stratified_sample
from training.tests.support import REPO, require_shared


def centre_crop_region(width: int, height: int, size: int):
    """The region `flowerlite.preprocessing.resize_and_crop` keeps, in MediaPipe's normalised coordinates."""
    from flowerlite.preprocessing import CROP_FRACTION
    from mediapipe.tasks.python.components.containers.rect import RectF

    target = round(size / CROP_FRACTION)
    if width <= height:
        new_w, new_h = target, max(target, round(height * target / width))
    else:
        new_w, new_h = max(target, round(width * target / height)), target
    left, top = (new_w - size) // 2, (new_h - size) // 2
    return RectF(left=left / new_w, top=top / new_h, right=(left + size) / new_w, bottom=(top + size) / new_h)


def mediapipe_top1(model: Path, image_paths) -> list[tuple[str, float]]:
    """(label, score) of MediaPipe's best category for each image; no labels are passed."""
    import mediapipe as mp
    from flowerlite.preprocessing import load_image
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.ImageClassifierOptions(base_options=BaseOptions(model_asset_path=str(model)), max_results=1)
    results = []
    with vision.ImageClassifier.create_from_options(options) as classifier:
        for path in image_paths:
            pixels = np.asarray(load_image(path))  # the SDK's decoding: only the model path is compared
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(pixels))
            size = classifier_input_size(model)
            roi = vision.ImageProcessingOptions(region_of_interest=centre_crop_region(pixels.shape[1], pixels.shape[0], size))
            best = classifier.classify(image, image_processing_options=roi).classifications[0].categories[0]
            results.append((best.category_name, best.score))
    return results


def classifier_input_size(model: Path) -> int:
    from flowerlite.classifier import Classifier

    with Classifier(model) as clf:
        return clf.info.input_shape[1]


def flowerlite_top1(model: Path, image_paths) -> list[tuple[str, float]]:
    from flowerlite.classifier import Classifier

    with Classifier(model, top_k=1) as clf:
        return [(c[0].label, c[0].score) for c in clf.classify_batch(image_paths)]


def test_mediapipe_reads_every_exported_variant_and_agrees_with_flowerlite(tiny_release, tiny_split):
    paths = [s.path for s in tiny_split.test]
    for model in tiny_release.models:
        ours = flowerlite_top1(model.path, paths)
        theirs = mediapipe_top1(model.path, paths)
        assert [label for label, _ in theirs] == [label for label, _ in ours], model.path.name
        assert [label for label, _ in ours] == [tiny_split.class_names[s.label] for s in tiny_split.test]
        # same probabilities too, up to the int8 output step (1/256)
        np.testing.assert_allclose([s for _, s in theirs], [s for _, s in ours], atol=0.02)


@pytest.mark.shared_data
def test_mediapipe_agrees_with_flowerlite_on_released_models_and_real_test_photos():
    from training.data.oxford102 import load_split

    released = sorted((REPO / "models").glob("flowerlite-*.tflite"))
    if not released:
        pytest.skip(f"no released model in {REPO / 'models'} (run `python -m training release` first)")
    split = load_split(require_shared("oxford102"))
    paths = [s.path for s in stratified_sample(split.test, 20, seed=0)]
    for model in released:
        ours = [label for label, _ in flowerlite_top1(model, paths)]
        theirs = [label for label, _ in mediapipe_top1(model, paths)]
        assert theirs == ours, model.name

"""One image explained three ways: every pane is about the deployed model's own top class and scores."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from training.explain.explanation import ImageExplainer
from training.explain.errors import ExplainError
from training.explain.lime_explainer import LimeConfig
from training.explain.tests import synthetic


@pytest.fixture
def odd_sized_image(patch_data, tmp_path):
    """A test image upscaled to 70x90, so the SDK's resize-and-crop really changes it."""
    path = tmp_path / "odd.png"
    Image.fromarray(patch_data[1].images[2]).resize((70, 90), Image.BILINEAR).save(path)
    return path


def test_top5_equals_what_the_sdk_classifier_returns_for_the_file(patch_tflite_int8, odd_sized_image):
    from flowerlite import Classifier

    with Classifier(patch_tflite_int8) as classifier:
        exp = ImageExplainer(classifier).explain(odd_sized_image)
        expected = [(c.label, c.score) for c in classifier.classify(odd_sized_image, top_k=None)]
    assert exp.top5 == expected
    assert exp.image.shape == (48, 48, 3) and exp.runtime == "TFLite int8"
    assert exp.grad_cam is None and exp.lime is None and exp.cam is None


def test_every_pane_explains_the_deployed_models_top_class(patch_tflite_int8, patch_model, odd_sized_image):
    from flowerlite import Classifier

    with Classifier(patch_tflite_int8) as classifier:
        explainer = ImageExplainer(classifier, keras_model=patch_model, layer=synthetic.CAM_LAYER, mean=synthetic.MEAN,
                                   std=synthetic.STD, lime_config=LimeConfig(num_samples=40, segmentation="slic"))
        exp = explainer.explain(odd_sized_image, true_label="blue")
    assert exp.grad_cam.class_index == exp.lime.class_index == exp.predicted_index
    assert exp.class_label(exp.predicted_index) == exp.top5[0][0] and exp.true_label == "blue"
    assert exp.name == "odd.png"


def test_a_keras_model_with_other_classes_than_the_tflite_labels_is_refused(patch_tflite_int8):
    import keras
    from flowerlite import Classifier

    inputs = keras.Input((48, 48, 3))
    x = keras.layers.Conv2D(4, 3, name="c")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(5, activation="softmax")(keras.layers.GlobalAveragePooling2D()(x)))
    with Classifier(patch_tflite_int8) as classifier:
        with pytest.raises(ExplainError, match="The Keras model has 5 classes, the TFLite model 3 labels"):
            ImageExplainer(classifier, keras_model=model, layer="c", mean=synthetic.MEAN, std=synthetic.STD)

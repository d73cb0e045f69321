"""Fixtures of the explanation tests: two small models trained on the same synthetic images.

`patch_model` reads the class-deciding patch P; `other_region_model` reads patch Q of the same
images (the control).  Both train once per session, in seconds.
"""

from __future__ import annotations

import os
import warnings

import pytest

from training.explain.tests import synthetic

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def patch_data():
    """(train, test) synthetic datasets."""
    return synthetic.make_dataset(600, seed=0), synthetic.make_dataset(12, seed=1)


@pytest.fixture(scope="session")
def patch_model(patch_data):
    """A model trained on the colour of patch P: it must look at P."""
    train, test = patch_data
    model = synthetic.train_model(train, train.p_labels, seed=0)
    assert synthetic.accuracy(model, test, test.p_labels) == 1.0, "the patch model did not learn its task"
    return model


@pytest.fixture(scope="session")
def other_region_model(patch_data):
    """The control: trained on the colour of patch Q, so it reads a different region."""
    train, test = patch_data
    model = synthetic.train_model(train, train.q_labels, seed=0)
    assert synthetic.accuracy(model, test, test.q_labels) == 1.0, "the control model did not learn its task"
    return model


def export_tflite(model, path, int8: bool, calibration_images=None):
    """Convert `model` to TFLite (float32, or int8 with uint8 input/output) and pack its metadata."""
    import numpy as np
    import tensorflow as tf
    from flowerlite.metadata import ModelMetadata, write_metadata

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8:
        def representative():
            for image in calibration_images:
                yield [synthetic.normalise(image[None]).astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.uint8
        converter.inference_output_type = tf.uint8
    metadata = ModelMetadata(name=model.name, version="0.0.1", labels=tuple(synthetic.CLASS_NAMES),
                             mean=synthetic.MEAN, std=synthetic.STD)
    with warnings.catch_warnings():  # int8: the float input has no statistics; the calibration gives them
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
        flatbuffer = bytes(converter.convert())
    path.write_bytes(write_metadata(flatbuffer, metadata))
    return path


@pytest.fixture(scope="session")
def patch_tflite_int8(patch_model, patch_data, tmp_path_factory):
    """The patch model as a deployed int8 TFLite file with labels and normalisation in its metadata."""
    return export_tflite(patch_model, tmp_path_factory.mktemp("models") / "patch_int8.tflite", True, patch_data[0].images[:64])


@pytest.fixture(scope="session")
def other_region_tflite(other_region_model, tmp_path_factory):
    """The control model as a float32 TFLite file with metadata."""
    return export_tflite(other_region_model, tmp_path_factory.mktemp("models") / "other_region.tflite", False)

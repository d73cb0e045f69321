"""Fixtures of the explanation tests: two small models trained on the same synthetic images.

`patch_model` reads the class-deciding patch P; `other_region_model` reads patch Q of the same
images (the control).  Both train once per session, in seconds.
"""

from __future__ import annotations

import os

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

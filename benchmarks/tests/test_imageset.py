"""Which images a run classifies: the Oxford 102 test split (real data when present) and folder-per-class sets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from benchmarks.errors import BenchmarkError
from benchmarks.imageset import load_image_set

from .conftest import QUADRANTS, REPO

SHARED = REPO.parent / "shared" / "oxford102"


@pytest.mark.shared_data
def test_oxford102_test_split_with_a_limit_takes_every_class_evenly():
    if not (SHARED / "setid.mat").exists():
        pytest.skip(f"the Oxford 102 copy is not at {SHARED}")
    full = load_image_set("oxford102", SHARED)
    assert (len(full.paths), full.total, full.selection, len(full.class_names)) == (6149, 6149, "all", 102)
    quick = load_image_set("oxford102", SHARED, limit=204, seed=0)
    assert (len(quick.paths), quick.total, quick.selection) == (204, 6149, "stratified")
    assert set(Counter(quick.labels).values()) == {2}
    assert quick.digest() == load_image_set("oxford102", SHARED, limit=204, seed=0).digest() != full.digest()


def test_folder_set_takes_every_image_with_sorted_class_names(quadrant_set):
    _, images = quadrant_set
    found = load_image_set("folder", images, subset="all")
    assert found.class_names == tuple(sorted(QUADRANTS)) and len(found.paths) == 12
    assert {Path(p).parent.name for p, label in zip(found.paths, found.labels) if label == 0} == {"bottom left"}
    test = load_image_set("folder", images, subset="test", val_fraction=0.3, test_fraction=0.3, seed=1)
    assert len(test.paths) == 4 and test.total == 4  # one of the 3 images of each class


def test_bad_dataset_choices_say_what_to_pass(tmp_path):
    with pytest.raises(BenchmarkError, match="needs its directory: pass --data-dir"):
        load_image_set("folder", None)
    with pytest.raises(BenchmarkError, match="Unknown dataset 'imagenet'"):
        load_image_set("imagenet", tmp_path)
    with pytest.raises(BenchmarkError, match="train, val and test. Received: --subset all"):
        load_image_set("oxford102", tmp_path, subset="all")

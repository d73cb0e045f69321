"""The official Oxford 102 split and class names, and clear errors for a broken dataset folder."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy.io import savemat

from training.data.oxford102 import CLASS_NAMES, data_checksums, load_split
from training.errors import DatasetError
from training.tests.support import require_shared


@pytest.mark.shared_data
def test_the_shared_copy_gives_the_official_split_and_102_class_names():
    split = load_split(require_shared("oxford102"))

    assert (len(split.train), len(split.val), len(split.test)) == (1020, 1020, 6149)
    assert split.class_names == CLASS_NAMES and len(CLASS_NAMES) == len(set(CLASS_NAMES)) == 102
    assert Counter(s.label for s in split.train) == {label: 10 for label in range(102)}
    assert Counter(s.label for s in split.val) == {label: 10 for label in range(102)}
    ids = {s.path.name for s in split.train + split.val + split.test}
    assert ids == {f"image_{i:05d}.jpg" for i in range(1, 8190)}
    # Label 1 of the official files is "pink primrose"; image_06734.jpg is one of them.
    assert next(s.label for s in split.test + split.train + split.val if s.path.name == "image_06734.jpg") == 0


def test_a_folder_without_the_label_files_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match=rf"Missing dataset file {tmp_path / 'imagelabels.mat'}: is this an Oxford 102 folder"):
        load_split(tmp_path)


def test_an_unreadable_label_file_is_a_clear_error(tmp_path):
    (tmp_path / "imagelabels.mat").write_bytes(b"not a MATLAB file")
    with pytest.raises(DatasetError, match=r"Cannot read .*imagelabels.mat as a MATLAB file .*download it again"):
        load_split(tmp_path)


def test_a_split_that_is_not_the_official_one_is_refused(tmp_path):
    savemat(tmp_path / "imagelabels.mat", {"labels": (np.arange(8189) % 102 + 1)[None, :]})
    ids = np.arange(1, 8190)
    savemat(tmp_path / "setid.mat", {"trnid": ids[None, :1000], "valid": ids[None, 1000:2040], "tstid": ids[None, 2040:]})

    with pytest.raises(DatasetError, match=r"setid.mat: trnid has 1000 ids; the official split has 1020"):
        load_split(tmp_path)


def test_missing_images_are_reported_with_an_example(tmp_path):
    savemat(tmp_path / "imagelabels.mat", {"labels": (np.arange(8189) % 102 + 1)[None, :]})
    ids = np.arange(1, 8190)
    savemat(tmp_path / "setid.mat", {"trnid": ids[None, :1020], "valid": ids[None, 1020:2040], "tstid": ids[None, 2040:]})

    with pytest.raises(DatasetError, match=r"8189 images are missing under .*jpg, e.g. .*image_00001.jpg: the download is incomplete"):
        load_split(tmp_path)


@pytest.mark.shared_data
def test_oxford_checksums_cover_the_label_files_and_each_subset():
    split = load_split(require_shared("oxford102"))
    # Only the small subsets: hashing the 6149 test images is the trainer's job, not a unit test's.
    small = type(split)(split.train[:20], split.val[:20], (), split.class_names, split.root)

    sums = data_checksums(small)

    assert set(sums) == {"imagelabels.mat", "setid.mat", "train_images", "val_images", "test_images"}
    expected = dict(line.split()[::-1] for line in (split.root / "SHA256SUMS.labels").read_text().splitlines() if line.strip())
    assert sums["imagelabels.mat"] == expected["imagelabels.mat"] and sums["setid.mat"] == expected["setid.mat"]

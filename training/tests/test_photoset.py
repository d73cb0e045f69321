"""load_photo_set: a folder-per-class set whose folders name some of a model's labels."""

from __future__ import annotations

import pytest

from training.data.photoset import load_photo_set
from training.errors import DatasetError
from training.tests.support import write_image

LABELS = ("pink primrose", "Hard-leaved Pocket Orchid", "canterbury bells", "rose", "carnation")


def _folder(root, names_counts):
    for c, (name, count) in enumerate(names_counts.items()):
        for i in range(count):
            write_image(root / name / f"photo_{i}.jpg", 24, 20, seed=10 * c + i)
    return root


def test_each_photo_keeps_the_index_of_its_folder_among_all_the_models_labels(tmp_path):
    root = _folder(tmp_path / "photos", {"Carnation": 2, "hard-leaved  pocket orchid": 3})

    photos = load_photo_set(root, LABELS)

    assert photos.classes == (1, 4)  # not (0, 1): the model's indices, not a 2-class problem
    assert [s.label for s in photos.samples] == [1, 1, 1, 4, 4]
    assert [s.path.parent.name for s in photos.samples] == ["hard-leaved  pocket orchid"] * 3 + ["Carnation"] * 2
    assert photos.labels == LABELS and photos.class_name(4) == "carnation"


def test_a_folder_the_model_does_not_know_is_a_one_line_error_naming_it(tmp_path):
    root = _folder(tmp_path / "photos", {"rose": 1, "tulip": 1, "sunflower": 1})

    with pytest.raises(DatasetError) as error:
        load_photo_set(root, LABELS)

    message = str(error.value)
    assert message == (f"{root}: folder 'sunflower' is not one of the model's 5 labels (nor 'tulip'): "
                       "name each folder exactly as a label (case does not matter)")


def test_two_folders_naming_the_same_label_are_refused(tmp_path):
    root = _folder(tmp_path / "photos", {"rose": 1, "Rose": 1})

    with pytest.raises(DatasetError, match=r"two folders name the same label \('rose'\)"):
        load_photo_set(root, LABELS)


def test_a_missing_folder_is_a_dataset_error_with_its_path(tmp_path):
    with pytest.raises(DatasetError, match=rf"Dataset folder not found: {tmp_path / 'absent'}"):
        load_photo_set(tmp_path / "absent", LABELS)

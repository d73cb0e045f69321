"""Own data: root/<class>/*.jpg split per class with a seed."""

from __future__ import annotations

from collections import Counter

import pytest

from training.config import DataConfig
from training.data import load_dataset
from training.data.folder import load_folder_split
from training.data.oxford102 import data_checksums
from training.errors import ConfigError, DatasetError
from training.tests.support import write_image


def _labels(samples):
    return Counter(s.label for s in samples)


def test_classes_are_the_sorted_folder_names_and_every_class_is_in_each_subset(flower_folder):
    split = load_folder_split(flower_folder, val_fraction=0.3, test_fraction=0.2, seed=1)

    assert split.class_names == ("daisy", "rose", "violet")
    assert split.root == flower_folder
    # 6 images per class: round(1.8) = 2 val, round(1.2) = 1 test, 3 train.
    assert _labels(split.train) == {0: 3, 1: 3, 2: 3}
    assert _labels(split.val) == {0: 2, 1: 2, 2: 2}
    assert _labels(split.test) == {0: 1, 1: 1, 2: 1}
    for s in split.train + split.val + split.test:
        assert s.path.parent.name == split.class_names[s.label]
    all_paths = [s.path for s in split.train + split.val + split.test]
    assert len(set(all_paths)) == 18


def test_the_split_is_seeded(flower_folder):
    a = load_folder_split(flower_folder, val_fraction=0.5, seed=7)
    b = load_folder_split(flower_folder, val_fraction=0.5, seed=7)
    others = {tuple(s.path for s in load_folder_split(flower_folder, val_fraction=0.5, seed=s).val) for s in range(8)}

    assert a == b
    assert len(others) > 1  # the seed really chooses


def test_jpeg_and_png_are_found_case_insensitively_and_other_files_are_ignored(tmp_path):
    root = tmp_path / "own"
    for name in ("a.JPG", "b.jpeg", "c.Png", "d.png"):
        write_image(root / "tulip" / name, 8, 8, seed=1)
        write_image(root / "iris" / name, 8, 8, seed=2)
    (root / "tulip" / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir()
    (root / "README.md").write_text("a file at the top is not a class")

    split = load_folder_split(root, val_fraction=0.25)

    assert split.class_names == ("iris", "tulip")
    assert sorted(s.path.name for s in split.train + split.val if s.label == 1) == ["a.JPG", "b.jpeg", "c.Png", "d.png"]


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match=rf"Dataset folder not found: {tmp_path / 'nope'}"):
        load_folder_split(tmp_path / "nope")


def test_a_folder_without_classes_is_a_clear_error(tmp_path):
    (tmp_path / "loose.jpg").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"has no class folders: put each class's images in its own folder"):
        load_folder_split(tmp_path)


def test_an_empty_class_folder_is_a_clear_error(flower_folder):
    (flower_folder / "empty").mkdir()
    with pytest.raises(DatasetError, match=rf"Class folder {flower_folder / 'empty'} has no images"):
        load_folder_split(flower_folder)


def test_a_class_with_too_few_images_is_a_clear_error(flower_folder):
    write_image(flower_folder / "lonely" / "only.jpg", 8, 8, seed=3)
    with pytest.raises(DatasetError, match=r"Class 'lonely' has 1 image\(s\) .* needs at least 2 \(one for train\)"):
        load_folder_split(flower_folder, val_fraction=0.2)


@pytest.mark.parametrize("val, test", [(0.0, 0.1), (1.0, 0.0), (0.6, 0.4), (0.2, -0.1)])
def test_fractions_out_of_range_are_refused(flower_folder, val, test):
    with pytest.raises(ConfigError, match=rf"Received: val_fraction={val}, test_fraction={test}"):
        load_folder_split(flower_folder, val_fraction=val, test_fraction=test)


def test_load_dataset_reads_a_folder_config(flower_folder):
    split = load_dataset(DataConfig(dataset="folder", dir=str(flower_folder), val_fraction=0.5), seed=3)
    assert split == load_folder_split(flower_folder, val_fraction=0.5, seed=3)


def test_a_folder_config_without_a_directory_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"needs a directory: set \[data\] dir or pass --data-dir"):
        load_dataset(DataConfig(dataset="folder"))


def test_folder_checksums_change_when_a_class_is_renamed(flower_folder):
    before = data_checksums(load_folder_split(flower_folder, val_fraction=0.5, seed=0))
    assert set(before) == {"class_names", "train_images", "val_images", "test_images"}

    # Same files, same order, same bytes: only the label's name differs, which a model must not miss.
    (flower_folder / "daisy").rename(flower_folder / "aster")
    after = data_checksums(load_folder_split(flower_folder, val_fraction=0.5, seed=0))

    assert after["class_names"] != before["class_names"]
    assert after["train_images"] != before["train_images"]


def test_the_readme_folder_config_example_loads_and_splits(flower_folder):
    import re
    import tomllib

    from training.config import config_from_dict
    from training.tests.support import REPO

    blocks = re.findall(r"```toml\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    example = next(b for b in blocks if 'dataset = "folder"' in b)
    values = tomllib.loads(example)
    values["data"]["dir"] = str(flower_folder)

    config = config_from_dict(values)
    split = load_dataset(config.data, seed=config.seed)

    assert config.data.dataset == "folder" and split.class_names == ("daisy", "rose", "violet")
    assert len(split.train) + len(split.val) + len(split.test) == 18 and len(split.test) == 3

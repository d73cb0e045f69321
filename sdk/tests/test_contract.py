"""flowerlite.contract: the crop rule and the release file name, defined once and read by every part."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowerlite import contract, preprocessing
from flowerlite.contract import (
    CROP_FRACTION,
    RELEASE_GLOB,
    VARIANTS,
    ReleaseName,
    parse_release_name,
    release_file_name,
)

REPO = Path(__file__).resolve().parents[2]


def test_a_release_file_name_round_trips_through_the_parser_for_every_variant():
    for variant in VARIANTS:
        name = release_file_name("efficientnet_lite0", variant)
        assert name == f"flowerlite-efficientnet_lite0-{variant}.tflite"
        assert Path(name).match(RELEASE_GLOB)
        assert parse_release_name(Path("models") / name) == ReleaseName("efficientnet_lite0", variant)
        assert parse_release_name(name).file_name == name


def test_a_backbone_with_hyphens_keeps_them_and_the_variant_is_the_last_part():
    assert parse_release_name("flowerlite-my-net-v2-float16.tflite") == ReleaseName("my-net-v2", "float16")


def test_other_names_are_not_release_names():
    for name in ("quadrants_int8_metadata.tflite", "flowerlite-lite0-int4.tflite", "flowerlite-int8.tflite",
                 "other-lite0-int8.tflite", "flowerlite-lite0-int8.tflite.bak"):
        assert parse_release_name(name) is None, name


def test_release_file_name_refuses_an_unknown_variant_or_an_empty_backbone():
    with pytest.raises(ValueError, match=r"Unknown variant: use one of float32, float16, int8, dynamic\. Received: variant='int4'"):
        release_file_name("lite0", "int4")
    with pytest.raises(ValueError, match=r"Received: backbone=''"):
        release_file_name("", "int8")


def test_released_files_are_the_names_the_parser_reads_of_the_variant_asked_for(tmp_path):
    from flowerlite.contract import release_glob, released_files

    for name in ("flowerlite-a-int8.tflite", "flowerlite-a-float32.tflite", "other-int8.tflite",
                 "flowerlite-b-int4.tflite", "flowerlite-int8.tflite", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert release_glob("int8") == "flowerlite-*-int8.tflite" and release_glob() == RELEASE_GLOB
    assert [p.name for p in released_files(tmp_path, "int8")] == ["flowerlite-a-int8.tflite"]
    assert [p.name for p in released_files(tmp_path)] == ["flowerlite-a-float32.tflite", "flowerlite-a-int8.tflite"]
    assert released_files(tmp_path / "missing", "int8") == []
    with pytest.raises(ValueError, match=r"Received: variant='int4'"):
        release_glob("int4")


def test_the_default_model_the_wheel_hook_and_the_sdist_find_the_int8_release_through_the_contract(tmp_path):
    import importlib.util

    from flowerlite import _default_model
    from flowerlite.contract import release_glob, released_files

    pytest.importorskip("setuptools")
    spec = importlib.util.spec_from_file_location("setup_hooks_under_test", REPO / "sdk" / "setup_hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    for name in ("flowerlite-a-int8.tflite", "flowerlite-a-float32.tflite", "other-int8.tflite"):
        (tmp_path / name).write_bytes(b"")
    assert hooks.default_models(tmp_path) == released_files(tmp_path, "int8") == [tmp_path / "flowerlite-a-int8.tflite"]
    assert _default_model.PATTERN == release_glob("int8")
    # MANIFEST.in cannot import the contract: its model line is checked against it.
    assert f"include models/{release_glob('int8')}" in (REPO / "MANIFEST.in").read_text().splitlines()


def test_the_preprocessing_module_uses_the_contracts_crop_fraction():
    assert preprocessing.CROP_FRACTION is contract.CROP_FRACTION == 0.875
    from PIL import Image

    # 300x200: shorter side to round(224 / 0.875) = 256, longer to 384, then the centred 224 square.
    assert preprocessing.resize_and_crop(Image.new("RGB", (300, 200)), 224).size == (224, 224)


# What would be a second copy of a contract value in Python code (tests may spell values out to check them).
_SECOND_COPIES = {
    "the crop fraction": re.compile(r"(?<![\w.])0?\.8750*(?![\d])"),
    # an f-string, a regex, a glob value or the bare prefix; prose such as "folders of flowerlite-*.tflite" is fine
    "the release file-name pattern": re.compile(
        r"""flowerlite-[{(\[\\]|["']flowerlite-\*[^"'\s]*["']|["']flowerlite-["']|removeprefix\(["']flowerlite"""),
    # a sort of class scores of one's own (argmax, the first of the top ones, agrees with the order)
    "a variant's file-name glob": re.compile(rf"""["']\*-({'|'.join(VARIANTS)})\.tflite["']"""),
    "the top-k order": re.compile(r"\bargsort\("),
    # reading the cache variables, or spelling out the default folder, anywhere but contract.cache_dir
    "the cache-directory rule": re.compile(r"""["'](FLOWERLITE_CACHE|XDG_CACHE_HOME)["']|["']\.cache["']"""),
}


def _python_sources() -> list[Path]:
    sources = []
    for top in ("sdk", "training", "benchmarks", "android_demo", "scripts"):
        for path in (REPO / top).rglob("*.py"):
            parts = set(path.relative_to(REPO).parts)
            if "tests" in parts or path.name.startswith("test_") or path.name == "conftest.py":
                continue
            # The contract's own file in this checkout (the installed SDK may live elsewhere: `pip install .`).
            if path.name == "_metadata_schema_py_generated.py" or path.relative_to(REPO).as_posix() == "sdk/flowerlite/contract.py":
                continue
            sources.append(path)
    return sources


def test_no_python_module_but_the_contract_spells_out_the_crop_fraction_or_the_file_name_pattern():
    sources = _python_sources()
    assert any(p.name == "release.py" for p in sources) and any(p.name == "models.py" for p in sources)
    copies = [f"{path.relative_to(REPO)}:{number}: {what}"
              for path in sources
              for number, line in enumerate(path.read_text().splitlines(), 1)
              for what, pattern in _SECOND_COPIES.items() if pattern.search(line)]
    assert not copies, "import these from flowerlite.contract instead:\n" + "\n".join(copies)


def test_the_copy_detector_sees_the_copies_it_is_meant_to_find():
    crop, name = _SECOND_COPIES["the crop fraction"], _SECOND_COPIES["the release file-name pattern"]
    assert crop.search("CROP_FRACTION = 0.875") and crop.search("x / .875") and not crop.search("10.8751")
    assert name.search('f"flowerlite-{backbone}-{variant}.tflite"') and name.search('glob("flowerlite-*.tflite")')
    assert name.search(r're.compile(r"^flowerlite-(?P<backbone>.+)")') and name.search('stem.removeprefix("flowerlite-")')
    assert not name.search("models/flowerlite-efficientnet_lite0-int8.tflite")  # a path in a docstring is not a rule
    assert not name.search('help=".tflite files or folders of flowerlite-*.tflite"')
    variant_glob = _SECOND_COPIES["a variant's file-name glob"]
    assert variant_glob.search('PATTERN = "*-int8.tflite"') and variant_glob.search("glob('*-float16.tflite')")
    assert not variant_glob.search('glob("*.tflite")')
    order = _SECOND_COPIES["the top-k order"]
    assert order.search('order = np.argsort(-row, kind="stable")') and not order.search("row.argmax()")
    cache = _SECOND_COPIES["the cache-directory rule"]
    assert cache.search('os.environ.get("FLOWERLITE_CACHE", Path.home() / ".cache" / "flowerlite")')
    assert cache.search("os.environ['XDG_CACHE_HOME']") and cache.search('Path.home() / ".cache"')
    assert not cache.search('"set FLOWERLITE_CACHE or pass --data-dir"')  # a message naming the variable


def test_the_cache_folder_is_flowerlite_cache_else_xdg_cache_home_else_the_home_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FLOWERLITE_CACHE", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert contract.cache_dir() == tmp_path / "mine"
    monkeypatch.setenv("FLOWERLITE_CACHE", "")  # empty counts as unset
    assert contract.cache_dir() == tmp_path / "xdg" / "flowerlite"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/xdg")  # ignored, as the XDG spec says
    assert contract.cache_dir() == tmp_path / "home" / ".cache" / "flowerlite"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.delenv("FLOWERLITE_CACHE")
    assert contract.cache_dir() == tmp_path / "home" / ".cache" / "flowerlite"


def test_without_a_home_there_is_no_cache_folder_rather_than_one_in_the_working_directory(monkeypatch):
    import os

    monkeypatch.delenv("FLOWERLITE_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # HOME unset and no passwd entry
    assert contract.cache_dir() is None


def test_the_model_check_cache_is_the_verified_folder_of_the_contracts_cache(monkeypatch, tmp_path):
    from flowerlite import _probe

    monkeypatch.delenv("FLOWERLITE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _probe._cache_dir() == contract.cache_dir() / "verified" == tmp_path / "xdg" / "flowerlite" / "verified"


def test_top_k_indices_orders_by_score_with_ties_in_index_order_for_rows_and_batches():
    import numpy as np

    from flowerlite.contract import top_k_indices

    row = np.array([0.1, 0.4, 0.1, 0.4, -0.0, 0.0], np.float32)
    assert top_k_indices(row).tolist() == [1, 3, 0, 2, 4, 5]
    assert top_k_indices(row, 3).tolist() == [1, 3, 0]
    assert top_k_indices(np.array([0, 255, 3, 255], np.uint8), 2).tolist() == [1, 3]  # not negated as uint8
    assert top_k_indices(np.stack([row, row[::-1]]), 2).tolist() == [[1, 3], [2, 4]]


def test_the_classifier_returns_categories_in_the_contracts_order(monkeypatch):
    import numpy as np

    from flowerlite import Classifier
    from flowerlite.contract import top_k_indices

    from conftest import fixture_path

    row = np.array([0.25, 0.0, 0.25, 0.5], np.float32)
    with Classifier(fixture_path("quadrants_float32_metadata"), top_k=4) as clf:
        monkeypatch.setattr(clf, "scores", lambda tensor: row[None])
        indices = [c.index for c in clf.classify(np.zeros((8, 8, 3), np.uint8), score_threshold=0.0)]
    assert indices == top_k_indices(row).tolist() == [3, 0, 2, 1]


def test_the_classifier_takes_its_categories_order_from_the_contract(monkeypatch):
    import numpy as np

    from flowerlite import Classifier, classifier

    from conftest import fixture_path

    # Were the classifier to sort on its own, a different order from the contract's would not show up.
    monkeypatch.setattr(classifier, "top_k_indices", lambda scores, k=None: np.arange(len(scores))[::-1][:k])
    row = np.array([0.25, 0.0, 0.25, 0.5], np.float32)
    with Classifier(fixture_path("quadrants_float32_metadata"), top_k=3) as clf:
        monkeypatch.setattr(clf, "scores", lambda tensor: row[None])
        indices = [c.index for c in clf.classify(np.zeros((8, 8, 3), np.uint8), score_threshold=0.0)]
    assert indices == [3, 2, 1]

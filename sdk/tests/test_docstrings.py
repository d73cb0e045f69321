"""The SDK's public API documents itself the MediaPipe way: Args, Returns and Raises where they apply."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from flowerlite import Category, Classifier, ClassifierOptions, ImageResult, metadata, preprocessing

SECTIONS = {
    Classifier: ("Args:", "Raises:"),
    Classifier.create_from_model_path: ("Args:", "Returns:", "Raises:"),
    Classifier.create_from_options: ("Args:", "Returns:", "Raises:"),
    Classifier.classify: ("Args:", "Returns:", "Raises:"),
    Classifier.classify_batch: ("Args:", "Returns:", "Raises:"),
    Classifier.classify_iter: ("Args:", "Returns:", "Raises:"),
    Classifier.preprocess: ("Args:", "Returns:", "Raises:"),
    Classifier.scores: ("Args:", "Returns:", "Raises:"),
    Classifier.close: (),
    metadata.read_metadata: ("Args:", "Returns:", "Raises:"),
    metadata.write_metadata: ("Args:", "Returns:", "Raises:"),
    preprocessing.load_image: ("Args:", "Returns:", "Raises:"),
    preprocessing.resize_and_crop: ("Args:", "Returns:", "Raises:"),
    preprocessing.to_input_tensor: ("Args:", "Returns:", "Raises:"),
    preprocessing.preprocess: ("Args:", "Returns:", "Raises:"),
}


@pytest.mark.parametrize("api", SECTIONS, ids=lambda api: api.__qualname__)
def test_each_public_call_has_its_args_returns_and_raises_sections(api):
    doc = inspect.getdoc(api) or ""
    assert doc.strip(), f"{api.__qualname__} has no docstring"
    missing = [section for section in SECTIONS[api] if section not in doc]
    assert not missing, f"{api.__qualname__} lacks {missing}"


@pytest.mark.parametrize("container", [Category, ImageResult, ClassifierOptions, metadata.ModelMetadata])
def test_each_result_and_options_dataclass_documents_every_field(container):
    doc = inspect.getdoc(container)
    assert "Attributes:" in doc
    for field in dataclasses.fields(container):
        assert field.name in doc, f"{container.__name__} does not document {field.name}"


def test_the_options_docstring_says_how_they_differ_from_mediapipes():
    doc = inspect.getdoc(ClassifierOptions)
    for mediapipe_name in ("base_options", "BaseOptions(model_asset_path", "running_mode", "display_names_locale",
                           "max_results", "category_allowlist", "category_denylist"):
        assert mediapipe_name in doc, mediapipe_name
    mediapipe_fields = {"model_path", "top_k", "score_threshold"}  # MediaPipe's model asset, max_results, score_threshold
    own = {f.name for f in dataclasses.fields(ClassifierOptions)} - mediapipe_fields
    only_here = doc.split("Only here:", 1)[1].split("\n\n", 1)[0]
    assert all(f"``{name}``" in only_here for name in own), only_here

"""export_model: one variant written with standard metadata that reads back."""

from __future__ import annotations

import hashlib

import pytest

from training.export.errors import ExportError
from training.export.exporter import ModelInfo, export_model
from training.export.quantization import QuantizationConfig
from training.export.tests.conftest import MEAN, STD, TINY_LABELS


def test_export_returns_each_file_with_its_size_and_checksum(tiny_release):
    for result in tiny_release.models:
        data = result.path.read_bytes()
        assert result.size_bytes == len(data)
        assert result.sha256 == hashlib.sha256(data).hexdigest()
    io = {m.variant: (m.input_dtype, m.output_dtype, m.input_quantization) for m in tiny_release.models}
    assert io["float32"] == io["float16"] == io["dynamic"] == ("float32", "float32", None)
    assert io["int8"] == ("uint8", "uint8", (0.0078125, 127))


def test_exported_metadata_reads_back_with_the_sdk(tiny_release):
    from flowerlite.metadata import read_metadata

    for result in tiny_release.models:
        meta = read_metadata(result.path)
        assert (meta.name, meta.version, meta.author, meta.license) == (
            "flowerlite efficientnet_lite0", "0.0.1", "flowerlite", "Apache-2.0")
        assert meta.labels == TINY_LABELS
        assert (meta.mean, meta.std) == (MEAN, STD)
        assert (meta.color_space, meta.score_type) == ("RGB", "probability")


def test_export_fails_clearly_when_labels_do_not_match_the_outputs(tiny_model, tmp_path):
    info = ModelInfo(name="tiny", version="0.0.1", description="", labels=TINY_LABELS[:2], mean=MEAN, std=STD)
    with pytest.raises(ExportError, match=r"tiny-float32.tflite.*3 scores.*2 labels"):
        export_model(tiny_model, tmp_path / "tiny-float32.tflite", QuantizationConfig.for_float32(), info)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_a_quantised_output_carries_half_its_step_as_the_score_threshold(tiny_release):
    from flowerlite.metadata import read_metadata

    for result in tiny_release.models:
        threshold = read_metadata(result.path).score_threshold
        assert result.score_threshold == threshold  # what the card reports is what the file holds
        if result.variant == "int8":
            scale = result.output_quantization[0]
            # Exact zeros (unlikely classes below one step) are dropped; one step is kept.
            assert threshold == pytest.approx(scale / 2) and 0 < threshold < scale
        else:
            assert threshold is None, result.variant

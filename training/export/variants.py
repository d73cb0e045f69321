"""Each variant of a model converted, scored on the real-world photos and verified against Keras: an export's files.

    convert_variants   the variants in turn: convert, check the input quantisation, fit the confident level,
                       verify; a rejected file is set aside as *.rejected and stops the export
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from flowerlite.contract import release_file_name

from training.export.errors import VerificationError
from training.export.evaluate import PhotoSetResult, evaluate_photo_set
from training.export.export_card import file_entry
from training.export.exporter import ExportedModel, ModelInfo, export_model, set_confident_score
from training.export.model_card import FileEntry
from training.export.options import ExportOptions
from training.export.quantization import QuantizationConfig
from training.export.run import FinishedRun
from training.export.verify import TOLERANCES, VerificationReport, verify_model

__all__ = ["VariantFiles", "convert_variants"]


@dataclass
class VariantFiles:
    """What the conversions wrote and measured, file by file, in the order of the variants."""

    models: list[ExportedModel] = field(default_factory=list)
    checks: list[VerificationReport] = field(default_factory=list)
    entries: list[FileEntry] = field(default_factory=list)
    photo_sets: list[PhotoSetResult] = field(default_factory=list)
    input_quantization: tuple[float, int] | None = None


def convert_variants(model, run: FinishedRun, out_dir: Path, options: ExportOptions, info: ModelInfo, size: int,
                     calibration: np.ndarray | None, check_paths: list[Path], keras_probs: np.ndarray) -> VariantFiles:
    """Convert, fit and verify each variant in turn, printing what each file measures."""
    from tqdm import tqdm

    files = VariantFiles()
    for variant in tqdm(options.variants, desc="export", unit="file"):
        quantization = (QuantizationConfig.for_int8(calibration, per_channel=options.per_channel) if variant == "int8"
                        else QuantizationConfig(variant))
        exported = export_model(model, out_dir / release_file_name(run.config.backbone, variant), quantization, info)
        exported, check, photo = _verify_variant(exported, variant, options, info, check_paths, keras_probs)
        if variant == "int8":
            files.input_quantization = exported.input_quantization
        print(f"[export] {exported.path.name}: {exported.size_bytes / 1e6:.2f} MB, {check.summary()}", flush=True)
        if photo is not None:
            files.photo_sets.append(photo)
            print(f"[export] {exported.path.name} on real-world photos: {photo.summary()}", flush=True)
        files.models.append(exported)
        files.checks.append(check)
        files.entries.append(file_entry(exported, quantization, check, size, len(info.labels)))
    return files


def _verify_variant(exported: ExportedModel, variant: str, options: ExportOptions, info: ModelInfo,
                    check_paths: list[Path],
                    keras_probs: np.ndarray) -> tuple[ExportedModel, VerificationReport, PhotoSetResult | None]:
    """Check a written file, fit its confident level and verify it against Keras; set a rejected file aside."""
    try:
        _check_input_quantization(exported, info)
        exported, photo = _fit_confident_level(exported, options)
        check = verify_model(exported.path, variant, keras_probs, check_paths,
                             dataclasses.replace(info, confident_score=exported.confident_score),
                             options.tolerances.get(variant) or TOLERANCES[variant])
    except VerificationError as exc:
        # Keep the rejected file for inspection, under a name no model glob picks up.
        rejected = exported.path.with_name(exported.path.name + ".rejected")
        os.replace(exported.path, rejected)
        raise VerificationError(f"{exc} (kept as {rejected})") from None
    return exported, check, photo


def _fit_confident_level(exported: ExportedModel,
                         options: ExportOptions) -> tuple[ExportedModel, PhotoSetResult | None]:
    """Score a file on the real-world photos, if any, and write its confident score level into its metadata."""
    if options.photo_set is None:
        return exported, None
    # The file's own scores on the real-world photos (never Oxford test) give its confident level.
    photo = evaluate_photo_set(exported.path, options.photo_set, progress=False)
    return set_confident_score(exported, photo.confident.threshold if photo.confident else None), photo


def _check_input_quantization(exported: ExportedModel, info: ModelInfo) -> None:
    """Refuse a uint8 input whose quantisation is not the metadata's normalisation."""
    # MediaPipe and other tools feed raw pixels to a uint8 input: its quantisation must *be* the
    # metadata's normalisation, or they would silently see other values than the model was trained on.
    if exported.input_dtype != "uint8":
        return
    scale, zero = exported.input_quantization
    if not (np.allclose(1.0 / scale, info.std, rtol=1e-6) and np.allclose(zero, info.mean)):
        raise VerificationError(
            f"{exported.path}: the converter chose input quantisation scale={scale}, zero_point={zero}, which is not "
            f"(pixel - {info.mean[0]:g}) / {info.std[0]:g}: raw pixels would be mis-normalised. Calibrate on more "
            f"images (--calibration-images) so that they span 0..255"
        )

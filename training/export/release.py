"""A finished run -> verified TFLite variants, model card and SHA256SUMS; the release into models/.

    export_run   one run into a folder, step by step: check the data, fit the temperature, convert and
                 verify the variants (variants.py), measure accuracy, write the card (export_card.py)
    release      the run with the best val top-1 into models/, with the int8 loss checked on test,
                 swapped in only once everything passed
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np
from flowerlite.contract import CROP_FRACTION, RELEASE_GLOB

from training.data.oxford102 import Split, data_checksums
from training.export.calibration import load_crops, normalise, stratified_sample
from training.export.errors import QuantizationLossError, RunError
from training.export.evaluate import AccuracyResult, evaluate_model
from training.export.export_card import export_card
from training.export.exporter import ExportedModel, ModelInfo
from training.export.model_card import write_model_card
from training.export.options import ExportOptions
from training.export.report import ExportReport, report_json
from training.export.run import FinishedRun, load_run, select_best_run
from training.export.temperature import TemperatureFit, apply_temperature, fit_temperature, scale_softmax_layer
from training.export.variants import convert_variants

__all__ = ["ExportOptions", "ExportReport", "write_checksums", "export_run", "release",
           "report_json", "check_int8_loss", "RELEASE_FILES"]

CARD_NAME = "MODEL_CARD.md"
SUMS_NAME = "SHA256SUMS"
# What a release owns in models/: replaced as a whole, nothing else there is touched.
RELEASE_FILES = (RELEASE_GLOB, CARD_NAME, SUMS_NAME)


def write_checksums(folder: Path, names: Sequence[str]) -> Path:
    """SHA256SUMS in `sha256sum -c` format for `names` inside `folder`."""
    from training.export.exporter import sha256_file

    path = folder / SUMS_NAME
    path.write_text("".join(f"{sha256_file(folder / n)}  {n}\n" for n in sorted(names)))
    return path


def _model_info(run: FinishedRun, split: Split, version: str, size: int) -> ModelInfo:
    """Describe the run's model for its metadata: name, version, labels and its backbone's mean/std."""
    from training.backbones.registry import get_backbone

    spec = get_backbone(run.config.backbone)
    return ModelInfo(
        name=f"flowerlite {run.config.backbone}",
        version=version,
        description=(f"Oxford 102 flower classifier ({len(split.class_names)} classes), {run.config.backbone} "
                     f"fine-tuned by flowerlite. Input: RGB {size}x{size}, shorter side resized to "
                     f"round({size}/{CROP_FRACTION:g}) then centre-cropped. Output: class probabilities."),
        labels=tuple(split.class_names),
        mean=spec.mean,
        std=spec.std,
    )


def export_run(
    run: FinishedRun | str | Path,
    split: Split,
    out_dir: str | Path,
    options: ExportOptions = ExportOptions(),
    *,
    evaluate_on: Sequence | None = None,
    evaluate_subset: str = "test",
    selection: Sequence[FinishedRun] = (),
) -> ExportReport:
    """Export every variant of a finished run into `out_dir`, verify each file, write card + SHA256SUMS.

    `evaluate_on` (samples, normally the test split) adds an accuracy table measured through the SDK.

    Raises:
        RunError: the run is unfinished or was trained on other data than `split`.
        ExportError / VerificationError: a conversion failed or a file drifts beyond tolerance.
    """
    run = run if isinstance(run, FinishedRun) else load_run(run)
    _check_data(run, split, options)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = run.load_model()
    size = int(model.input_shape[1])
    info = _model_info(run, split, options.version, size)
    _check_photo_set(options, info)
    print(f"[export] {run.run_dir}: {size} px, {len(info.labels)} classes -> {out_dir}", flush=True)
    temperature, val_probs = _fit_temperature(model, split, options, info, size)
    check_paths, keras_probs = _keras_reference(model, split, options, info, size, temperature, val_probs)
    calibration = _calibration_images(split, options, info, size)
    files = convert_variants(model, run, out_dir, options, info, size, calibration, check_paths, keras_probs)
    accuracy = _measure_accuracy(files.models, evaluate_on, evaluate_subset)
    report = ExportReport(run, out_dir, files.models, files.checks, accuracy, out_dir / CARD_NAME, out_dir / SUMS_NAME,
                          files.input_quantization, temperature, files.photo_sets)
    card = export_card(report, split, options, info, size, files.entries,
                       len(calibration) if calibration is not None else 0, evaluate_subset, selection)
    write_model_card(card, report.card_path)
    write_checksums(out_dir, [m.path.name for m in files.models] + [CARD_NAME])
    return report


def _check_data(run: FinishedRun, split: Split, options: ExportOptions) -> None:
    """Refuse a split whose checksums differ from those the run was trained on (unless told not to check)."""
    if options.check_data:
        sums = data_checksums(split)
        if sums != run.data_checksums:
            raise RunError(f"{run.run_dir} was trained on other data than {split.root} (data_checksums.json differs): "
                           "pass the dataset the run was trained on")


def _check_photo_set(options: ExportOptions, info: ModelInfo) -> None:
    """Load the real-world photo set, if any, so that a bad folder fails now, not after the conversions."""
    if options.photo_set is not None:
        from training.data.photoset import load_photo_set

        photos = load_photo_set(options.photo_set, info.labels)
        print(f"[export] real-world photos {options.photo_set}: {len(photos.samples)} photos of {len(photos.classes)} "
              f"classes; each file is scored on them and gets its confident score level there", flush=True)


def _fit_temperature(model, split: Split, options: ExportOptions, info: ModelInfo,
                     size: int) -> tuple[TemperatureFit | None, np.ndarray | None]:
    """Fit a temperature on val and fold it into `model`'s softmax layer; return it and the val probabilities."""
    if options.temperature_scaling and not split.val:
        print("[export] no val images: probabilities kept as trained (no temperature fitted)", flush=True)
    elif options.temperature_scaling:
        # Val, like every other choice; the probabilities change, top-1 does not.
        val_probs = model.predict(normalise(load_crops([s.path for s in split.val], size), info.mean, info.std),
                                  verbose=0, batch_size=32)
        temperature = fit_temperature(val_probs, np.array([s.label for s in split.val]))
        scale_softmax_layer(model, temperature.temperature)
        print(f"[export] {temperature.summary()}", flush=True)
        return temperature, val_probs
    return None, None


def _keras_reference(model, split: Split, options: ExportOptions, info: ModelInfo, size: int,
                     temperature: TemperatureFit | None, val_probs: np.ndarray | None) -> tuple[list[Path], np.ndarray]:
    """Pick the check images and compute the Keras model's probabilities on them, which every file must match."""
    # Val images, or train images for a run trained on both: the checks compare a file with its own
    # Keras model, no label is involved.
    check_samples = stratified_sample(split.val or split.train, options.verify_images, options.seed)
    check_paths = [s.path for s in check_samples]
    if temperature is not None:
        # The val pass above already holds these images; folding T divides the logits, as this does.
        index = {s.path: i for i, s in enumerate(split.val)}
        keras_probs = apply_temperature(val_probs[[index[p] for p in check_paths]], temperature.temperature).astype(np.float32)
    else:
        keras_probs = model.predict(normalise(load_crops(check_paths, size), info.mean, info.std), verbose=0, batch_size=32)
    return check_paths, keras_probs


def _calibration_images(split: Split, options: ExportOptions, info: ModelInfo, size: int) -> np.ndarray | None:
    """Prepare the int8 calibration images (a stratified train sample), or None when no int8 file is built."""
    if "int8" not in options.variants:
        return None
    calib_samples = stratified_sample(split.train, options.calibration_images, options.seed)
    return normalise(load_crops([s.path for s in calib_samples], size), info.mean, info.std)


def _measure_accuracy(models: list[ExportedModel], evaluate_on: Sequence | None, subset: str) -> list[AccuracyResult]:
    """Measure each file's top-1 on `evaluate_on` through the SDK (nothing when it is None)."""
    if evaluate_on is None:
        return []
    return [evaluate_model(exported.path, evaluate_on, subset=subset) for exported in models]


def check_int8_loss(loss: float | None, limit: float | None, staging: Path, models_dir: Path) -> None:
    """Stop a release whose int8 file loses more than `limit` points of test top-1 against float32.

    Raises:
        QuantizationLossError: with where the rejected files are.
    """
    if limit is not None and loss is not None and loss > limit:
        raise QuantizationLossError(
            f"int8 loses {loss:.2f} points of test top-1 against float32 (limit {limit}); the files are left "
            f"in {staging} and {models_dir} is unchanged. Raise --calibration-images or use quantisation-aware training"
        )


def _publish(staging: Path, models_dir: Path) -> None:
    """Replace the release files of `models_dir` by those of `staging` (other files are kept)."""
    models_dir.mkdir(parents=True, exist_ok=True)
    for pattern in RELEASE_FILES:
        for old in models_dir.glob(pattern):
            old.unlink()
    for new in sorted(staging.iterdir()):
        os.replace(new, models_dir / new.name)
    staging.rmdir()


def release(
    run_dirs: Sequence[str | Path],
    split: Split,
    models_dir: str | Path = "models",
    options: ExportOptions = ExportOptions(),
    *,
    max_int8_loss: float | None = 0.5,
    evaluate: bool = True,
) -> ExportReport:
    """Export the run with the best val top-1 into `models_dir`, evaluated on test, all checks passed.

    The files are built in a staging folder beside `models_dir` and swapped in only at the end, so a
    failed release leaves the previous one intact.

    Raises:
        RunError: no finished run, or data mismatch.
        VerificationError: a file drifts from its Keras model.
        QuantizationLossError: int8 loses more than `max_int8_loss` points of test top-1 against float32.
    """
    best, candidates = select_best_run(run_dirs)
    print("[release] candidates by val top-1: " + ", ".join(
        f"{c.run_dir} " + ("trained on train+val" if c.val_accuracy is None else f"{c.val_accuracy:.4f}") for c in candidates)
        + f" -> {best.run_dir}", flush=True)
    models_dir = Path(models_dir)
    staging = models_dir.parent / f".{models_dir.name}.staging"
    if staging.exists():
        shutil.rmtree(staging)  # leftovers of an interrupted release: always rebuilt from scratch
    report = export_run(best, split, staging, options, evaluate_on=split.test if evaluate else None,
                        selection=candidates)
    check_int8_loss(report.int8_loss(), max_int8_loss, staging, models_dir)
    _publish(staging, models_dir)
    report.out_dir = models_dir
    report.card_path, report.sums_path = models_dir / CARD_NAME, models_dir / SUMS_NAME
    report.models = [dataclasses.replace(m, path=models_dir / m.path.name) for m in report.models]
    report.accuracy = [dataclasses.replace(a, path=models_dir / a.path.name) for a in report.accuracy]
    report.photo_sets = [dataclasses.replace(p, path=models_dir / p.path.name) for p in report.photo_sets]
    return report



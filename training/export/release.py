"""A finished run -> verified TFLite variants, model card and SHA256SUMS; the release into models/.

    export_run   one run into a folder: convert, pack metadata, verify each file, (evaluate), card
    release      the run with the best val top-1 into models/, with the int8 loss checked on test,
                 swapped in only once everything passed
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from flowerlite.contract import CROP_FRACTION, RELEASE_GLOB, release_file_name

from training.data.oxford102 import Split, data_checksums
from training.export.calibration import load_crops, normalise, stratified_sample
from training.export.errors import QuantizationLossError, RunError, VerificationError
from training.export.evaluate import AccuracyResult, PhotoSetResult, evaluate_model, evaluate_photo_set
from training.export.exporter import ExportedModel, ModelInfo, export_model, set_confident_score
from training.export.model_card import AccuracyRow, FileEntry, ModelCard, RealWorldRow, write_model_card
from training.export.quantization import QuantizationConfig
from training.export.run import FinishedRun, load_run, select_best_run
from training.export.temperature import TemperatureFit, apply_temperature, fit_temperature, scale_softmax_layer
from training.export.verify import TOLERANCES, Tolerance, VerificationReport, verify_model

__all__ = ["ExportOptions", "ExportReport", "write_checksums", "export_run", "release",
           "report_json", "check_int8_loss", "RELEASE_FILES"]

CARD_NAME = "MODEL_CARD.md"
SUMS_NAME = "SHA256SUMS"
# What a release owns in models/: replaced as a whole, nothing else there is touched.
RELEASE_FILES = (RELEASE_GLOB, CARD_NAME, SUMS_NAME)


@dataclass(frozen=True)
class ExportOptions:
    """How a run is exported (everything seeded: the same options give the same files)."""

    variants: tuple[str, ...] = ("float32", "float16", "int8")
    version: str = "1.0.0"
    calibration_images: int = 400  # train images for int8 calibration (stratified over classes)
    verify_images: int = 200  # val images for the export checks
    seed: int = 0
    per_channel: bool = True
    check_data: bool = True  # refuse data whose checksums differ from the run's
    tolerances: dict[str, Tolerance] = field(default_factory=dict)  # overrides of verify.TOLERANCES
    rebuild_command: str = ""
    accuracy_command: str = ""
    temperature_scaling: bool = True  # fit a temperature on val and fold it into the softmax layer
    # Real-world photos (folders named by some of the labels, e.g. ../shared/realworld-val): every file
    # is scored on them and its confident score level is fitted there and written into its metadata.
    photo_set: str | Path | None = None
    photo_set_command: str = ""


@dataclass
class ExportReport:
    """What an export wrote and measured."""

    run: FinishedRun
    out_dir: Path
    models: list[ExportedModel]
    checks: list[VerificationReport]
    accuracy: list[AccuracyResult]
    card_path: Path
    sums_path: Path
    input_quantization: tuple[float, int] | None = None
    temperature: TemperatureFit | None = None
    photo_sets: list[PhotoSetResult] = field(default_factory=list)  # one per file, on options.photo_set

    def int8_loss(self) -> float | None:
        """float32 minus int8 top-1, in points, when both were evaluated."""
        by_variant = {a.variant: a.top1 for a in self.accuracy}
        if "float32" in by_variant and "int8" in by_variant:
            return 100.0 * (by_variant["float32"] - by_variant["int8"])
        return None


def write_checksums(folder: Path, names: Sequence[str]) -> Path:
    """SHA256SUMS in `sha256sum -c` format for `names` inside `folder`."""
    from training.export.exporter import sha256_file

    path = folder / SUMS_NAME
    path.write_text("".join(f"{sha256_file(folder / n)}  {n}\n" for n in sorted(names)))
    return path


def _model_info(run: FinishedRun, split: Split, version: str, size: int) -> ModelInfo:
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


def _check_input_quantization(exported: ExportedModel, info: ModelInfo) -> None:
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


def _file_entry(exported: ExportedModel, quantization: QuantizationConfig, check: VerificationReport, size: int,
                classes: int) -> FileEntry:
    if exported.input_dtype == "uint8":
        scale, zero = exported.input_quantization
        input_desc = f"uint8 [1, {size}, {size}, 3] raw RGB (scale {scale:g}, zero point {zero})"
    else:
        input_desc = f"float32 [1, {size}, {size}, 3] normalised RGB"
    if exported.output_dtype == "uint8":
        scale, zero = exported.output_quantization
        output_desc = f"uint8 [1, {classes}] probabilities (scale {scale:g}, zero point {zero})"
    else:
        output_desc = f"float32 [1, {classes}] probabilities"
    if exported.score_threshold is not None:
        output_desc += f"; score threshold {exported.score_threshold:g} in its metadata"
    if exported.confident_score is not None:
        output_desc += f"; confident score {exported.confident_score:g} in its metadata"
    return FileEntry(exported.path.name, exported.variant, exported.size_bytes, exported.sha256,
                     quantization.describe(), input_desc, output_desc, check.summary())


def _calibration_note(options: ExportOptions, count: int, classes: int, quantization, loss: float | None) -> str:
    if quantization is None:
        return "No int8 file in this export."
    scale, zero = quantization
    text = (f"Post-training full-integer quantisation by the TFLite converter (no quantisation-aware training), "
            f"{'per-channel' if options.per_channel else 'per-tensor'} int8 weights (the converter's default), "
            f"int8 activations, uint8 input and output. Calibrated on {count} train images "
            f"({count / classes:.1f} per class, stratified, seed {options.seed}), prepared with the evaluation rule "
            f"(`flowerlite.preprocessing`: shorter side to size/{CROP_FRACTION:g}, centre crop). The converter chose input "
            f"scale {scale:g} and zero point {zero}, i.e. the uint8 input is the raw pixel and (x - 127) / 128 "
            f"costs nothing.")
    if loss is not None:
        text += f" Test top-1 loss against float32: {loss:.2f} points (target: at most 0.5)."
    return text


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
    from tqdm import tqdm

    run = run if isinstance(run, FinishedRun) else load_run(run)
    if options.check_data:
        sums = data_checksums(split)
        if sums != run.data_checksums:
            raise RunError(f"{run.run_dir} was trained on other data than {split.root} (data_checksums.json differs): "
                           "pass the dataset the run was trained on")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = run.load_model()
    size = int(model.input_shape[1])
    info = _model_info(run, split, options.version, size)
    classes = len(info.labels)
    if options.photo_set is not None:
        from training.data.photoset import load_photo_set

        photos = load_photo_set(options.photo_set, info.labels)  # a bad folder fails now, not after the conversions
        print(f"[export] real-world photos {options.photo_set}: {len(photos.samples)} photos of {len(photos.classes)} "
              f"classes; each file is scored on them and gets its confident score level there", flush=True)

    print(f"[export] {run.run_dir}: {size} px, {classes} classes -> {out_dir}", flush=True)
    temperature = None
    if options.temperature_scaling and not split.val:
        print("[export] no val images: probabilities kept as trained (no temperature fitted)", flush=True)
    elif options.temperature_scaling:
        # Val, like every other choice; the probabilities change, top-1 does not.
        val_probs = model.predict(normalise(load_crops([s.path for s in split.val], size), info.mean, info.std),
                                  verbose=0, batch_size=32)
        temperature = fit_temperature(val_probs, np.array([s.label for s in split.val]))
        scale_softmax_layer(model, temperature.temperature)
        print(f"[export] {temperature.summary()}", flush=True)
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
    calibration = None
    if "int8" in options.variants:
        calib_samples = stratified_sample(split.train, options.calibration_images, options.seed)
        calibration = normalise(load_crops([s.path for s in calib_samples], size), info.mean, info.std)

    models, checks, entries, photo_sets = [], [], [], []
    input_quantization = None
    for variant in tqdm(options.variants, desc="export", unit="file"):
        quantization = (QuantizationConfig.for_int8(calibration, per_channel=options.per_channel) if variant == "int8"
                        else QuantizationConfig(variant))
        exported = export_model(model, out_dir / release_file_name(run.config.backbone, variant), quantization, info)
        try:
            _check_input_quantization(exported, info)
            if options.photo_set is not None:
                # The file's own scores on the real-world photos (never Oxford test) give its confident level.
                photo = evaluate_photo_set(exported.path, options.photo_set, progress=False)
                photo_sets.append(photo)
                exported = set_confident_score(exported, photo.confident.threshold if photo.confident else None)
            check = verify_model(exported.path, variant, keras_probs, check_paths,
                                 dataclasses.replace(info, confident_score=exported.confident_score),
                                 options.tolerances.get(variant) or TOLERANCES[variant])
        except VerificationError as exc:
            # Keep the rejected file for inspection, under a name no model glob picks up.
            rejected = exported.path.with_name(exported.path.name + ".rejected")
            os.replace(exported.path, rejected)
            raise VerificationError(f"{exc} (kept as {rejected})") from None
        if variant == "int8":
            input_quantization = exported.input_quantization
        print(f"[export] {exported.path.name}: {exported.size_bytes / 1e6:.2f} MB, {check.summary()}", flush=True)
        if photo_sets and photo_sets[-1].path == exported.path:
            print(f"[export] {exported.path.name} on real-world photos: {photo_sets[-1].summary()}", flush=True)
        models.append(exported)
        checks.append(check)
        entries.append(_file_entry(exported, quantization, check, size, classes))

    accuracy = []
    if evaluate_on is not None:
        for exported in models:
            accuracy.append(evaluate_model(exported.path, evaluate_on, subset=evaluate_subset))
    report = ExportReport(run, out_dir, models, checks, accuracy, out_dir / CARD_NAME, out_dir / SUMS_NAME,
                          input_quantization, temperature, photo_sets)
    loss = report.int8_loss()
    card = ModelCard(
        title=f"flowerlite {run.config.backbone} — Oxford 102 flower classifier",
        version=options.version,
        backbone=run.config.backbone,
        input_size=size,
        mean=info.mean,
        std=info.std,
        class_names=info.labels,
        config_toml=run.config_toml,
        metrics=run.metrics,
        data_checksums=run.data_checksums,
        files=entries,
        calibration=_calibration_note(options, len(calibration) if calibration is not None else 0, classes,
                                      input_quantization, loss),
        run_dir=str(run.run_dir),
        split_sizes=(len(split.train), len(split.val), len(split.test)),
        split_name=("Official Oxford 102 split" if run.config.data.dataset == "oxford102"
                    else f"{run.config.data.dataset} dataset at {split.root}"),
        selection=[(str(r.run_dir), r.val_accuracy)
                   for r in sorted(selection, key=lambda r: -1.0 if r.val_accuracy is None else -r.val_accuracy)],
        trained_on_val=run.trained_on_val,
        accuracy=[AccuracyRow(a.path.name, a.variant, a.images, a.top1) for a in accuracy],
        accuracy_subset=f"{evaluate_subset}, {accuracy[0].images} images" if accuracy else evaluate_subset,
        accuracy_command=options.accuracy_command,
        accuracy_source=("Top-1 measured by the export's own evaluation (`python -m training evaluate`), which runs "
                         "each file through `flowerlite.Classifier`." if accuracy else ""),
        rebuild_command=options.rebuild_command,
        realworld=[RealWorldRow(p.path.name, p.variant, p.scores, p.confident) for p in photo_sets],
        realworld_set=str(options.photo_set or ""),
        realworld_command=options.photo_set_command,
        notes=([f"Probabilities: {temperature.summary()}. Every file carries it (the softmax layer's weights are "
                "divided by the temperature), so scores and `score_threshold` mean what they say; top-1 is unchanged. "
                "The run's own metrics below are before it."] if temperature else [])
              + _official_protocol_notes(run, selection),
    )
    write_model_card(card, report.card_path)
    write_checksums(out_dir, [m.path.name for m in models] + [CARD_NAME])
    return report


def _official_protocol_notes(run: FinishedRun, selection: Sequence[FinishedRun]) -> list[str]:
    # A train+val release is reported beside its official-protocol twins: the number to compare with the literature.
    if not run.trained_on_val:
        return []
    return [f"Official protocol (train only, every choice on val), the same recipe: `{r.run_dir}` val {100 * r.val_accuracy:.2f}%, "
            f"test {100 * r.metrics['phase2_test']:.2f}% (Keras, before conversion). The released files are trained on "
            "train+val: their test figures above are the shipped model's, not the official protocol's."
            for r in selection if r.val_accuracy is not None and r.metrics.get("phase2_test") is not None]


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


def report_json(report: ExportReport) -> str:
    """A machine-readable summary of an export (sizes, checks, accuracy)."""
    return json.dumps({
        "run": str(report.run.run_dir),
        "val_top1": report.run.val_accuracy,
        "files": [{"name": m.path.name, "variant": m.variant, "size_bytes": m.size_bytes, "sha256": m.sha256}
                  for m in report.models],
        "checks": [{"variant": c.variant, "images": c.images, "top1_agreement": c.top1_agreement,
                    "mean_delta": c.mean_delta, "max_delta": c.max_delta} for c in report.checks],
        "accuracy": [{"name": a.path.name, "variant": a.variant, "images": a.images, "top1": a.top1}
                     for a in report.accuracy],
        "int8_loss_points": report.int8_loss(),
        "photo_sets": [p.to_dict() for p in report.photo_sets],
        "input_quantization": report.input_quantization,
    }, indent=2)

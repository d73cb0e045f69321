"""The model card of an export: what its run, files, checks, accuracy and real-world figures tell the card."""

from __future__ import annotations

from typing import Sequence

from flowerlite.contract import CROP_FRACTION

from training.data.oxford102 import Split
from training.export.exporter import ExportedModel, ModelInfo
from training.export.model_card import AccuracyRow, FileEntry, ModelCard, RealWorldRow
from training.export.options import ExportOptions
from training.export.quantization import QuantizationConfig
from training.export.report import ExportReport
from training.export.run import FinishedRun
from training.export.verify import VerificationReport

__all__ = ["file_entry", "export_card"]


def file_entry(exported: ExportedModel, quantization: QuantizationConfig, check: VerificationReport, size: int,
               classes: int) -> FileEntry:
    """The card's row for one written file: its size, digest, quantisation, input, output and check."""
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


def export_card(report: ExportReport, split: Split, options: ExportOptions, info: ModelInfo, size: int,
                entries: list[FileEntry], calibration_count: int, evaluate_subset: str,
                selection: Sequence[FinishedRun]) -> ModelCard:
    """The model card of `report`'s export of its run on `split`, with `entries` as its file table."""
    run, accuracy, temperature = report.run, report.accuracy, report.temperature
    classes = len(info.labels)
    return ModelCard(
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
        calibration=_calibration_note(options, calibration_count, classes, report.input_quantization,
                                      report.int8_loss()),
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
        realworld=[RealWorldRow(p.path.name, p.variant, p.scores, p.confident) for p in report.photo_sets],
        realworld_set=str(options.photo_set or ""),
        realworld_command=options.photo_set_command,
        notes=([f"Probabilities: {temperature.summary()}. Every file carries it (the softmax layer's weights are "
                "divided by the temperature), so scores and `score_threshold` mean what they say; top-1 is unchanged. "
                "The run's own metrics below are before it."] if temperature else [])
              + _official_protocol_notes(run, selection),
    )


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


def _official_protocol_notes(run: FinishedRun, selection: Sequence[FinishedRun]) -> list[str]:
    # A train+val release is reported beside its official-protocol twins: the number to compare with the literature.
    if not run.trained_on_val:
        return []
    official = [r for r in selection if r.val_accuracy is not None and r.metrics.get("phase2_test") is not None]
    if not official:
        return []
    # The best on val is the recipe the release repeats on train+val (max keeps the first of equals).
    twin = max(official, key=lambda r: r.val_accuracy)
    notes = [f"Official protocol (train only, every choice on val), the same recipe: `{twin.run_dir}` val {100 * twin.val_accuracy:.2f}%, "
             f"test {100 * twin.metrics['phase2_test']:.2f}% (Keras, before conversion), the best on val of the "
             f"{len(official)} official-protocol run{'s' if len(official) > 1 else ''} given. The released files are trained on "
             "train+val: their test figures above are the shipped model's, not the official protocol's."]
    if run.config.soup.runs:
        notes.append("The released run is a model soup: the weight average of " + ", ".join(f"`{r}`" for r in run.config.soup.runs)
                     + " (`training/soup.py`), one model of the same size and speed as each.")
    return notes

"""What an export wrote and measured, and its machine-readable summary."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from training.export.evaluate import AccuracyResult, PhotoSetResult
from training.export.exporter import ExportedModel
from training.export.run import FinishedRun
from training.export.temperature import TemperatureFit
from training.export.verify import VerificationReport

__all__ = ["ExportReport", "report_json"]


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

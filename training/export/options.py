"""How a run is exported: the variants, the images it is calibrated and checked on, the card's commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from training.export.verify import Tolerance

__all__ = ["ExportOptions"]


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

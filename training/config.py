"""Experiment configuration: dataclasses mapped from a TOML file (one file per experiment)."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from training.errors import ConfigError

__all__ = ["DataConfig", "AugmentConfig", "Phase1Config", "Phase2Config", "DistillConfig", "WiseConfig", "SoupConfig", "TrainConfig", "load_config"]


@dataclass(frozen=True)
class DataConfig:
    """Where the images come from."""

    dataset: str = "oxford102"  # "oxford102" (official split) or "folder" (root/<class>/*.jpg)
    dir: str = ""  # empty: the download cache (oxford102), required for "folder"
    val_fraction: float = 0.2  # folder datasets only: seeded stratified train/val split
    test_fraction: float = 0.0  # folder datasets only
    # "train": the official protocol (choices on val). "train+val": the shipped model's data; there
    # is no held-out val then, so the epoch count comes from a train-only run and the last epoch is kept.
    train_on: str = "train"

    def __post_init__(self):
        if self.train_on not in ("train", "train+val"):
            raise ConfigError(f"[data] train_on must be \"train\" or \"train+val\". Received: {self.train_on!r}")


@dataclass(frozen=True)
class AugmentConfig:
    """Training-time augmentation (evaluation always uses resize-then-centre-crop)."""

    min_area: float = 0.25  # random-resized-crop area range [min_area, 1]
    flip: bool = True
    brightness: float = 0.1
    contrast: float = 0.1
    saturation: float = 0.1
    # Phase 2 only: batch MixUp / CutMix (0 disables each), as timm's Mixup in batch mode.
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    mix_prob: float = 1.0  # probability that a batch is mixed at all
    switch_prob: float = 0.5  # probability of CutMix rather than MixUp when both are on
    # Phase 2 only: the real-world families (training.augment); 0 turns each off.
    zoom_out_prob: float = 0.0  # the view shrunk onto a blurred canvas, anywhere in the frame
    zoom_out_min_scale: float = 0.35  # smallest side of the shrunk view, as a share of the frame
    mosaic_prob: float = 0.0  # a 2x2 or 3x3 grid of crops of other photos of the same class
    hue: float = 0.0  # max hue shift (share of the colour circle)
    white_balance: float = 0.0  # per-channel gains within 1 +- this
    grey_prob: float = 0.0
    blur_prob: float = 0.0  # gaussian blur, sigma 0.5-2 px
    jpeg_prob: float = 0.0  # re-encoded at JPEG quality 20-80
    low_res_prob: float = 0.0  # shrunk to 25-60% of the side, blown up again

    REALWORLD_FAMILIES = ("zoom_out_prob", "mosaic_prob", "hue", "white_balance", "grey_prob", "blur_prob", "jpeg_prob", "low_res_prob")

    @property
    def realworld(self) -> bool:
        """True if any real-world family (training.augment) is on."""
        return any(getattr(self, name) > 0 for name in self.REALWORLD_FAMILIES)

    def __post_init__(self):
        for name in ("zoom_out_prob", "mosaic_prob", "grey_prob", "blur_prob", "jpeg_prob", "low_res_prob"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"[augment] {name} is a probability in [0, 1]. Received: {getattr(self, name)!r}")
        if not 0 < self.zoom_out_min_scale <= 1:
            raise ConfigError(f"[augment] zoom_out_min_scale must be in (0, 1]. Received: {self.zoom_out_min_scale!r}")
        if not 0 <= self.hue <= 0.5 or not 0 <= self.white_balance < 1:
            raise ConfigError(f"[augment] need 0 <= hue <= 0.5 and 0 <= white_balance < 1. Received: hue={self.hue!r}, white_balance={self.white_balance!r}")
        for name in ("mixup_alpha", "cutmix_alpha"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"[augment] {name} must be >= 0 (0 turns it off). Received: {getattr(self, name)!r}")
        for name in ("mix_prob", "switch_prob"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"[augment] {name} is a probability in [0, 1]. Received: {getattr(self, name)!r}")


@dataclass(frozen=True)
class Phase1Config:
    """Phase 1: a new head on the frozen backbone, trained on cached features."""

    epochs: int = 60
    learning_rate: float = 1e-3
    batch_size: int = 128
    views: int = 4  # augmented views per training image, on top of the centre crop
    dropout: float = 0.2
    # A finished run whose phase 1 this run takes (training.phase1_source): runs that share phase 1
    # start phase 2 from the same weights, as a [soup] needs. Empty: phase 1 is trained here.
    from_run: str = ""


@dataclass(frozen=True)
class Phase2Config:
    """Phase 2: fine-tune the top of the backbone, BatchNorm frozen in inference mode unless asked."""

    epochs: int = 30
    learning_rate: float = 2e-4
    warmup_epochs: int = 1
    weight_decay: float = 1e-2
    batch_size: int = 32
    patience: int = 8  # early stopping on val accuracy
    fine_tune_from: str = ""  # layer name; empty: the backbone's registered default; "all": everything
    ema_momentum: float = 0.0  # > 0: keep an exponential moving average of the weights, validate and keep it
    # true: BatchNorm layers from fine_tune_from on learn and use batch statistics. The weight average
    # (ema_momentum) covers trainable weights only, so validation then pairs averaged weights with the
    # running statistics of the raw ones.
    train_batchnorm: bool = False

    def __post_init__(self):
        if not 0 <= self.ema_momentum < 1:
            raise ConfigError(f"[phase2] ema_momentum must be in [0, 1) (0 turns it off). Received: {self.ema_momentum!r}")
        if not isinstance(self.train_batchnorm, bool):  # a TOML string "false" would read as true
            raise ConfigError(f"[phase2] train_batchnorm must be true or false. Received: {self.train_batchnorm!r}")


@dataclass(frozen=True)
class DistillConfig:
    """Phase 2 learns from finished runs (`training.distill`): their averaged predictions are the targets."""

    teachers: tuple[str, ...] = ()  # run directories (or their model.keras); empty: no distillation
    weight: float = 1.0  # share of the target from the teachers; the rest from the batch's labels
    init_from: str = ""  # a finished run of the same backbone whose weights phase 2 starts from (phase 1 is skipped)

    def __post_init__(self):
        if isinstance(self.teachers, str):
            raise ConfigError(f"[distill] teachers must be a list of run directories. Received: {self.teachers!r}")
        object.__setattr__(self, "teachers", tuple(self.teachers))
        if not all(isinstance(t, str) and t for t in self.teachers):
            raise ConfigError(f"[distill] teachers must be a list of run directories. Received: {list(self.teachers)!r}")
        if not 0 <= self.weight <= 1:
            raise ConfigError(f"[distill] weight is a share in [0, 1]. Received: {self.weight!r}")


@dataclass(frozen=True)
class WiseConfig:
    """After phase 2: the kept weights are a mix of phase 2's start and its end (`training.wise`, WiSE-FT).

    alpha = 1 keeps the fine-tuned weights (no mixing); alpha = 0 keeps the weights phase 2 started from
    (the ImageNet backbone with phase 1's head). Chosen with `python -m training wise` on val and real-world photos.
    """

    alpha: float = 1.0

    def __post_init__(self):
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float)) or not 0.0 <= self.alpha <= 1.0:
            raise ConfigError(f"[wise] alpha is a share in [0, 1] (1: the fine-tuned weights). Received: {self.alpha!r}")


@dataclass(frozen=True)
class SoupConfig:
    """No training: the kept model is the average of finished runs' weights (`training.soup`, a model soup).

    The runs must share the backbone, input size and data, and must have started phase 2 from the same weights.
    """

    runs: tuple[str, ...] = ()  # run directories; empty: an ordinary run

    def __post_init__(self):
        if isinstance(self.runs, str) or not all(isinstance(r, str) and r for r in self.runs):
            raise ConfigError(f"[soup] runs must be a list of run directories. Received: {self.runs!r}")
        object.__setattr__(self, "runs", tuple(self.runs))
        if len(self.runs) == 1 or len(set(self.runs)) != len(self.runs):
            raise ConfigError(f"[soup] runs must name at least two different run directories. Received: {list(self.runs)!r}")


@dataclass(frozen=True)
class TrainConfig:
    """One experiment."""

    name: str
    backbone: str
    image_size: int = 0  # 0: the backbone's native resolution
    weights: str = "imagenet"  # "imagenet", a weights file, or "none"
    seed: int = 42
    label_smoothing: float = 0.1
    deterministic: bool = False  # tf op determinism: bit-exact reruns, slower
    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    phase1: Phase1Config = field(default_factory=Phase1Config)
    phase2: Phase2Config = field(default_factory=Phase2Config)
    distill: DistillConfig = field(default_factory=DistillConfig)
    wise: WiseConfig = field(default_factory=WiseConfig)
    soup: SoupConfig = field(default_factory=SoupConfig)

    def __post_init__(self):
        if self.soup.runs and (self.distill != DistillConfig() or self.wise != WiseConfig()):
            raise ConfigError("a [soup] config trains nothing, so [distill] and [wise] do not apply: "
                              "put them in the configs of the soup's runs")

    def to_dict(self) -> dict:
        """Plain nested dict (for the run directory and the model card)."""
        values = dataclasses.asdict(self)
        if self.distill == DistillConfig():
            del values["distill"]  # runs without teachers keep the config text they always had
        if self.wise == WiseConfig():
            del values["wise"]  # likewise runs that keep their fine-tuned weights
        if self.soup == SoupConfig():
            del values["soup"]
        if not self.phase1.from_run:
            del values["phase1"]["from_run"]
        return values


def _build(cls, values: dict, where: str):
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"Unknown key(s) {unknown} in [{where}]; known keys: {sorted(known)}")
    kwargs = {}
    for key, value in values.items():
        sub = {"data": DataConfig, "augment": AugmentConfig, "phase1": Phase1Config, "phase2": Phase2Config, "distill": DistillConfig,
               "wise": WiseConfig, "soup": SoupConfig}
        if key in sub and cls is TrainConfig:
            if not isinstance(value, dict):
                raise ConfigError(f"[{key}] must be a table. Received: {value!r}")
            value = _build(sub[key], value, key)
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"Invalid [{where}] section: {exc}") from None


def config_from_dict(values: dict) -> TrainConfig:
    """Build a TrainConfig from a nested dict (as read from TOML)."""
    return _build(TrainConfig, values, "top level")


def load_config(path: str | Path, **overrides) -> TrainConfig:
    """Read an experiment TOML file; keyword overrides replace top-level keys.

    Raises:
        ConfigError: if the file is missing, is not valid TOML, or has unknown keys.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"Config file not found: {path}")
    try:
        values = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    return config_from_dict(values)

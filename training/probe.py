"""Linear-probe ablation of the augmentation families: what each does to Oxford val and real-world photos.

A fine-tuning run per family does not fit on a 2-core machine; a probe does. The frozen ImageNet
backbone embeds the train images' centre crops plus `views` augmented views per image made with
one family switched on; a logistic regression learns the 102 classes from them; Oxford val and a
real-world photo set (centre crops, the evaluation rule) are scored. Families that help here move
the features the classifier sees towards real-world photos; the fine-tuned runs confirm or not.

    python -m training probe --data-dir ../shared/oxford102 --photos ../shared/realworld-val [--views 2] [--out probe.json]
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.config import AugmentConfig

__all__ = ["FAMILIES", "ProbeResult", "run_probe", "results_table"]

_BASE = AugmentConfig()  # the plain recipe's crops, flip and mild jitter
# name -> the changes on top of the plain crops (each as efficientnet_lite0_realworld.toml sets it, at a
# higher rate so that its effect shows in few views).
FAMILIES: dict[str, dict] = {
    "plain crops": {},
    "smaller crops (min_area 0.1)": {"min_area": 0.1},
    "zoom-out": {"zoom_out_prob": 0.6},
    "same-class mosaics": {"mosaic_prob": 0.6},
    "colour and light": {"brightness": 0.2, "contrast": 0.2, "saturation": 0.25, "hue": 0.04, "white_balance": 0.15, "grey_prob": 0.1},
    "camera (blur, JPEG, low resolution)": {"blur_prob": 0.4, "jpeg_prob": 0.4, "low_res_prob": 0.4},
    "all of them": {"min_area": 0.1, "zoom_out_prob": 0.25, "mosaic_prob": 0.25, "brightness": 0.2, "contrast": 0.2,
                    "saturation": 0.25, "hue": 0.04, "white_balance": 0.15, "grey_prob": 0.05, "blur_prob": 0.15,
                    "jpeg_prob": 0.2, "low_res_prob": 0.15},
}


@dataclass(frozen=True)
class ProbeResult:
    """One family's probe: Oxford val top-1 and the photo set's scores."""

    family: str
    changes: dict
    val_top1: float
    photos_top1: float
    photos_mean_class: float
    seconds: float


def _features(pooled, samples, size, mean, std, augment=None, views=1, seed=0):
    from training.pipeline import make_dataset

    ds = make_dataset([s.path for s in samples], [s.label for s in samples], size=size, mean=mean, std=std,
                      num_classes=102, batch_size=64, augment=augment, seed=seed, repeat_views=views, mix=augment is not None)
    return pooled.predict(ds.map(lambda x, y: x), verbose=0)


def run_probe(data_dir: str | Path, photos_dir: str | Path, backbone: str = "efficientnet_lite0", views: int = 2,
              seed: int = 42, families: dict[str, dict] = FAMILIES) -> list[ProbeResult]:
    """Probe every family in `families`; the train/val/photo features without augmentation are shared."""
    import keras
    from sklearn.linear_model import LogisticRegression

    from training.backbones.registry import get_backbone
    from training.data import load_split
    from training.data.photoset import load_photo_set
    from training.realworld import score_predictions

    split = load_split(data_dir)
    photos = load_photo_set(photos_dir, split.class_names)
    spec = get_backbone(backbone)
    size = spec.input_size
    net = spec.build(weights="imagenet", input_size=size)
    pooled = keras.Model(net.input, keras.layers.GlobalAveragePooling2D()(net.output))
    args = (size, spec.mean, spec.std)
    print(f"[probe] embedding {len(split.train)} train, {len(split.val)} val and {len(photos.samples)} photos", flush=True)
    train_x = _features(pooled, split.train, *args)
    val_x = _features(pooled, split.val, *args)
    photo_x = _features(pooled, photos.samples, *args)
    train_y = np.array([s.label for s in split.train])
    val_y = np.array([s.label for s in split.val])
    photo_y = [s.label for s in photos.samples]
    results = []
    for name, changes in families.items():
        start = time.perf_counter()
        augment = dataclasses.replace(_BASE, **changes)
        aug_x = _features(pooled, split.train, *args, augment=augment, views=views, seed=seed)
        x = np.concatenate([train_x, aug_x])
        y = np.concatenate([train_y, np.tile(train_y, views)])
        classifier = LogisticRegression(C=0.5, max_iter=3000).fit(x, y)

        def probs(features):
            full = np.zeros((len(features), len(split.class_names)))
            full[:, classifier.classes_] = classifier.predict_proba(features)
            return full

        val_top1 = float(np.mean(probs(val_x).argmax(axis=1) == val_y))
        scores = score_predictions(probs(photo_x), photo_y, split.class_names)
        results.append(ProbeResult(name, changes, val_top1, scores.top1, scores.mean_class_top1, time.perf_counter() - start))
        print(f"[probe] {name}: val {val_top1:.4f}, photos top-1 {scores.top1:.4f}, mean per class "
              f"{scores.mean_class_top1:.4f} ({results[-1].seconds:.0f} s)", flush=True)
    return results


def results_table(results: list[ProbeResult]) -> str:
    """Markdown table of the probes, each family against the plain crops."""
    base = results[0]
    lines = ["| family | Oxford val top-1 | real-world top-1 | real-world mean per class |", "|---|---:|---:|---:|"]
    for r in results:
        delta = "" if r is base else f" ({100 * (r.photos_mean_class - base.photos_mean_class):+.1f})"
        lines.append(f"| {r.family} | {100 * r.val_top1:.2f}% | {100 * r.photos_top1:.2f}% | {100 * r.photos_mean_class:.2f}%{delta} |")
    return "\n".join(lines)


def add_arguments(parser) -> None:
    """The `probe` subcommand's options."""
    parser.add_argument("--data-dir", required=True, help="Oxford 102 folder (official layout)")
    parser.add_argument("--photos", required=True, help="real-world photo set, a folder per class (validation only)")
    parser.add_argument("--views", type=int, default=2, help="augmented views per train image and family (default 2)")
    parser.add_argument("--out", help="write the results as JSON here too")


def run(args) -> int:
    """`python -m training probe`: print the table (and write JSON)."""
    results = run_probe(args.data_dir, args.photos, views=args.views)
    print(results_table(results))
    if args.out:
        Path(args.out).write_text(json.dumps([dataclasses.asdict(r) for r in results], indent=2))
    return 0

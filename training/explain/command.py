"""`python -m training explain`: PNG panels (and a grid) explaining a deployed model's predictions."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from training.explain.errors import ExplainError

__all__ = ["add_arguments", "run", "pick_grid_samples"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The `explain` subcommand's options."""
    p.add_argument("images", nargs="*", metavar="IMAGE", help="image files to explain (one PNG panel each)")
    p.add_argument("--model", required=True, help="deployed TFLite model with metadata, e.g. models/<name>.tflite (float or int8)")
    p.add_argument("--keras", help="the run's Keras model for Grad-CAM, e.g. runs/efficientnet_lite0/model.keras")
    p.add_argument("--layer", help="Grad-CAM layer (default: the registry's grad_cam_layer for the run's backbone)")
    p.add_argument("--out", default="explanations", help="output folder (default: explanations/, git-ignored)")
    p.add_argument("--grid", type=int, default=0, metavar="N", help="also write one grid over N test images, correct and wrong")
    p.add_argument("--data-dir", help="dataset for --grid: an Oxford 102 folder (its test split) or root/<class>/*.jpg")
    p.add_argument("--num-samples", type=int, default=1000, help="LIME perturbed samples per image (default 1000)")
    p.add_argument("--num-features", type=int, default=5, help="LIME superpixels shown (default 5)")
    p.add_argument("--seed", type=int, default=0, help="LIME seed and grid selection seed (default 0)")
    p.add_argument("--no-lime", action="store_true", help="skip LIME (Grad-CAM and top-5 only)")
    p.add_argument("--cam", action="store_true",
                   help="add a forward-only CAM from a TFLite twin of --keras (int8 like the deployed file, "
                        "calibrated as the release is: stratified train images of --data-dir, seed 0)")
    p.add_argument("--calibration-images", type=int, default=400, help="int8 twin calibration images (default 400, as the release)")


def _open_classifier(path: str):
    from flowerlite import Classifier

    if not Path(path).exists():
        raise ExplainError(f"TFLite model not found: {path}. Export one with `python -m training export` (models/*.tflite)")
    return Classifier(path)


def keras_contract(keras_path: str, layer: str | None, classifier) -> tuple[str, tuple, tuple]:
    """(Grad-CAM layer, mean, std) for a run's Keras model: from the registry, else --layer + TFLite metadata."""
    from training.backbones.registry import get_backbone
    from training.checksums import CONFIG_FILE, read_run_config
    from training.explain.gradcam import grad_cam_layer_for_run

    run_dir = Path(keras_path).parent
    if (run_dir / CONFIG_FILE).exists():
        spec = get_backbone(read_run_config(run_dir).backbone)
        return layer or grad_cam_layer_for_run(keras_path), tuple(spec.mean), tuple(spec.std)
    if not layer:
        grad_cam_layer_for_run(keras_path)  # raises the error that says what to do
    info = classifier.info
    return layer, tuple(info.mean), tuple(info.std)


def pick_grid_samples(data_dir: str, explainer, count: int, seed: int) -> list[tuple[Path, str]]:
    """`count` seeded test images, half of them (when there are enough) wrongly predicted: (path, true label)."""
    from tqdm import tqdm

    candidates = _labelled_test_images(data_dir)
    order = np.random.default_rng(seed).permutation(len(candidates))
    want_wrong = count // 2
    correct, wrong = [], []
    batch = 32
    with tqdm(total=count, desc="choosing grid images", unit="img") as bar:
        for start in range(0, len(order), batch):
            chunk = [candidates[i] for i in order[start : start + batch]]
            probs = explainer.predict(np.stack([explainer.crop(path) for path, _ in chunk]))
            for (path, label), p in zip(chunk, probs):
                bucket = correct if explainer.facts.labels[int(np.argmax(p))] == label else wrong
                limit = count - want_wrong if bucket is correct else want_wrong
                if len(bucket) < limit:
                    bucket.append((path, label))
                    bar.update(1)
            if len(correct) + len(wrong) >= count:
                break
    short = count - len(correct) - len(wrong)
    if short > 0:  # not enough wrong predictions (a good model): fill with correct ones
        seen = set(correct) | set(wrong)
        correct += [c for c in (candidates[i] for i in order) if c not in seen][:short]
    return correct + wrong


def _labelled_test_images(data_dir: str, subset: str = "test") -> list[tuple[Path, str]]:
    """(path, true label) of an Oxford 102 subset, or of every image of a root/<class>/*.jpg folder."""
    from training.data.folder import list_class_images
    from training.data.oxford102 import load_split

    root = Path(data_dir)
    if (root / "imagelabels.mat").exists():
        split = load_split(root)
        return [(s.path, split.class_names[s.label]) for s in split.subset(subset)]
    return [(path, name) for name, paths in list_class_images(root).items() for path in paths]


def build_cam_twin(args, keras_model, layer: str, mean, std, classifier):
    """Build, convert and open the CAM twin of the Keras model, of the deployed file's kind (int8 or float)."""
    from training.explain.cam_tflite import TfliteCam, build_cam_model, class_weights, export_cam_tflite
    from training.explain.gradcam import normalise

    cam_model = build_cam_model(keras_model, layer)
    calibration = None
    if classifier.info.input_dtype in ("uint8", "int8"):
        size = int(keras_model.input_shape[1])
        calibration = normalise(_calibration_crops(args, size), mean, std)
    path = Path(args.out) / f"{Path(args.model).stem}.cam-twin.tflite"
    print(f"[explain] converting the CAM twin ({'int8, ' + str(len(calibration)) + ' calibration images' if calibration is not None else 'float32'}) -> {path}", flush=True)
    export_cam_tflite(cam_model, path, calibration)
    return TfliteCam(path, mean, std, class_weights(keras_model))


def _calibration_crops(args, size: int) -> np.ndarray:
    from training.export.calibration import load_crops, stratified_sample
    from training.data.oxford102 import Sample

    if args.data_dir:
        if (Path(args.data_dir) / "imagelabels.mat").exists():
            from training.data.oxford102 import load_split

            samples = load_split(args.data_dir).train  # the release calibrates on train images, seed 0
        else:
            names = {}
            samples = [Sample(p, names.setdefault(label, len(names))) for p, label in _labelled_test_images(args.data_dir)]
        paths = [s.path for s in stratified_sample(samples, args.calibration_images, 0)]
    else:
        print("[explain] no --data-dir: the int8 twin is calibrated on the explained images only", flush=True)
        paths = list(args.images)
    if not paths:
        raise ExplainError("The int8 CAM twin needs calibration images: pass --data-dir")
    return load_crops(paths, size)


def run(args) -> int:
    """Write one panel per image (and a grid with --grid); returns the exit code."""
    from training.explain.explanation import ImageExplainer
    from training.explain.gradcam import load_classifier
    from training.explain.panels import write_grid, write_panel

    if not args.images and not args.grid:
        raise ExplainError("Nothing to explain: give IMAGE files and/or --grid N with --data-dir")
    if args.grid and not args.data_dir:
        raise ExplainError("--grid needs --data-dir (an Oxford 102 folder such as ../shared/oxford102, or root/<class>/*.jpg)")
    for flag, value, least in (("--num-samples", args.num_samples, 1), ("--num-features", args.num_features, 1),
                               ("--grid", args.grid, 0), ("--calibration-images", args.calibration_images, 1)):
        if value < least:
            raise ExplainError(f"{flag} must be at least {least}. Received: {value}")
    missing = [p for p in args.images if not Path(p).is_file()]
    if missing:
        raise ExplainError(f"Image not found: {missing[0]}")
    classifier = _open_classifier(args.model)
    keras_model = layer = mean = std = None
    if args.keras:
        keras_model = load_classifier(args.keras)
        layer, mean, std = keras_contract(args.keras, args.layer, classifier)
    cam = None
    if args.cam:
        if keras_model is None:
            raise ExplainError("--cam needs --keras: the CAM twin is converted from the run's Keras model")
        cam = build_cam_twin(args, keras_model, layer, mean, std, classifier)
    lime_config = None
    if not args.no_lime:
        from training.explain.lime_explainer import LimeConfig

        lime_config = LimeConfig(num_samples=args.num_samples, seed=args.seed, num_features=args.num_features)
    explainer = ImageExplainer(classifier, keras_model=keras_model, layer=layer, mean=mean, std=std,
                               lime_config=lime_config, cam=cam, model_path=args.model)
    out = Path(args.out)
    for image in args.images:
        exp = explainer.explain(image)
        path = write_panel(exp, out / f"{Path(image).stem}.png")
        label, score = exp.top5[0]
        # The twin comes from the run's Keras model, whose scores lack the release's temperature:
        # compare top classes, not scores.
        twin = f", CAM twin top-1 {'agrees' if exp.cam.top_index == exp.cam.class_index else 'differs'}" if exp.cam is not None else ""
        print(f"{image}: {label} ({score:.1%}{twin}) -> {path}", flush=True)
    if args.grid:
        chosen = pick_grid_samples(args.data_dir, explainer, args.grid, args.seed)
        exps = []
        for path, label in chosen:
            exps.append(explainer.explain(path, true_label=label))
        title = f"{explainer.facts.name} ({explainer.facts.runtime}) on {len(chosen)} test images from {args.data_dir}"
        path = write_grid(exps, out / f"grid_{len(chosen)}.png", title=title)
        wrong = sum(1 for e in exps if e.top5[0][0] != e.true_label)
        twin = ""
        if cam is not None:  # does the twin pick the deployed file's top class?
            same = sum(1 for e in exps if e.cam.top_index == e.cam.class_index)
            twin = f", CAM twin top-1 agrees on {same}"
        print(f"grid of {len(exps)} images ({wrong} wrong{twin}) -> {path}", flush=True)
    return 0

"""The `export`, `release`, `evaluate` and `card` subcommands of `python -m training`."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

__all__ = ["add_subcommands"]


def _variants(text: str) -> tuple[str, ...]:
    from training.export.quantization import VARIANTS

    names = tuple(v.strip() for v in text.split(",") if v.strip())
    unknown = [v for v in names if v not in VARIANTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown variant(s) {unknown or text!r}: choose from {', '.join(VARIANTS)}")
    return names


def _options(args, accuracy_command: str = "", models_dir: str = "models"):
    from training.export.release import ExportOptions

    photos = (f"python -m training evaluate --models {models_dir}/*.tflite --photos {shlex.quote(args.photos)} "
              "--photos-only") if args.photos else ""
    return ExportOptions(
        photo_set=args.photos, photo_set_command=photos,
        variants=args.variants, version=args.version, calibration_images=args.calibration_images,
        verify_images=args.verify_images, seed=args.seed, check_data=not args.skip_data_check,
        rebuild_command=args.rebuild_command or _command_line(), accuracy_command=accuracy_command,
        temperature_scaling=not args.no_temperature_scaling,
    )


def _command_line() -> str:
    return "python -m training " + shlex.join(sys.argv[1:])


def _split(run_dir: Path, data_dir: str | None):
    from training.data import load_dataset
    from training.export.run import load_run

    run = load_run(run_dir)
    return run, load_dataset(run.config.data, data_dir, seed=run.config.seed)


def cmd_export(args) -> int:
    from training.export.release import export_run, report_json

    run, split = _split(Path(args.run_dir), args.data_dir)
    report = export_run(run, split, args.out, _options(args, models_dir=args.out),
                        evaluate_on=split.test if args.evaluate else None)
    print(report_json(report))
    return 0


def cmd_release(args) -> int:
    from training.data import load_dataset
    from training.export.release import release, report_json
    from training.export.run import select_best_run

    best, _ = select_best_run(args.runs)
    split = load_dataset(best.config.data, args.data_dir, seed=best.config.seed)
    data = f" --data-dir {shlex.quote(args.data_dir)}" if args.data_dir else ""
    accuracy_command = f"python -m training evaluate --models {args.models_dir}/*.tflite{data}"
    report = release(args.runs, split, args.models_dir, _options(args, accuracy_command, args.models_dir),
                     max_int8_loss=args.max_int8_loss, evaluate=not args.no_evaluate)
    print(report_json(report))
    return 0


def cmd_evaluate(args) -> int:
    from training.errors import ConfigError
    from training.export.evaluate import evaluate_photo_set

    if args.photos_only and not args.photos:
        raise ConfigError("--photos-only needs at least one --photos DIR")
    results = [] if args.photos_only else _evaluate_dataset(args)
    photo_results = [evaluate_photo_set(path, root) for root in args.photos for path in args.models]
    for root in args.photos:
        _print_photo_set(root, [r for r in photo_results if r.photo_set == Path(root)])
    if args.json:
        Path(args.json).write_text(json.dumps({
            "dataset": [{"path": str(r.path), "variant": r.variant, "subset": r.subset, "images": r.images,
                         "correct": r.correct, "top1": r.top1, "seconds": r.seconds} for r in results],
            "photo_sets": [r.to_dict() for r in photo_results],
        }, indent=2))
    return 0


def _evaluate_dataset(args) -> list:
    from training.config import DataConfig
    from training.data import load_dataset
    from training.export.calibration import stratified_sample
    from training.export.evaluate import evaluate_model

    split = load_dataset(DataConfig(dataset=args.dataset), args.data_dir)
    samples = split.subset(args.subset)
    if args.limit:
        samples = stratified_sample(samples, args.limit, args.seed)
    results = [evaluate_model(path, samples, subset=args.subset, class_names=split.class_names) for path in args.models]
    base = next((r.top1 for r in results if r.variant == "float32"), None)
    print(f"{'file':48} {'images':>7} {'top-1':>8} {'vs float32':>11}")
    for r in results:
        delta = "" if base is None or r.variant == "float32" else f"{100 * (r.top1 - base):+.2f} pts"
        print(f"{r.path.name:48} {r.images:7d} {100 * r.top1:7.2f}% {delta:>11}")
    return results


def _pct(value: float) -> str:
    return "—" if value != value else f"{100 * value:.1f}%"  # NaN: nothing answered


def _print_photo_set(root: str, results: list) -> None:
    """The real-world table of one photo set: a row per file, then its per-class and selective figures."""
    from training.realworld import CONFIDENT_TARGET

    if not results:
        return
    first = results[0].scores
    print(f"\nphoto set {root}: {first.images} photos of {len(first.per_class)} classes, "
          "each scored over all of the model's labels")
    print(f"{'file':48} {'photos':>7} {'top-1':>8} {'top-5':>8} {'mean per-class top-1':>21}")
    for r in results:
        s = r.scores
        print(f"{r.path.name:48} {s.images:7d} {_pct(s.top1):>8} {_pct(s.top5):>8} {_pct(s.mean_class_top1):>21}")
    for r in results:
        s = r.scores
        print(f"{r.path.name}:")
        print("  per class top-1: " + ", ".join(f"{name} {_pct(v)}" for name, v in s.per_class.items()))
        print("  selective: " + "; ".join(f"score >= {p.threshold:g}: {_pct(p.coverage)} answered, {_pct(p.accuracy)} right"
                                         for p in s.selective))
        c = r.confident
        print("  confident level: " + (f"none (no score level keeps answers right {CONFIDENT_TARGET:.0%} of the time)" if c is None else
                                       f"{c.threshold:g} ({_pct(c.coverage)} answered, {_pct(c.accuracy)} right)"))


def cmd_card(args) -> int:
    from training.export.benchmark_card import apply_benchmark

    card = apply_benchmark(args.models_dir, args.benchmark)
    print(f"{card}: accuracy, size and latency now quoted from {args.benchmark}; SHA256SUMS refreshed")
    return 0


def _export_arguments(p: argparse.ArgumentParser, default_variants: str) -> None:
    p.add_argument("--data-dir", help="dataset folder the run was trained on (default: the download cache)")
    p.add_argument("--variants", type=_variants, default=_variants(default_variants),
                   help=f"comma-separated: float32,float16,int8,dynamic (default {default_variants})")
    p.add_argument("--version", default="1.0.0", help="model version written into the metadata and card")
    p.add_argument("--calibration-images", type=int, default=400, help="train images calibrating int8 (default 400)")
    p.add_argument("--verify-images", type=int, default=200, help="val images of the export checks (default 200)")
    p.add_argument("--seed", type=int, default=0, help="seed of the calibration and check samples")
    p.add_argument("--rebuild-command", help="the command the model card gives to rebuild (default: this one)")
    p.add_argument("--no-temperature-scaling", action="store_true",
                   help="keep the run's probabilities as trained (default: a temperature fitted on val is folded in)")
    p.add_argument("--photos", metavar="DIR",
                   help="real-world photos, DIR/<label>/*.jpg named by some of the labels (e.g. ../shared/realworld-val): "
                        "every file is scored on them, and its confident score level is fitted there and written into "
                        "its metadata (default: none)")
    p.add_argument("--skip-data-check", action="store_true",
                   help="export even if the data's checksums differ from the run's (development only)")


def add_subcommands(sub) -> None:
    """Register export, release and evaluate on the CLI's subparsers."""
    p = sub.add_parser("export", help="a finished run -> verified TFLite variants, model card, SHA256SUMS")
    p.add_argument("--run-dir", required=True, help="finished run directory (holds model.keras)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--evaluate", action="store_true", help="also measure test top-1 of each file (through the SDK)")
    _export_arguments(p, "float32,float16,int8")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("release", help="export the run with the best val top-1 into models/, test-evaluated")
    p.add_argument("--runs", nargs="+", required=True, help="candidate run directories (chosen on val only)")
    p.add_argument("--models-dir", default="models", help="release folder (default models)")
    p.add_argument("--max-int8-loss", type=float, default=0.5, help="fail if int8 loses more test top-1 points")
    p.add_argument("--no-evaluate", action="store_true", help="skip the test evaluation (no accuracy table)")
    _export_arguments(p, "float32,float16,int8")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("evaluate", help="top-1 of .tflite files on a dataset subset (and real-world photo sets), "
                                        "through the flowerlite SDK")
    p.add_argument("--models", nargs="+", required=True, help=".tflite files")
    p.add_argument("--photos", action="append", default=[], metavar="DIR",
                   help="also score each file on DIR/<label>/*.jpg, folders named by some of its labels: top-1, top-5, "
                        "per-class top-1, selective accuracy and confident level (repeatable), e.g. ../shared/realworld-val")
    p.add_argument("--photos-only", action="store_true", help="score the --photos sets only, not the dataset subset")
    p.add_argument("--data-dir", help="Oxford 102 folder (default: the download cache)")
    p.add_argument("--dataset", default="oxford102", help="oxford102 (official split) or folder")
    p.add_argument("--subset", default="test", choices=("train", "val", "test"))
    p.add_argument("--limit", type=int, default=0, help="a stratified seeded sample of this many images (0: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help='also write the results to this JSON file ({"dataset": [...], "photo_sets": [...]})')
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("card", help="quote a benchmark harness result in models/MODEL_CARD.md (accuracy, size, latency)")
    p.add_argument("--benchmark", required=True, help="benchmark.json written by `python -m benchmarks run` on models/")
    p.add_argument("--models-dir", default="models", help="release folder (default models)")
    p.set_defaults(func=cmd_card)

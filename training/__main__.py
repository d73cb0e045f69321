"""Command line of the build chain: `python -m training train --config CONFIG [--data-dir DIR]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _strategy(name: str | None):
    if not name or name == "default":
        return None
    import tensorflow as tf

    strategies = {"mirrored": tf.distribute.MirroredStrategy, "multi_worker_mirrored": tf.distribute.MultiWorkerMirroredStrategy}
    if name not in strategies:
        from training.errors import ConfigError

        raise ConfigError(f"Unknown --strategy {name!r}: use default, mirrored or multi_worker_mirrored")
    return strategies[name]()


def cmd_train(args) -> int:
    from training.config import load_config
    from training.data import load_dataset
    from training.trainer import train

    config = load_config(args.config, seed=args.seed)
    split = load_dataset(config.data, args.data_dir, seed=config.seed)
    run_dir = Path(args.run_dir or Path("runs") / config.name)
    result = train(config, split, run_dir, strategy=_strategy(args.strategy), photos_dir=args.photos)
    val1 = "—" if result.phase1_val is None else f"{result.phase1_val:.4f}"
    phase1 = "skipped" if result.phase1_val is None and not result.phase1_seconds else f"val {val1} test {result.phase1_test}"
    val2 = "— (trained on train+val)" if result.phase2_val is None else f"{result.phase2_val:.4f}"
    realworld = f", real-world mean per class {result.realworld['mean_class_top1']:.4f}" if result.realworld else ""
    if result.soup:
        print(f"run {run_dir}: soup of {len(result.soup)} runs, val {val2} test {result.phase2_test}{realworld}")
    else:
        print(f"run {run_dir}: phase 1 {phase1}, phase 2 val {val2} test {result.phase2_test}{realworld}")
    return 0


def cmd_ensemble(args) -> int:
    from training.checksums import read_run_config
    from training.data import load_dataset
    from training.ensemble import evaluate_ensemble

    # The data (and a folder dataset's seeded split) as the first run was trained on.
    config = read_run_config(args.runs[0])
    split = load_dataset(config.data, args.data_dir, seed=config.seed)
    report = evaluate_ensemble(args.runs, split, args.subsets)
    print(report.table(), end="")
    return 0


def cmd_plan(args) -> int:
    from training.plan import training_order

    print("\n".join(map(str, training_order(args.configs))))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training", description="flowerlite build chain")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="two-phase transfer learning from one experiment config")
    p.add_argument("--config", required=True, help="experiment TOML file, e.g. training/configs/efficientnet_lite0.toml")
    p.add_argument("--data-dir", help="dataset folder (default: the download cache, downloading if needed)")
    p.add_argument("--run-dir", help="run directory (default: runs/<config name>); an existing one is resumed")
    p.add_argument("--seed", type=int, help="override the config's seed")
    p.add_argument("--strategy", help="tf.distribute strategy: default, mirrored, multi_worker_mirrored")
    p.add_argument("--photos", help="real-world photo set (a folder per class, named as the classes), scored after every "
                                    "phase-2 epoch for the record, e.g. ../shared/realworld-val; never trained on")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("plan", help="print experiment configs in training order (students after the runs they learn from)")
    p.add_argument("configs", nargs="+", metavar="CONFIG", help="experiment TOML files")
    p.set_defaults(func=cmd_plan)
    from training.export.cli import add_subcommands as add_export_subcommands  # export, release, evaluate, card

    add_export_subcommands(sub)
    p = sub.add_parser("ensemble", help="top-1 of finished runs and of their averaged softmax (a distillation's teachers)")
    p.add_argument("--runs", nargs="+", required=True, help="finished run directories")
    p.add_argument("--data-dir", help="dataset folder (default: the download cache)")
    p.add_argument("--subsets", nargs="+", default=["val", "test"], choices=["train", "val", "test"])
    p.set_defaults(func=cmd_ensemble)
    from training.probe import add_arguments as add_probe_arguments, run as run_probe

    p = sub.add_parser("probe", help="linear-probe ablation: each augmentation family on Oxford val and real-world photos")
    add_probe_arguments(p)
    p.set_defaults(func=run_probe)
    from training.wise_sweep import add_arguments as add_wise_arguments, run as run_wise

    p = sub.add_parser("wise", help="score a finished run's mix of phase 2's start and end over alphas (val, real-world; never test)")
    add_wise_arguments(p)
    p.set_defaults(func=run_wise)
    from training.explain.command import add_arguments as add_explain_arguments, run as run_explain

    p = sub.add_parser("explain", help="PNG panels explaining a deployed model: Grad-CAM, LIME, top-5 (and a grid)")
    add_explain_arguments(p)
    p.set_defaults(func=run_explain)
    args = parser.parse_args(argv)
    from training.errors import FlowerliteError

    try:
        return args.func(args)
    except FlowerliteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""Two-phase transfer learning: a head on cached frozen features, then fine-tuning the top.

A run directory holds everything needed to trust and resume a run:
    config.toml (as resolved), data_checksums.json, state.json (which phases are done),
    phase1_features.npz (cached features), phase1_head.weights.h5, phase2_backup/ (resume),
    phase2_start.weights.h5 and phase2_best.weights.h5 (what [wise] mixes), history_phase1.csv,
    history_phase2.csv, metrics.json, model.keras (the kept model: fine-tuned, or mixed as [wise] says).
Protocol: train on `train` only, select on `val` only, evaluate `test` only to report.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from training.classifier_model import _NUM_CLASSES, _load_init_weights, _spec_and_size, _unfreeze_top, build_classifier, build_run_start
from training.config import TrainConfig
from training.data.oxford102 import Split
from training.evaluation import _accuracy, _dataset, _monitor, _scores, _verbose, evaluate, predict
from training.phase1_features import _extract_features
from training.run_result import RunResult
from training.run_state import _read_history, _save_state, _state

__all__ = ["RunResult", "train", "build_classifier", "build_run_start", "predict", "evaluate"]


@dataclass
class _Run:
    """What both phases of one run share: its inputs, the model being trained and its loss."""

    config: TrainConfig
    split: Split
    dir: Path
    strategy: object
    model: object
    backbone: object
    head: object
    loss: object
    photos: object = None


def train(config: TrainConfig, split: Split, run_dir: str | Path, strategy=None, photos_dir: str | Path | None = None) -> RunResult:
    """Run (or resume) both phases and write the run directory; returns the accuracies.

    `strategy` is an optional `tf.distribute.Strategy`: models and optimisers are created in its
    scope and Keras' `fit` distributes the batches. `photos_dir` is a real-world photo set
    (folder per class, named as the split's classes) scored after every phase-2 epoch and at the
    end, for the record only. Without val images (`train_on = "train+val"`) no choice is made on
    val: phase 1 and phase 2 keep their last epoch. `[wise] alpha` below 1 keeps a mix of phase 2's
    start and end weights (`training.wise`). A `[soup]` config trains nothing: its runs' weights are
    averaged (`training.soup`).
    """
    import keras
    import tensorflow as tf

    from training.checksums import write_run_header

    run_dir = Path(run_dir)
    if config.soup.runs:
        from training.soup import check_ingredients

        check_ingredients(config)  # before anything is written: an unfinished or mismatched run is named
    if config.phase1.from_run and not _state(run_dir).get("phase1_done"):
        from training.phase1_source import check_phase1_source

        check_phase1_source(config)  # likewise
    if config.distill.teachers or config.distill.init_from:
        from training.distill import check_finished_runs

        # Before anything is written or trained: a missing teacher would otherwise surface after phase 1.
        check_finished_runs(config.distill.teachers)
        check_finished_runs([config.distill.init_from] if config.distill.init_from else [], what="init_from")
    photos = None
    if photos_dir:
        from training.data.photoset import load_photo_set

        photos = load_photo_set(photos_dir, split.class_names)  # a folder the classes lack fails here, before training
    run_dir.mkdir(parents=True, exist_ok=True)
    num_classes = len(split.class_names)
    _NUM_CLASSES[config.name] = num_classes
    write_run_header(config, split, run_dir)
    if config.soup.runs:
        from training.soup import make_soup

        return make_soup(config, split, run_dir, photos)
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        model, backbone, head = build_classifier(config, num_classes, weights=config.weights)
    backbone.trainable = False
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)
    run = _Run(config, split, run_dir, strategy, model, backbone, head, loss, photos)

    _phase1(run)
    _phase2(run)
    _keep_final_model(model, config, split, photos, run_dir)
    state = _state(run_dir)
    result = RunResult(
        phase1_val=state["phase1_val"], phase1_test=state.get("phase1_test"),
        phase2_val=state["phase2_val"], phase2_test=state.get("phase2_test"),
        phase1_seconds=state.get("phase1_seconds", 0.0), phase2_seconds=state.get("phase2_seconds", 0.0),
        best_epoch=state.get("best_epoch", 0), realworld=state.get("realworld"),
        wise_alpha=state.get("final_alpha", 1.0), finetuned=state.get("finetuned"),
    )
    (run_dir / "metrics.json").write_text(json.dumps(asdict(result), indent=2))
    return result


def _phase1(run: _Run) -> None:
    """Phase 1: train the new head on cached features of the frozen backbone (or reload it, take it from `[phase1]
    from_run`, or skip it)."""
    import keras

    config, state, num_classes = run.config, _state(run.dir), len(run.split.class_names)
    t0 = time.time()
    head_path = run.dir / "phase1_head.weights.h5"
    if config.distill.init_from and not state.get("phase1_done"):
        # Phase 2 overwrites every weight with init_from's, so a head trained here would be thrown away.
        _save_state(run.dir, phase1_done=True, phase1_skipped=True, phase1_val=None, phase1_test=None, phase1_seconds=0.0)
        print(f"[phase 1] skipped: phase 2 starts from {config.distill.init_from}", flush=True)
        return
    if config.phase1.from_run and not state.get("phase1_done"):
        from training.phase1_source import copy_phase1

        copy_phase1(config, run.dir)
        state = _state(run.dir)
    if state.get("phase1_done"):
        if not state.get("phase1_skipped"):
            keras.Sequential([keras.Input((run.backbone.output.shape[-1],)), run.head]).load_weights(head_path)
        return
    with run.strategy.scope():
        # Created in the scope too, so that feature extraction runs on the strategy's devices.
        pooled = keras.Model(run.backbone.input, run.model.get_layer("avg_pool").output)
    feats = _extract_features(pooled, config, run.split, run.dir)
    x_train = np.concatenate([feats["train_x"]] + ([feats["train_aug_x"]] if "train_aug_x" in feats else []))
    y_train = np.concatenate([feats["train_y"]] + ([feats["train_aug_y"]] if "train_aug_y" in feats else []))
    with run.strategy.scope():
        head_model = keras.Sequential([keras.Input((run.backbone.output.shape[-1],)), run.head])
        head_model.compile(keras.optimizers.Adam(config.phase1.learning_rate), loss=run.loss, metrics=["accuracy"])
    has_val = "val_x" in feats
    best = keras.callbacks.ModelCheckpoint(str(head_path), monitor="val_accuracy" if has_val else "loss",
                                           save_best_only=has_val, save_weights_only=True)
    head_model.fit(
        x_train, keras.utils.to_categorical(y_train, num_classes),
        validation_data=(feats["val_x"], keras.utils.to_categorical(feats["val_y"], num_classes)) if has_val else None,
        epochs=config.phase1.epochs, batch_size=config.phase1.batch_size, shuffle=True, verbose=0,
        callbacks=[best, keras.callbacks.CSVLogger(str(run.dir / "history_phase1.csv"))],
    )
    head_model.load_weights(head_path)
    val1 = _accuracy(head_model, feats["val_x"], feats["val_y"]) if has_val else None
    test1 = _accuracy(head_model, feats["test_x"], feats["test_y"]) if "test_x" in feats else None
    _save_state(run.dir, phase1_done=True, phase1_val=val1, phase1_test=test1, phase1_seconds=time.time() - t0)
    print(f"[phase 1] val {_fmt(val1)}" + (f"  test {test1:.4f}" if test1 is not None else ""), flush=True)


def _phase2(run: _Run) -> None:
    """Phase 2: fine-tune the backbone from `fine_tune_from` on (resumable); the kept weights go to END_FILE."""
    import keras

    from training.callbacks import ResumableEarlyStopping, best_checkpoint
    from training.wise import END_FILE, save_start

    config, state, model = run.config, _state(run.dir), run.model
    t1 = time.time()
    best_path = run.dir / END_FILE
    if not state.get("phase1_skipped"):
        save_start(model, run.dir)  # the ImageNet backbone with phase 1's head: what [wise] mixes with
    if state.get("phase2_done"):
        return
    if config.distill.init_from and not (run.dir / "phase2_backup").exists():
        _load_init_weights(model, config.distill.init_from)
        save_start(model, run.dir)
    _unfreeze_top(run.backbone, config)
    p2 = config.phase2
    steps_per_epoch = math.ceil(len(run.split.train) / p2.batch_size)
    with run.strategy.scope():
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0, decay_steps=max(1, (p2.epochs - p2.warmup_epochs) * steps_per_epoch),
            warmup_target=p2.learning_rate, warmup_steps=p2.warmup_epochs * steps_per_epoch,
        )
        optimizer = keras.optimizers.AdamW(
            schedule, weight_decay=p2.weight_decay,
            use_ema=p2.ema_momentum > 0, ema_momentum=p2.ema_momentum or 0.99,
        )
        model.compile(optimizer, loss=run.loss, metrics=["accuracy"])
    train_ds = _dataset(config, run.split.train, training=True, batch_size=p2.batch_size, shuffle=True, mix=True)
    if config.distill.teachers:
        from training.distill import load_teachers, with_teacher_targets

        spec, _ = _spec_and_size(config)
        teachers = load_teachers(config.distill.teachers, len(run.split.class_names))
        print(f"[phase 2] distilling from {len(teachers)} teacher(s): " + ", ".join(str(t.path) for t in teachers), flush=True)
        train_ds = with_teacher_targets(train_ds, teachers, mean=spec.mean, std=spec.std, weight=config.distill.weight)
    val_ds = _dataset(config, run.split.val, training=False, batch_size=64) if run.split.val else None
    history_path = run.dir / "history_phase2.csv"
    logged = _read_history(history_path).get("val_accuracy", [])  # epochs before an interruption
    # Order matters: the backup holds the raw weights (and the average in the optimiser); with
    # an average, validation, the best checkpoint, early stopping and the real-world monitor all
    # see the average.
    if val_ds is not None:
        choice = [best_checkpoint(best_path, logged), ResumableEarlyStopping(logged, patience=p2.patience)]
    else:  # no val to choose on: every epoch's weights replace the last, so the last epoch is kept
        choice = [keras.callbacks.ModelCheckpoint(str(best_path), save_best_only=False, save_weights_only=True)]
    callbacks = [
        keras.callbacks.BackupAndRestore(str(run.dir / "phase2_backup")),
        *([keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if p2.ema_momentum > 0 else []),
        *([monitor] if (monitor := _monitor(config, run.photos)) else []),
        *choice,
        keras.callbacks.CSVLogger(str(history_path), append=True),
    ]
    seconds_before = state.get("phase2_seconds", 0.0)
    try:
        history = model.fit(train_ds, validation_data=val_ds, epochs=p2.epochs, callbacks=callbacks, verbose=_verbose())
    finally:  # an interrupted run keeps the time it spent, so the reported wall time is the whole run's
        _save_state(run.dir, phase2_seconds=seconds_before + time.time() - t1)
    hist = _read_history(history_path)
    if "val_accuracy" in hist:
        best_epoch = int(np.argmax(hist["val_accuracy"])) + 1
    else:
        best_epoch = len(hist.get("loss", [])) or len(history.history.get("loss", []))
    _save_state(run.dir, phase2_done=True, best_epoch=best_epoch, phase2_seconds=seconds_before + time.time() - t1)


def _keep_final_model(model, config: TrainConfig, split: Split, photos, run_dir: Path) -> None:
    """Score the fine-tuned weights, mix them with phase 2's start as `[wise] alpha` says, save model.keras.

    Done once per alpha: a finished run whose config changes only in `[wise]` is mixed again, from
    the files, without training (`training.checksums.write_run_header` allows that change).
    """
    from training.wise import end_weights, mix, start_weights

    state = _state(run_dir)
    alpha = config.wise.alpha
    # Runs finished before [wise] existed kept the fine-tuned weights and scored them.
    applied = state.get("final_alpha", 1.0 if (run_dir / "model.keras").exists() and "phase2_val" in state else None)
    if applied == alpha:
        return
    end = end_weights(model, run_dir)
    finetuned = state.get("finetuned")
    if finetuned is None and applied == 1.0:
        finetuned = {"val": state["phase2_val"], "test": state.get("phase2_test"), "realworld": state.get("realworld")}
    if finetuned is None:
        model.set_weights(end)
        finetuned = _scores(model, config, split, photos)
        _save_state(run_dir, finetuned=finetuned)
    if alpha == 1.0:
        weights, final = end, finetuned
    else:
        weights = mix(start_weights(model, run_dir, phase1_skipped=bool(state.get("phase1_skipped"))), end, alpha)
        model.set_weights(weights)
        final = _scores(model, config, split, photos)
        print(f"[wise] alpha {alpha}: val {_fmt(final['val'])} (fine-tuned {_fmt(finetuned['val'])})", flush=True)
    model.set_weights(weights)
    for layer in model.layers:
        layer.trainable = True  # saved model is plain; BN layers stay in inference mode at export anyway
    tmp = run_dir / "model.tmp.keras"
    model.save(tmp)
    os.replace(tmp, run_dir / "model.keras")
    _save_state(run_dir, phase2_val=final["val"], phase2_test=final["test"], realworld=final["realworld"], final_alpha=alpha)
    print(f"[phase 2] val {_fmt(final['val'])}" + (f"  test {final['test']:.4f}" if final["test"] is not None else ""), flush=True)


def _fmt(value: float | None) -> str:
    return "— (no val images: trained on train+val)" if value is None else f"{value:.4f}"

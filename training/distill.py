"""Knowledge distillation: finished runs teach a new one through its phase-2 targets.

The teachers' averaged softmax on the very batch the student sees (same crop, same MixUp/CutMix;
"function matching", Beyer et al. 2022) becomes the target, blended with the batch's own labels:
``target = weight * mean(teachers) + (1 - weight) * labels``.  Cross-entropy against a soft target
is the KL divergence up to a constant, so the student's loss, callbacks and checkpoints are the
ordinary ones.  Only training batches get teacher targets; validation keeps the true labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from training.checksums import CONFIG_FILE, read_run_config
from training.errors import ConfigError

__all__ = ["Teacher", "model_file", "check_finished_runs", "load_teachers", "with_teacher_targets"]


@dataclass(frozen=True)
class Teacher:
    """A finished run's Keras model and the input contract it was trained with."""

    path: Path
    model: object  # keras.Model
    size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]


def model_file(path: str | Path) -> Path:
    """The model.keras of a run directory (existing or not), or `path` itself if it names a .keras file."""
    path = Path(path)
    return path if path.suffix == ".keras" else path / "model.keras"


def check_finished_runs(paths: Sequence[str | Path], what: str = "teacher", section: str = "distill") -> None:
    """Fail early (before any training) if a teacher or init_from run is not finished.

    Raises:
        ConfigError: naming the first path without model.keras and config.toml.
    """
    for raw in paths:
        path = model_file(raw)
        if not path.is_file() or not (path.parent / CONFIG_FILE).is_file():
            raise ConfigError(
                f"[{section}] {what} {str(raw)!r} is not a finished run (need {path.name} and {CONFIG_FILE} "
                "in its run directory): train it first or fix the path"
            )


def load_teachers(paths: Sequence[str | Path], num_classes: int) -> list[Teacher]:
    """Load each teacher (a run directory, or its model.keras) with its backbone's contract.

    Raises:
        ConfigError: if a teacher is missing, is not a finished run, or predicts another number of classes.
    """
    import keras

    from training.backbones.registry import get_backbone
    check_finished_runs(paths)
    teachers = []
    for raw in paths:
        path = model_file(raw)
        config = read_run_config(path.parent)
        spec = get_backbone(config.backbone)
        try:
            model = keras.models.load_model(path, compile=False)
        except Exception as exc:  # a truncated or foreign file: say which one
            raise ConfigError(f"[distill] teacher model {str(path)!r} could not be loaded: {exc}") from None
        model.trainable = False
        if model.output_shape[-1] != num_classes:
            raise ConfigError(
                f"[distill] teacher {str(raw)!r} predicts {model.output_shape[-1]} classes, the data has {num_classes}"
            )
        teachers.append(Teacher(Path(raw), model, config.image_size or spec.input_size, spec.mean, spec.std))
    return teachers


def with_teacher_targets(dataset, teachers: Sequence[Teacher], *, mean, std, weight: float):
    """Replace each batch's labels by `weight` x the teachers' mean prediction + the rest of the labels.

    `dataset` yields (images normalised as (x - mean) / std, labels) batches at the student's size;
    each teacher sees the same pixels, renormalised and resized to its own contract.
    """
    import tensorflow as tf

    mean_t = tf.constant(mean, tf.float32)
    std_t = tf.constant(std, tf.float32)

    def targets(images, labels):
        pixels = images * std_t + mean_t
        probs = []
        for teacher in teachers:
            x = (pixels - tf.constant(teacher.mean, tf.float32)) / tf.constant(teacher.std, tf.float32)
            if x.shape[1] != teacher.size or x.shape[2] != teacher.size:
                x = tf.image.resize(x, (teacher.size, teacher.size), method="bilinear")
            probs.append(tf.cast(teacher.model(x, training=False), tf.float32))
        soft = tf.add_n(probs) / len(probs)
        return images, weight * soft + (1.0 - weight) * labels

    options = tf.data.Options()
    # Teacher convolutions run inside tf.data, whose functions use one thread per op by default.
    options.threading.max_intra_op_parallelism = 0
    return dataset.map(targets, num_parallel_calls=1).with_options(options).prefetch(tf.data.AUTOTUNE)

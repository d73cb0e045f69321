"""The classifier a run trains: backbone, pooling and softmax head, built, unfrozen and initialised.

The backbone comes from `training.backbones.registry`; the config names it and may override its
input size. The number of classes of each config's classifier is recorded here (`_NUM_CLASSES`),
for the datasets `training.evaluation` makes.
"""

from __future__ import annotations

from pathlib import Path

from training.config import TrainConfig

__all__ = ["build_classifier", "build_run_start"]

_NUM_CLASSES: dict[str, int] = {}


def _num_classes(config) -> int:
    return _NUM_CLASSES[config.name]


def _spec_and_size(config: TrainConfig):
    from training.backbones.registry import get_backbone

    spec = get_backbone(config.backbone)
    return spec, config.image_size or spec.input_size


def build_classifier(config: TrainConfig, num_classes: int, weights=None):
    """The full Keras model: normalised image -> backbone -> pooled features -> softmax."""
    import keras

    spec, size = _spec_and_size(config)
    weights = None if weights == "none" else weights
    backbone = spec.build(weights=weights, input_size=size)
    features = keras.layers.GlobalAveragePooling2D(name="avg_pool")(backbone.output)
    head = _head(num_classes, config.phase1.dropout)
    outputs = head(features)
    return keras.Model(backbone.input, outputs, name=f"{config.backbone}_flowers"), backbone, head


def build_run_start(config: TrainConfig, num_classes: int, run_dir: str | Path):
    """A finished run's model as phase 2 started it: the config's weights with phase 1's head (if phase 1 ran).

    Also makes `evaluate` usable for `config`. For `training.wise`, which needs phase 2's start and end.
    """
    import keras

    _NUM_CLASSES[config.name] = num_classes
    model, backbone, head = build_classifier(config, num_classes, weights=config.weights)
    head_path = Path(run_dir) / "phase1_head.weights.h5"
    if head_path.exists():
        keras.Sequential([keras.Input((backbone.output.shape[-1],)), head]).load_weights(head_path)
    return model


def _head(num_classes: int, dropout: float):
    import keras

    return keras.Sequential(
        [keras.layers.Dropout(dropout, name="head_dropout"), keras.layers.Dense(num_classes, activation="softmax", name="logits")],
        name="head",
    )


def _load_init_weights(model, init_from: str) -> None:
    """Start phase 2 from a finished run's weights (same backbone and classes; checked to exist in train())."""
    import keras

    from training.distill import model_file
    from training.errors import ConfigError

    path = model_file(init_from)
    try:
        source = keras.models.load_model(path, compile=False)
    except Exception as exc:  # a truncated or foreign file: say which one
        raise ConfigError(f"[distill] init_from model {str(path)!r} could not be loaded: {exc}") from None
    shapes = [w.shape for w in source.get_weights()]
    if shapes != [w.shape for w in model.get_weights()]:
        raise ConfigError(f"[distill] init_from {init_from!r} is another architecture than this run's {model.name}")
    model.set_weights(source.get_weights())
    print(f"[phase 2] starting from the weights of {path}", flush=True)


def _unfreeze_top(backbone, config: TrainConfig) -> None:
    """Make layers from `fine_tune_from` on trainable; BatchNorm stays frozen (inference mode) unless `train_batchnorm`."""
    import keras

    from training.errors import ConfigError

    spec, _ = _spec_and_size(config)
    start = config.phase2.fine_tune_from or spec.fine_tune_from
    names = [layer.name for layer in backbone.layers]
    if start != "all" and start not in names:
        raise ConfigError(f"phase2.fine_tune_from={start!r} is not a layer of {config.backbone}")
    backbone.trainable = True
    index = 0 if start == "all" else names.index(start)
    for i, layer in enumerate(backbone.layers):
        # Frozen BatchNorm keeps its ImageNet statistics: small CPU batches would give noisy ones.
        frozen_bn = isinstance(layer, keras.layers.BatchNormalization) and not config.phase2.train_batchnorm
        layer.trainable = i >= index and not frozen_bn

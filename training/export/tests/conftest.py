"""Fixtures of the export tests: a tiny, confident Keras classifier and synthetic photos (no dataset)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from training.data.oxford102 import Sample, Split

TINY_SIZE = 32
TINY_LABELS = ("red campion", "green hellebore", "bluebell")
MEAN = (127.0, 127.0, 127.0)
STD = (128.0, 128.0, 128.0)


def pytest_configure(config):
    config.addinivalue_line("markers", "shared_data: needs ../shared (the Oxford 102 copy or imagenet-check)")


def build_tiny_classifier(size: int = TINY_SIZE):
    """Normalised RGB -> conv -> ReLU6 -> pool -> softmax; the dominant colour channel is the class.

    Weights are set by hand so that predictions are confident and stable under int8 quantisation,
    like a trained model's, without training anything in a test.
    """
    import keras

    inputs = keras.Input((size, size, 3), name="image")
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    x = keras.layers.ReLU(6.0, name="relu6")(x)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = keras.layers.Dense(len(TINY_LABELS), activation="softmax", name="logits")(x)
    model = keras.Model(inputs, outputs, name="tiny_flowers")
    kernel = np.zeros((3, 3, 3, 4), np.float32)
    for c in range(3):
        kernel[1, 1, c, c] = 1.0
    kernel[:, :, :, 3] = 0.05  # a fourth, mildly active channel so no conv output is constant
    model.get_layer("conv").set_weights([kernel, np.zeros(4, np.float32)])
    dense = np.zeros((4, 3), np.float32)
    dense[:3, :3] = 8.0 * np.eye(3)
    model.get_layer("logits").set_weights([dense, np.zeros(3, np.float32)])
    return model


def make_photo(label: int, rng: np.random.Generator, shape=(48, 40)) -> np.ndarray:
    """A noisy synthetic photo whose dominant colour channel is `label`."""
    image = rng.integers(10, 70, size=(*shape, 3)).astype(np.uint8)
    image[..., label] = rng.integers(170, 250, size=shape)
    # a black shadow and a blown highlight, as real photos have: calibration then spans 0..255
    image[20:26, 14:20] = 0
    image[26:32, 20:26] = 255
    return image


def write_photos(folder: Path, count: int, seed: int) -> tuple[Sample, ...]:
    """`count` synthetic PNG photos cycling through the classes, as Samples."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    samples = []
    for i in range(count):
        label = i % len(TINY_LABELS)
        path = folder / f"photo_{i:03d}.png"
        Image.fromarray(make_photo(label, rng)).save(path)
        samples.append(Sample(path, label))
    return tuple(samples)


def write_photo_set(root: Path, seed: int = 4) -> Path:
    """A real-world-style set holding 2 of the 3 labels (folder case differs from the label's).

    'Red Campion': 14 clear red photos. 'bluebell': 10 clear blue ones and 10 whose red equals their
    blue (lossless PNG), which the model answers at about 0.5 and, on a tie, wrongly (red comes first):
    a selective-accuracy curve with a confident level strictly inside it.
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    for folder, count in (("Red Campion", 14), ("bluebell", 20)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            label = 0 if folder == "Red Campion" else 2
            image = make_photo(label, rng)
            suffix = "jpg"
            if label == 2 and i >= 10:
                image[..., 0], suffix = image[..., 2], "png"  # red rivals the blue
            Image.fromarray(image).save(root / folder / f"{folder[:3]}_{i:02d}.{suffix}")
    return root


def write_run(run_dir: Path, model, split: Split, val: float = 0.9, test: float = 0.8) -> Path:
    """A finished run directory as the trainer leaves it (model.keras, config, metrics, checksums)."""
    from training.checksums import to_toml
    from training.config import DataConfig, TrainConfig
    from training.data.oxford102 import data_checksums

    run_dir.mkdir(parents=True, exist_ok=True)
    config = TrainConfig(name=run_dir.name, backbone="efficientnet_lite0", image_size=TINY_SIZE, weights="none",
                         data=DataConfig(dataset="folder", dir=str(split.root)))
    (run_dir / "config.toml").write_text(to_toml(config.to_dict()))
    (run_dir / "metrics.json").write_text(json.dumps({"phase1_val": val / 2, "phase1_test": test / 2,
                                                      "phase2_val": val, "phase2_test": test, "best_epoch": 1}))
    (run_dir / "data_checksums.json").write_text(json.dumps(data_checksums(split)))
    model.save(run_dir / "model.keras")
    return run_dir


@pytest.fixture(scope="session")
def tiny_model():
    return build_tiny_classifier()


@pytest.fixture(scope="session")
def tiny_split(tmp_path_factory) -> Split:
    root = tmp_path_factory.mktemp("flowers")
    return Split(write_photos(root / "train", 15, seed=1), write_photos(root / "val", 12, seed=2),
                 write_photos(root / "test", 12, seed=3), TINY_LABELS, root)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_model, tiny_split) -> Path:
    return write_run(tmp_path_factory.mktemp("runs") / "tiny", tiny_model, tiny_split)


@pytest.fixture(scope="session")
def tiny_photos(tmp_path_factory) -> Path:
    return write_photo_set(tmp_path_factory.mktemp("realworld") / "photos")


@pytest.fixture(scope="session")
def tiny_release(tmp_path_factory, tiny_run, tiny_split, tiny_photos):
    """A release of the tiny run (all four variants, test-evaluated, scored on a photo set) into a models/ folder with old files."""
    from training.export.release import ExportOptions, release

    models = tmp_path_factory.mktemp("repo") / "models"
    models.mkdir()
    (models / "flowerlite-old_backbone-int8.tflite").write_bytes(b"an older release")
    (models / "SHA256SUMS").write_text("stale\n")
    (models / "README.txt").write_text("not part of a release\n")
    options = ExportOptions(variants=("float32", "float16", "int8", "dynamic"), version="0.0.1",
                            calibration_images=15, verify_images=12, rebuild_command="bash scripts/release.sh",
                            photo_set=tiny_photos, photo_set_command="python -m training evaluate --photos PHOTOS")
    return release([tiny_run], tiny_split, models, options)

"""Synthetic images whose class is decided by a coloured patch at a known place, and small models.

Every image holds two solid patches on a noisy background: patch P (top left) in one of three
primary colours and patch Q (bottom right) in one of three secondary colours, drawn
independently.  A model trained on P's colour must look at P; a control model trained on Q's
colour reads a different region of the very same images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE = 48
PATCH = 12
P_BOX = (6, 6)  # (top, left) of the class-deciding patch
Q_BOX = (30, 30)  # (top, left) of the control's patch
P_COLOURS = np.array([[220, 30, 30], [30, 200, 30], [30, 30, 220]], np.float32)  # red, green, blue
Q_COLOURS = np.array([[220, 220, 30], [30, 220, 220], [220, 30, 220]], np.float32)  # yellow, cyan, magenta
CLASS_NAMES = ["red", "green", "blue"]
# The models' input contract, as an exporter would write it into the TFLite metadata.
MEAN = (127.0, 127.0, 127.0)
STD = (128.0, 128.0, 128.0)
CAM_LAYER = "cam_conv"


@dataclass
class Dataset:
    """uint8 images (N, SIZE, SIZE, 3) and the colour index of each patch."""

    images: np.ndarray
    p_labels: np.ndarray
    q_labels: np.ndarray


def box_mask(box: tuple[int, int], size: int = SIZE, patch: int = PATCH) -> np.ndarray:
    """Boolean (size, size) mask of one patch."""
    mask = np.zeros((size, size), bool)
    mask[box[0] : box[0] + patch, box[1] : box[1] + patch] = True
    return mask


def make_dataset(n: int, seed: int) -> Dataset:
    """`n` images: noise (with a few random grey blobs as distractors) plus the P and Q patches."""
    rng = np.random.default_rng(seed)
    images = rng.normal(127, 45, size=(n, SIZE, SIZE, 3))
    for image in images:  # distractor blobs of random grey level, anywhere
        for _ in range(3):
            top, left = rng.integers(0, SIZE - 8, size=2)
            image[top : top + 8, left : left + 8] = rng.uniform(40, 215)
    p = rng.integers(0, 3, size=n)
    q = rng.integers(0, 3, size=n)
    for image, pi, qi in zip(images, p, q):
        image[box_mask(P_BOX)] = P_COLOURS[pi]
        image[box_mask(Q_BOX)] = Q_COLOURS[qi]
    return Dataset(np.clip(images, 0, 255).astype(np.uint8), p, q)


def normalise(images: np.ndarray) -> np.ndarray:
    """uint8 RGB -> the models' float input."""
    return (images.astype(np.float32) - np.float32(MEAN[0])) / np.float32(STD[0])


def build_model(seed: int):
    """A few convolutions, global average pooling and a softmax head, laid out like a run's model."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((SIZE, SIZE, 3), name="image")
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv2")(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name=CAM_LAYER)(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    head = keras.Sequential([layers.Dropout(0.1, name="head_dropout"), layers.Dense(3, activation="softmax", name="logits")], name="head")
    return keras.Model(inputs, head(x), name="patch_reader")


def train_model(data: Dataset, labels: np.ndarray, seed: int, epochs: int = 6):
    """Train `build_model` on `data` with `labels`; returns the model."""
    import keras

    model = build_model(seed)
    model.compile(keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(normalise(data.images), labels, epochs=epochs, batch_size=32, shuffle=True, verbose=0)
    return model


def accuracy(model, data: Dataset, labels: np.ndarray) -> float:
    """Top-1 accuracy of `model` on `data`."""
    probs = model.predict(normalise(data.images), verbose=0)
    return float(np.mean(probs.argmax(1) == labels))

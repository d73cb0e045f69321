"""QuantizationConfig: factory methods, validation, and what each variant makes of a tiny model."""

from __future__ import annotations

import numpy as np
import pytest

from training.errors import ConfigError
from training.export.quantization import QuantizationConfig
from training.export.temperature import apply_temperature
from training.export.tests.conftest import TINY_SIZE


def _interpreter(flatbuffer: bytes):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer)
    interpreter.allocate_tensors()
    return interpreter


def _calibration_images(count: int = 16) -> np.ndarray:
    # Full 0..255 pixel range, normalised as the model expects: the input range is then [-127/128, 1].
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(count, TINY_SIZE, TINY_SIZE, 3)).astype(np.float32)
    pixels[0, 0, 0] = (0, 0, 0)
    pixels[0, 0, 1] = (255, 255, 255)
    return (pixels - 127.0) / 128.0


def test_unknown_variant_is_rejected_with_the_value():
    with pytest.raises(ConfigError, match=r"variant='int4'"):
        QuantizationConfig("int4")


def test_int8_without_representative_data_is_rejected():
    with pytest.raises(ConfigError, match="needs representative data"):
        QuantizationConfig("int8")


def test_for_int8_rejects_an_empty_image_array():
    with pytest.raises(ConfigError, match=r"shape=\(0,\)"):
        QuantizationConfig.for_int8(np.zeros((0,), np.float32))


def test_for_int8_yields_each_image_as_a_batch_of_one():
    images = _calibration_images(3)
    config = QuantizationConfig.for_int8(images)
    batches = list(config.representative_data())
    assert len(batches) == 3
    assert batches[0][0].shape == (1, TINY_SIZE, TINY_SIZE, 3)
    np.testing.assert_array_equal(batches[2][0][0], images[2])
    assert config.is_integer_only and config.per_channel


def test_factories_name_their_variant():
    assert [QuantizationConfig.for_float32().variant, QuantizationConfig.for_float16().variant,
            QuantizationConfig.for_dynamic().variant] == ["float32", "float16", "dynamic"]


def _released(release, variant: str):
    return _interpreter(next(m for m in release.models if m.variant == variant).path.read_bytes())


def test_int8_model_takes_raw_uint8_pixels_and_gives_uint8_probabilities(tiny_release):
    interpreter = _released(tiny_release, "int8")
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    assert inp["dtype"] == np.uint8 and out["dtype"] == np.uint8
    # scale 1/128 and zero point 127: the uint8 input *is* the raw pixel, (x - 127) / 128 is free.
    assert inp["quantization"] == (0.0078125, 127)
    assert out["quantization"] == (0.00390625, 0)
    # every op is integer: no float tensor anywhere in the graph
    float_tensors = [t["name"] for t in interpreter.get_tensor_details() if t["dtype"] == np.float32]
    assert float_tensors == []


def test_float16_model_stores_its_weights_as_float16(tiny_release):
    interpreter = _released(tiny_release, "float16")
    assert np.float16 in {t["dtype"] for t in interpreter.get_tensor_details()}
    assert interpreter.get_input_details()[0]["dtype"] == np.float32


def test_float32_model_matches_keras(tiny_release, tiny_model):
    interpreter = _released(tiny_release, "float32")
    x = _calibration_images(1)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    # The release folds the temperature fitted on val into the softmax layer.
    expected = apply_temperature(tiny_model.predict(x, verbose=0), tiny_release.temperature.temperature)
    np.testing.assert_allclose(got, expected, atol=1e-5)

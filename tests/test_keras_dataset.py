"""shapecontract.keras.check_dataset and batch: tf.data pipelines against a model's contracts."""

from __future__ import annotations

from collections.abc import Iterator

import keras
import numpy as np
import pytest
import tensorflow as tf

import shapecontract.keras as sk
from shapecontract import Array, Float, ShapeContractError, check

rng = np.random.default_rng(1)


def forecaster(steps: int | None, features: int = 3) -> keras.Model:
    model = keras.Sequential([keras.Input((steps, features)), keras.layers.LSTM(4),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def windows(n: int, steps: int, features: int = 3) -> tf.data.Dataset:
    x = rng.random((n, steps, features), dtype=np.float32)
    return tf.data.Dataset.from_tensor_slices((x, rng.random((n, 1), dtype=np.float32)))


def variable_length(n: int = 8, low: int = 5, high: int = 12) -> tf.data.Dataset:
    lengths = rng.integers(low, high, size=n)

    def generate() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for length in lengths:
            yield rng.random((int(length), 3), dtype=np.float32), np.zeros(1, np.float32)

    return tf.data.Dataset.from_generator(generate, output_signature=(
        tf.TensorSpec((None, 3), tf.float32), tf.TensorSpec((1,), tf.float32)))


def test_a_matching_batched_dataset_passes_without_being_iterated() -> None:
    dataset = windows(8, 20).batch(4)
    iterated = []
    watched = dataset.map(lambda x, y: (tf.py_function(
        lambda v: iterated.append(1) or v, [x], tf.float32), y))
    watched = watched.map(lambda x, y: (tf.ensure_shape(x, (None, 20, 3)), y))
    assert sk.check_dataset(watched, forecaster(20))["time"] == 20
    assert iterated == []


def test_unbatched_dataset_says_to_batch_it() -> None:
    with pytest.raises(ShapeContractError) as info:
        sk.check_dataset(windows(8, 20), forecaster(20))
    assert "holds single samples: the dataset is not batched" in str(info.value)
    assert info.value.hint == "shapecontract.keras.batch(dataset, model, batch_size)"


def test_wrong_feature_count_and_fixed_time_length() -> None:
    with pytest.raises(ShapeContractError) as info:
        sk.check_dataset(windows(8, 20, 7).batch(4), forecaster(20, 6))
    error = info.value
    assert (error.argument, error.axis, error.expected, error.actual) == ("x", "feat", 6, 7)
    assert "the dataset's x (TensorSpec(?, 20, 7) float32): axis 2 'feat'" in str(error)
    with pytest.raises(ShapeContractError, match="axis 1 'time' is 1000 but must be 1440"):
        sk.check_dataset(windows(4, 1000).batch(4), forecaster(1440))


def test_labels_in_the_dataset_are_checked_against_the_output() -> None:
    x = rng.random((8, 20, 3), dtype=np.float32)
    dataset = tf.data.Dataset.from_tensor_slices((x, np.zeros((8, 2), np.float32))).batch(4)
    with pytest.raises(ShapeContractError, match=r"dataset's y .* axis 1 'out_feat' is 2 but "
                                                 "must be 1"):
        sk.check_dataset(dataset, forecaster(20))


def test_ragged_spec_says_padded_batch() -> None:
    ragged = tf.ragged.constant([[[0.0] * 3] * 2, [[0.0] * 3] * 5])
    dataset = tf.data.Dataset.from_tensor_slices((ragged, np.zeros((2, 1), np.float32)))
    with pytest.raises(ShapeContractError) as info:
        sk.check_dataset(dataset.batch(2), forecaster(None))
    assert "is ragged" in str(info.value) and "padded_batch" in str(info.value)
    assert info.value.hint == "dataset.map(lambda x, y: (x.to_tensor(), y))"


def test_integer_features_get_a_cast_in_the_map() -> None:
    dataset = tf.data.Dataset.from_tensor_slices(
        (np.zeros((4, 20, 3), np.int32), np.zeros((4, 1), np.float32))).batch(2)
    with pytest.raises(ShapeContractError) as info:
        sk.check_dataset(dataset, forecaster(20))
    assert info.value.kind == "dtype"
    assert info.value.hint == "dataset.map(lambda x, y: (tf.cast(x, tf.float32), y))"


def test_a_contract_or_a_pair_of_contracts_instead_of_a_model() -> None:
    dataset = windows(8, 20).batch(4)
    assert sk.check_dataset(dataset, Float[Array, "batch time feat"], feat=3)["feat"] == 3
    pair = (Float[Array, "batch time feat"], Float[Array, "batch 1"])
    sk.check_dataset(dataset, pair)
    with pytest.raises(ShapeContractError, match="is 3 but must be 4"):
        sk.check_dataset(dataset, Float[Array, "batch time feat"], feat=4)
    with pytest.raises(ValueError, match="'fet' is not a name"):
        sk.check_dataset(dataset, Float[Array, "batch time feat"], fet=3)


def test_sizes_by_hand_meet_the_model_s_and_typos_are_refused() -> None:
    dataset, model = windows(8, 20).batch(4), forecaster(20)
    with pytest.raises(ShapeContractError, match=r"time=30 .* contradicts time=20, set by model"):
        sk.check_dataset(dataset, model, time=30)
    with pytest.raises(ValueError, match="'tme' is not a name in the contracts; its names: "
                                         "batch, time, feat, out_feat"):
        sk.check_dataset(dataset, model, tme=20)
    with pytest.raises(ValueError, match="'fet' is not a name"):
        sk.check_dataset(dataset, (Float[Array, "batch time feat"], Float[Array, "batch 1"]),
                         fet=3)


def test_not_a_dataset_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"expected a tf.data.Dataset, got numpy.ndarray"):
        sk.check_dataset(np.zeros((4, 20, 3)), forecaster(20))


def test_dict_inputs_are_matched_by_name() -> None:
    seq, static = keras.Input((10, 3), name="seq"), keras.Input((4,), name="static")
    merged = keras.layers.Concatenate()([keras.layers.LSTM(4)(seq), static])
    model = keras.Model([seq, static], keras.layers.Dense(1)(merged))
    x = {"seq": np.zeros((6, 10, 3), np.float32), "static": np.zeros((6, 5), np.float32)}
    dataset = tf.data.Dataset.from_tensor_slices((x, np.zeros((6, 1), np.float32))).batch(3)
    with pytest.raises(ShapeContractError, match=r"x\['static'\].*is 5 but must be 4"):
        sk.check_dataset(dataset, model)


# -- batch(): padded_batch where the time axis varies -------------------------------------------


def test_seed_2b_plain_batch_fails_inside_fit_and_batch_pads() -> None:
    model = forecaster(None)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot batch tensors"):
        model.fit(variable_length().batch(4), verbose=0)
    batched = sk.batch(variable_length(), model, 4)
    assert batched.element_spec[0].shape.as_list() == [None, None, 3]
    assert len(model.fit(batched, verbose=0).history["loss"]) == 1


def test_batch_pads_to_the_length_the_model_fixes() -> None:
    model = forecaster(12)
    batched = sk.batch(variable_length(high=12), model, 4)
    assert batched.element_spec[0].shape.as_list() == [None, 12, 3]
    x, _ = next(iter(batched))
    assert tuple(x.shape) == (4, 12, 3)
    model.fit(batched, verbose=0)


def test_batch_of_fixed_length_elements_uses_plain_batch() -> None:
    batched = sk.batch(windows(8, 20), forecaster(20), 4, drop_remainder=True)
    assert batched.element_spec[0].shape.as_list() == [4, 20, 3]


def test_batch_checks_each_element_first() -> None:
    with pytest.raises(ShapeContractError) as info:
        sk.batch(windows(8, 20, 7), forecaster(20), 4)
    assert info.value.function == "batch" and info.value.actual == 7


def test_batch_size_must_be_a_positive_int() -> None:
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        sk.batch(windows(8, 20), forecaster(20), 0)


# -- graph mode: @check inside dataset.map, then batch and fit ---------------------------------


@check
def normalise(window: Float[Array, "time feat"], label: Float[Array, "1"]
              ) -> tuple[Float[Array, "time feat"], Float[Array, "1"]]:
    mean = tf.reduce_mean(window, axis=0, keepdims=True)
    return window - mean, label


def test_checked_map_then_batch_then_fit(recwarn: pytest.WarningsRecorder) -> None:
    model = forecaster(None)
    pipeline = sk.batch(variable_length().map(normalise), model, 4)
    model.fit(pipeline, verbose=0)
    assert not [w for w in recwarn if "AutoGraph" in str(w.message)]


def test_checked_map_raises_while_tracing_a_known_wrong_size() -> None:
    @check
    def three_sensors(window: Float[Array, "time 3"]) -> Float[Array, "time 3"]:
        return window

    dataset = tf.data.Dataset.from_tensor_slices(np.zeros((4, 10, 7), np.float32))
    with pytest.raises(ShapeContractError, match="axis 1 \\(feature\\) is 7 but must be 3"):
        dataset.map(three_sensors)

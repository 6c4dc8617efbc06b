"""shapecontract.keras.preflight: the data against a built model before fit.

Each of the seed article's mistakes (and the silent ones of framework-behaviour.md rows 4, 5,
11, 12 and 13) is shown twice: what Keras does with it, and shapecontract raising first.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import shapecontract.keras as sk
from shapecontract import Array, Float, ShapeContractError, check, dims

rng = np.random.default_rng(0)


def forecaster(steps: int | None = 1440, features: int = 3, *,
               sequences: bool = False) -> keras.Model:
    model = keras.Sequential([keras.Input((steps, features)),
                              keras.layers.LSTM(4, return_sequences=sequences),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def data(*shape: int) -> np.ndarray:
    return rng.random(shape, dtype=np.float32)


def test_matching_data_passes_and_trains() -> None:
    model = forecaster(20)
    x, y = data(8, 20, 3), data(8, 1)
    assert sk.preflight(model, x, y) == {"time": 20, "feat": 3, "out_feat": 1, "batch": 8}
    assert len(model.fit(x, y, verbose=0).history["loss"]) == 1


# -- the seed article's three examples ---------------------------------------------------------


def test_seed_1_flat_export_keras_names_no_axis_preflight_gives_the_reshape() -> None:
    model = forecaster()
    x, y = data(100 * 1440, 3), data(100, 1)
    with pytest.raises(ValueError, match="Data cardinality is ambiguous") as keras_said:
        model.fit(x, y, verbose=0)
    assert "axis" not in str(keras_said.value)
    with pytest.raises(ShapeContractError) as info:
        sk.preflight(model, x, y)
    error = info.value
    assert (error.function, error.argument, error.kind) == ("preflight", "x", "rank")
    assert error.hint == "x.reshape(100, 1440, 3)"


def test_seed_1b_labels_flattened_too_the_reshape_names_the_labels_as_the_other_half() -> None:
    # framework-behaviour.md row 1b: y has one row per minute as well, so it sets the batch to
    # 144000, which no reshape of x can meet; the fix is x's reshape, and y must follow it.
    model = forecaster()
    x, y = data(100 * 1440, 3), data(100 * 1440, 1)
    with pytest.raises(ValueError, match="Invalid input shape"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ShapeContractError) as info:
        sk.preflight(model, x, y)
    assert info.value.hint == ("x.reshape(100, 1440, 3), then change what set batch=144000 "
                               "(argument 'y' axis 0) to agree")


def test_seed_1_caught_at_the_preprocessing_function_with_the_model_s_sizes() -> None:
    # The earliest boundary: the function that built the array, checked with the sizes the
    # model fixed, read off the model by contract_of.
    @check
    def scale(readings: Float[Array, "machines steps sensors"]
              ) -> Float[Array, "machines steps sensors"]:
        return readings / readings.max()

    model = forecaster()
    _, steps, sensors = sk.contract_of(model).shape()
    with dims(steps=steps, sensors=sensors), \
            pytest.raises(ShapeContractError, match=r"readings.reshape\(100, 1440, 3\)"):
        scale(data(100 * 1440, 3))


def test_seed_2_ragged_list_tf_data_refuses_it_preflight_says_pad_to_the_model() -> None:
    model = forecaster()
    sequences = [data(int(n), 3) for n in rng.integers(1200, 1440, size=8)]
    y = data(8, 1)
    with pytest.raises(ValueError, match="non-rectangular Python sequence"):
        tf.data.Dataset.from_tensor_slices((sequences, y))
    with pytest.raises(ShapeContractError) as info:
        sk.preflight(model, sequences, y)
    hint = info.value.hint or ""
    assert 'keras.utils.pad_sequences(x, maxlen=1440, dtype="float32", padding="post")' in hint
    # The hint, followed, gives data the model trains on.
    x = keras.utils.pad_sequences(sequences, maxlen=1440, dtype="float32", padding="post")
    sk.preflight(model, x, y)
    model.fit(x, y, verbose=0)


def test_seed_3_seven_features_keras_fails_in_the_cell_preflight_names_the_axis() -> None:
    model = forecaster(features=6)
    x, y = data(8, 1440, 7), data(8, 1)
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 7 and 6") as said:
        model.fit(x, y, verbose=0)
    assert "MatMul" in str(said.value)
    with pytest.raises(ShapeContractError) as info:
        sk.preflight(model, x, y)
    error = info.value
    assert (error.argument, error.axis, error.expected, error.actual) == ("x", "feat", 6, 7)
    assert "(None, 1440, 6)" in (error.origin or "")


# -- what Keras does silently ------------------------------------------------------------------


def test_row_4_wrong_time_length_trains_silently_preflight_raises() -> None:
    model = forecaster()
    x, y = data(8, 1000, 3), data(8, 1)
    model.fit(x, y, verbose=0)  # Keras: no error, no warning
    with pytest.raises(ShapeContractError) as info:
        sk.preflight(model, x, y)
    error = info.value
    assert (error.axis, error.expected, error.actual) == ("time", 1440, 1000)
    assert error.hint is not None and error.hint.startswith("np.pad(x, ((0, 0), (0, 440)")


def test_row_5_swapped_axes_get_the_transpose() -> None:
    model = forecaster()
    x, y = data(8, 3, 1440), data(8, 1)
    with pytest.raises(Exception, match=r"Matrix size-incompatible|Dimensions must be equal"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ShapeContractError) as info:
        sk.preflight(model, x, y)
    assert info.value.hint == "x.transpose(0, 2, 1)"


def test_row_11_labels_with_a_time_axis_for_a_one_value_output() -> None:
    model = forecaster(20)
    x, y = data(8, 20, 3), data(8, 20, 1)
    model.fit(x, y, verbose=0)  # Keras 3 with MSE broadcasts these labels without a word
    with pytest.raises(ShapeContractError) as info:
        sk.preflight(model, x, y)
    assert info.value.argument == "y" and info.value.kind == "rank"
    assert "set return_sequences=True on the last recurrent layer" in str(info.value)


def test_row_12_sequence_output_with_one_label_per_sequence_broadcasts_silently() -> None:
    model = forecaster(10, sequences=True)
    x, y = data(8, 10, 3), data(8, 1)
    model.fit(x, y, verbose=0)
    with pytest.raises(ShapeContractError) as info:
        sk.preflight(model, x, y)
    message = str(info.value)
    assert info.value.argument == "y"
    assert "a loss would broadcast these labels" in message
    assert "drop return_sequences=True" in message
    # Labels per step, with or without the trailing 1 Keras adds, pass.
    sk.preflight(model, x, data(8, 10, 1))
    sk.preflight(model, x, data(8, 10))


def test_row_13_pad_sequences_default_int32_is_caught() -> None:
    model = forecaster(20)
    sequences = [rng.random((int(n), 3)) for n in rng.integers(10, 20, size=8)]
    x = keras.utils.pad_sequences(sequences, maxlen=20)
    assert x.dtype == np.int32 and not x.any()  # every reading in [0, 1) became 0
    model.fit(x, data(8, 1), verbose=0)
    with pytest.raises(ShapeContractError) as info:
        sk.preflight(model, x, data(8, 1))
    assert info.value.kind == "dtype"
    assert 'pad again with dtype="float32"' in str(info.value)


# -- labels, batches and several inputs --------------------------------------------------------


def test_x_and_y_with_different_batch_sizes() -> None:
    with pytest.raises(ShapeContractError) as info:
        sk.preflight(forecaster(20), data(8, 20, 3), data(7, 1))
    error = info.value
    assert (error.argument, error.axis, error.expected, error.actual) == ("y", "batch", 8, 7)
    assert error.origin == "argument 'x' axis 0"


def test_labels_without_the_trailing_one_and_sparse_class_labels_pass() -> None:
    sk.preflight(forecaster(20), data(8, 20, 3), data(8))
    x = keras.Input((20, 3))
    classifier = keras.Model(x, keras.layers.Dense(5, activation="softmax")(
        keras.layers.LSTM(4)(x)))
    classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    labels = rng.integers(0, 5, size=(8,))
    sk.preflight(classifier, data(8, 20, 3), labels)
    sk.preflight(classifier, data(8, 20, 3), labels[:, None])
    classifier.fit(data(8, 20, 3), labels, verbose=0)


def test_several_inputs_by_name_and_a_batch_that_disagrees() -> None:
    seq, static = keras.Input((10, 3), name="seq"), keras.Input((4,), name="static")
    merged = keras.layers.Concatenate()([keras.layers.LSTM(4)(seq), static])
    model = keras.Model([seq, static], keras.layers.Dense(1)(merged))
    sk.preflight(model, {"seq": data(3, 10, 3), "static": data(3, 4)}, data(3, 1))
    sk.preflight(model, [data(3, 10, 3), data(3, 4)])
    with pytest.raises(ShapeContractError, match="argument 'x\\['static'\\]': axis 0 'batch'"):
        sk.preflight(model, {"seq": data(3, 10, 3), "static": data(2, 4)})
    with pytest.raises(sk.ModelError, match="has 2 inputs \\(seq, static\\); pass x as a dict"):
        sk.preflight(model, data(3, 10, 3))
    with pytest.raises(sk.ModelError, match=r"keys \['seq'\], but .* named \['seq', 'static'\]"):
        sk.preflight(model, {"seq": data(3, 10, 3)})


def test_sizes_passed_by_hand_are_checked_and_typos_refused() -> None:
    model = forecaster(20)
    with pytest.raises(ShapeContractError, match="set by batch=4 passed to preflight"):
        sk.preflight(model, data(8, 20, 3), batch=4)
    with pytest.raises(ValueError, match=r"'bach' is not a name .* batch, time, feat"):
        sk.preflight(model, data(8, 20, 3), bach=8)
    with pytest.raises(ShapeContractError, match="contradicts time=20"):
        sk.preflight(model, data(8, 20, 3), time=30)


def test_preflight_of_an_unbuilt_model_says_how_to_build_it() -> None:
    with pytest.raises(sk.ModelError, match="is not built"):
        sk.preflight(keras.Sequential([keras.layers.LSTM(2)]), data(3, 4, 2))


def test_preflight_hands_a_dataset_to_check_dataset() -> None:
    model = forecaster(20)
    good = tf.data.Dataset.from_tensor_slices((data(8, 20, 3), data(8, 1))).batch(4)
    assert sk.preflight(model, good)["time"] == 20
    with pytest.raises(ShapeContractError, match="check_dataset"):
        sk.preflight(model, tf.data.Dataset.from_tensor_slices((data(8, 20, 3), data(8, 1))))
    with pytest.raises(ValueError, match="carries its labels; pass y=None"):
        sk.preflight(model, good, data(8, 1))

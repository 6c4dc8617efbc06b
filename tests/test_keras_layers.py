"""shapecontract.keras: Input, InputSpec and recurrent layers built from a contract."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import shapecontract.keras as sk
from shapecontract import Array, Float, Int, ShapeContractError, dims

SERIES = Float[Array, "batch time feat"]


def _forecaster(first: object) -> keras.Model:
    model = keras.Sequential([first, keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_input_drops_the_batch_and_takes_sizes_and_dtype() -> None:
    x = sk.Input(SERIES, time=1440, feat=3)
    assert tuple(x.shape) == (None, 1440, 3)
    assert x.dtype == "float32"
    tokens = sk.Input(Int[Array, "batch time"], name="tokens")
    assert tuple(tokens.shape) == (None, None)
    assert tokens.dtype == "int64"
    assert tokens.name == "tokens"


def test_input_takes_sizes_from_the_dims_block_and_numbers_in_the_contract() -> None:
    with dims(time=96):
        x = sk.Input(Float[Array, "batch time 5"])
    assert tuple(x.shape) == (None, 96, 5)


def test_input_size_that_contradicts_the_dims_block_is_refused() -> None:
    with dims(time=96), pytest.raises(ShapeContractError, match="time=100 was passed"):
        sk.Input(SERIES, time=100)


def test_input_trains_a_model() -> None:
    x = sk.Input(SERIES, time=12, feat=3)
    model = keras.Model(x, keras.layers.Dense(1)(keras.layers.LSTM(4)(x)))
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(np.zeros((8, 12, 3), "float32"), np.zeros((8, 1), "float32"),
                        verbose=0).history
    assert len(history["loss"]) == 1


@pytest.mark.parametrize(("contract", "says"), [
    ("time batch feat", "keras.ops.transpose(x, (1, 0, 2)) and write \"batch time feat\""),
    ("batch feat time", "keras.ops.transpose(x, (0, 2, 1)) and write \"batch time feat\""),
    ("time feat", "has no batch axis"),
    ("batch *rest", "variadic axis"),
])
def test_input_refuses_a_layout_keras_cannot_read_and_says_what_to_permute(
        contract: str, says: str) -> None:
    with pytest.raises(ValueError, match="Input\\(\\)") as info:
        sk.Input(contract)
    assert says in str(info.value)


def test_input_refuses_a_size_name_the_contract_lacks() -> None:
    with pytest.raises(ValueError, match=r"'tme' is not a name.*its names: batch, time, feat"):
        sk.Input(SERIES, tme=1440)


def test_input_spec_checks_rank_and_bound_axes() -> None:
    spec = sk.InputSpec(SERIES, time=20, feat=6)
    assert isinstance(spec, keras.layers.InputSpec)
    assert spec.ndim == 3
    assert spec.axes == {1: 20, 2: 6}


def test_lstm_rejects_seven_features_at_its_own_boundary() -> None:
    # Seed example 3: keras.layers.LSTM declares only ndim=3, so 7 features reach the cell's
    # MatMul. Keras's own message, for comparison:
    plain = _forecaster(keras.layers.LSTM(4))
    plain.build((None, None, 6))
    x7, y = np.zeros((8, 20, 7), "float32"), np.zeros((8, 1), "float32")
    with pytest.raises(ValueError, match="MatMul"):
        plain.fit(x7, y, verbose=0)
    checked = _forecaster(sk.LSTM(SERIES, 4, feat=6))
    with pytest.raises(ValueError) as info:
        checked.fit(x7, y, verbose=0)
    message = str(info.value)
    assert "expected axis 2 of input shape to have value 6" in message
    assert "(None, 20, 7)" in message
    assert "MatMul" not in message


def test_lstm_from_a_contract_trains_and_keeps_keras_options() -> None:
    layer = sk.LSTM(SERIES, 4, feat=3, return_sequences=True, dropout=0.1)
    assert isinstance(layer, keras.layers.LSTM)
    assert layer.return_sequences and layer.dropout == 0.1
    model = _forecaster(layer)
    model.fit(np.zeros((4, 10, 3), "float32"), np.zeros((4, 10, 1), "float32"), verbose=0)
    assert sk.contract_of(layer).dims == "batch time 3"


@pytest.mark.parametrize("builder", [sk.GRU, sk.SimpleRNN])
def test_gru_and_simple_rnn_check_their_features_too(builder: object) -> None:
    layer = builder(SERIES, 4, feat=6)  # type: ignore[operator]
    model = _forecaster(layer)
    with pytest.raises(ValueError, match="expected axis 2 of input shape to have value 6"):
        model.fit(np.zeros((4, 5, 7), "float32"), np.zeros((4, 1), "float32"), verbose=0)


@pytest.mark.parametrize(("contract", "units", "says"), [
    ("batch feat", 4, "reads \\(batch, time, features\\), but .* has 2 axes"),
    ("batch x y z", 4, "has 4 axes"),
    ("time batch feat", 4, "batch axis first"),
    (SERIES, 0, "units must be a positive int, got 0"),
    (SERIES, 2.5, "units must be a positive int, got 2.5"),
])
def test_lstm_refuses_a_contract_or_units_it_cannot_use(contract: object, units: object,
                                                        says: str) -> None:
    with pytest.raises(ValueError, match=says):
        sk.LSTM(contract, units)  # type: ignore[arg-type]


def test_a_non_contract_is_a_type_error_naming_what_was_expected() -> None:
    with pytest.raises(TypeError, match="expected a jaxtyping annotation"):
        sk.LSTM(42, 4)


def test_sizes_of_names_only_arithmetic_uses_are_sizes_not_keras_options() -> None:
    layer = sk.LSTM("batch time sensors+sites", 4, sensors=3, sites=4)
    assert layer.input_spec.axes == {2: 7}

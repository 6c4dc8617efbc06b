"""shapecontract.keras.contract_of: what a built model or layer expects, read without data."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import shapecontract.keras as sk
from shapecontract import Contract, ShapeContractError, check_shape


class Forecaster(keras.Model):
    """A subclassed model: no symbolic inputs until it is called."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = keras.layers.LSTM(4)
        self.head = keras.layers.Dense(1)

    def call(self, x: object) -> object:
        return self.head(self.lstm(x))


def test_functional_model_gives_input_and_output_contracts() -> None:
    x = keras.Input((1440, 3))
    model = keras.Model(x, keras.layers.Dense(1)(keras.layers.LSTM(4)(x)))
    contract = sk.contract_of(model)
    assert isinstance(contract, Contract)
    assert str(contract) == 'Float[Array, "batch 1440 3"]'
    assert str(sk.contract_of(model, output=True)) == 'Float[Array, "batch 1"]'
    # The contract is a real one: it checks arrays with the core's errors.
    with pytest.raises(ShapeContractError, match="axis 1 \\(time\\) is 1000 but must be 1440"):
        check_shape(np.zeros((8, 1000, 3), "float32"), contract)


def test_sequential_built_without_an_input_is_read_from_its_lstm_kernel() -> None:
    model = keras.Sequential([keras.layers.LSTM(4), keras.layers.Dense(1)])
    model.build((None, None, 6))
    assert sk.contract_of(model).dims == "batch time 6"


def test_model_built_by_calling_it_keeps_only_the_feature_count() -> None:
    # Calling a model on one batch records that batch's shape; only the features bind the
    # kernel, so the batch and time of that one call are not requirements.
    model = keras.Sequential([keras.layers.LSTM(4), keras.layers.Dense(1)])
    model(np.zeros((2, 5, 7), "float32"))
    assert sk.contract_of(model).dims == "batch time 7"


def test_subclassed_model_is_read_from_its_first_layer_once_called() -> None:
    model = Forecaster()
    with pytest.raises(sk.ModelError, match="'forecaster' is not built"):
        sk.contract_of(model)
    model(np.zeros((2, 5, 7), "float32"))
    assert sk.contract_of(model).dims == "batch time 7"
    with pytest.raises(sk.ModelError, match="no symbolic outputs"):
        sk.contract_of(model, output=True)


class Scorer(keras.Model):
    def __init__(self) -> None:
        super().__init__()
        self.head = keras.layers.Dense(1)

    def call(self, x: object) -> object:
        return self.head(x)


def test_dense_first_layer_of_a_subclassed_model_fixes_only_the_last_axis() -> None:
    model = Scorer()
    model(np.zeros((3, 5), "float32"))
    contract = sk.contract_of(model)
    assert contract.dims == "batch *axes 5"
    check_shape(np.zeros((3, 4, 5)), contract)
    with pytest.raises(ShapeContractError, match="is 6 but must be 5"):
        check_shape(np.zeros((3, 6)), contract)


def test_multi_input_model_needs_a_name() -> None:
    seq, static = keras.Input((10, 3), name="seq"), keras.Input((4,), name="static")
    merged = keras.layers.Concatenate()([keras.layers.LSTM(4)(seq), static])
    model = keras.Model([seq, static], keras.layers.Dense(1)(merged))
    with pytest.raises(sk.ModelError, match="has 2 inputs \\('seq', 'static'\\); name one: "
                                            "contract_of\\(model, name='seq'\\)"):
        sk.contract_of(model)
    assert sk.contract_of(model, name="static").dims == "batch 4"
    with pytest.raises(sk.ModelError, match="no input named 'nope'; its inputs: 'seq', 'static'"):
        sk.contract_of(model, name="nope")


def test_layer_from_shapecontract_carries_its_contract_before_it_is_built() -> None:
    assert sk.contract_of(sk.LSTM("batch time feat", 4, time=30, feat=6)).dims == "batch 30 6"


def test_integer_input_gives_an_int_contract() -> None:
    tokens = keras.Input((None,), dtype="int32")
    model = keras.Model(tokens, keras.layers.Embedding(10, 2)(tokens))
    assert str(sk.contract_of(model)) == 'Int[Array, "batch feat"]'


@pytest.mark.parametrize("obj", [np.zeros(3), "model", None])
def test_something_that_is_not_keras_is_a_type_error(obj: object) -> None:
    with pytest.raises(TypeError, match="expected a Keras model or layer, got"):
        sk.contract_of(obj)


def test_unbuilt_layer_says_how_to_build_it() -> None:
    with pytest.raises(sk.ModelError, match=r"not built.*keras.Input\(shape\).*model.build"):
        sk.contract_of(keras.layers.LSTM(3))

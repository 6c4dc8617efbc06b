"""Real frameworks: torch, tensorflow (eager, tf.function, tf.data) and Keras 3.

No mocks: every value here is a real tensor, variable or symbolic tensor, so each test
fails if shapecontract stops recognising, checking or passing through that kind of value.
"""

from __future__ import annotations

import logging

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

from shapecontract import (
    Array,
    Float,
    Int,
    ShapeContractError,
    check,
    check_shape,
    current_scope,
    dims,
)

# -- shared checked functions ----------------------------------------------------------------


@check
def pair(x: Float[Array, "batch time feat"], y: Float[Array, "batch 1"]
         ) -> Float[Array, "batch time feat"]:
    return x


@check
def series(x: Float[Array, "batch time feat"]) -> Float[Array, "batch time feat"]:
    return x


@check
def scaled(x: Float[Array, "batch time feat"], y: Float[Array, "batch 1"]
           ) -> Float[Array, "batch time feat"]:
    """Real arithmetic, so a traced graph has to be built from the checked values."""
    return x * y[:, :, None]


@check
def windows(x: Float[Array, "batch 1440 3"]) -> Float[Array, "batch 1440 3"]:
    return x


# -- Array: what is an array and what is not -------------------------------------------------


def _array_values() -> dict[str, object]:
    return {
        "numpy ndarray": np.zeros((2, 3), np.float32),
        "numpy 0-d ndarray": np.array(1.0),
        "torch.Tensor": torch.zeros(2, 3),
        "torch nn.Parameter": torch.nn.Parameter(torch.zeros(2, 3)),
        "torch requires_grad": torch.zeros(2, 3, requires_grad=True),
        "tf eager tensor": tf.zeros((2, 3)),
        "tf.Variable": tf.Variable(tf.zeros((2, 3))),
        "keras.KerasTensor": keras.Input((4, 3)),
        "keras.Variable": keras.Variable(np.zeros((2, 3), np.float32)),
    }


@pytest.mark.parametrize("name", list(_array_values()))
def test_array_matches_framework_values(name: str) -> None:
    value = _array_values()[name]
    assert isinstance(value, Array), f"{name} ({type(value)!r}) should be an Array"


@pytest.mark.parametrize(
    "value",
    [[1.0, 2.0], (1.0, 2.0), 3, 2.5, np.float64(1.0), None, {"x": np.zeros(2)}, "batch"],
    ids=["list", "tuple", "int", "float", "numpy scalar", "None", "dict", "str"],
)
def test_array_rejects_non_arrays(value: object) -> None:
    assert not isinstance(value, Array)


def test_array_matches_symbolic_tensor_inside_tf_function() -> None:
    seen: list[tuple[str, bool]] = []

    @tf.function(input_signature=[tf.TensorSpec([None, 3])])
    def traced(x: tf.Tensor) -> tf.Tensor:
        seen.append((type(x).__name__, isinstance(x, Array)))
        return x

    traced.get_concrete_function()
    assert seen, "the function was never traced"
    assert seen[0][0] != "EagerTensor"  # really symbolic
    assert seen[0][1] is True


# -- @check with torch and tensorflow eager --------------------------------------------------


def _torch(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.zeros(*shape, dtype=dtype)


def _tf(*shape: int, dtype: tf.DType = tf.float32) -> tf.Tensor:
    return tf.zeros(shape, dtype=dtype)


FRAMEWORKS = [
    pytest.param(_torch, "torch", id="torch"),
    pytest.param(_tf, "tensorflow", id="tensorflow"),
]


@pytest.mark.parametrize(("make", "framework"), FRAMEWORKS)
def test_check_passes_consistent_shapes(make, framework: str) -> None:
    x = make(4, 5, 3)
    assert pair(x, make(4, 1)) is x
    assert tuple(scaled(x, make(4, 1)).shape) == (4, 5, 3)


@pytest.mark.parametrize(("make", "framework"), FRAMEWORKS)
def test_batch_mismatch_names_the_other_argument(make, framework: str) -> None:
    with pytest.raises(ShapeContractError) as info:
        pair(make(4, 5, 3), make(3, 1))
    err = info.value
    assert (err.kind, err.function, err.argument) == ("size", "pair", "y")
    assert (err.axis, err.axis_index, err.expected, err.actual) == ("batch", 0, 4, 3)
    assert err.origin == "argument 'x' axis 0"
    assert err.value == f"float32[3, 1] ({framework})"
    first = str(err).splitlines()[0]
    for part in ("pair()", "'y'", "is 3", "must be 4", "argument 'x' axis 0"):
        assert part in first


@pytest.mark.parametrize(("make", "framework"), FRAMEWORKS)
def test_return_value_mismatch(make, framework: str) -> None:
    @check
    def bad(x: Float[Array, "batch feat"]) -> Float[Array, "batch feat"]:
        return make(x.shape[0] + 1, x.shape[1])

    with pytest.raises(ShapeContractError) as info:
        bad(make(4, 3))
    err = info.value
    assert (err.argument, err.axis, err.expected, err.actual) == ("return", "batch", 4, 5)
    assert err.origin == "argument 'x' axis 0"


def test_torch_int64_into_float_is_a_dtype_error_with_torch_hint() -> None:
    with pytest.raises(ShapeContractError) as info:
        pair(_torch(4, 5, 3, dtype=torch.int64), _torch(4, 1))
    err = info.value
    assert (err.kind, err.argument, err.actual) == ("dtype", "x", "int64")
    assert err.hint == "x.float()"
    assert "fix: x.float()" in str(err)


@pytest.mark.parametrize("dtype", [tf.int32, tf.int64])
def test_tensorflow_int_into_float_hint_uses_tf_cast(dtype: tf.DType) -> None:
    with pytest.raises(ShapeContractError) as info:
        pair(_tf(4, 5, 3, dtype=dtype), _tf(4, 1))
    err = info.value
    assert (err.kind, err.argument, err.actual) == ("dtype", "x", dtype.name)
    assert err.hint == "tf.cast(x, tf.float32)"


def test_int_contract_rejects_torch_float_with_torch_hint() -> None:
    @check
    def ids(t: Int[Array, "batch"]) -> Int[Array, "batch"]:
        return t

    assert ids(_torch(3, dtype=torch.int64)).dtype == torch.int64
    with pytest.raises(ShapeContractError) as info:
        ids(_torch(3))
    assert info.value.kind == "dtype"
    assert info.value.hint == "t.long()"


def test_float_accepts_torch_half_precisions() -> None:
    for dtype in (torch.float16, torch.bfloat16, torch.float64):
        x = _torch(2, 3, 4, dtype=dtype)
        assert series(x) is x


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        pytest.param(np.zeros((8, 3, 1440), np.float32), "x.transpose(0, 2, 1)", id="numpy"),
        pytest.param(torch.zeros(8, 3, 1440), "x.permute(0, 2, 1)", id="torch"),
        pytest.param(tf.zeros((8, 3, 1440)), "tf.transpose(x, perm=[0, 2, 1])", id="tensorflow"),
        pytest.param(keras.Variable(np.zeros((8, 3, 1440), np.float32)),
                     "keras.ops.transpose(x, (0, 2, 1))", id="keras"),
    ],
)
def test_swapped_axes_hint_uses_the_framework_of_the_value(value: object, hint: str) -> None:
    with dims(time=1440, feat=3), pytest.raises(ShapeContractError) as info:
        series(value)
    err = info.value
    assert err.kind == "size"
    assert err.hint == hint
    assert f"fix: {hint}" in str(err)
    assert "dims(time=1440, feat=3)" in err.origin


def test_dims_binding_holds_across_calls_and_frameworks() -> None:
    with dims("batch") as scope:
        series(_torch(4, 5, 3))
        assert scope["batch"] == 4
        series(_tf(4, 7, 3))  # another framework, same batch: fine
        with pytest.raises(ShapeContractError) as info:
            series(_tf(3, 5, 3))
    err = info.value
    assert (err.axis, err.expected, err.actual) == ("batch", 4, 3)
    assert "series() argument 'x' axis 0" in err.origin
    assert err.value == "float32[3, 5, 3] (tensorflow)"


def test_tf_variable_and_keras_variable_are_checked() -> None:
    v = tf.Variable(tf.zeros((4, 5, 3)))
    assert pair(v, tf.Variable(tf.zeros((4, 1)))) is v
    with pytest.raises(ShapeContractError) as info:
        pair(v, tf.Variable(tf.zeros((2, 1))))
    assert (info.value.argument, info.value.expected, info.value.actual) == ("y", 4, 2)

    k = keras.Variable(np.zeros((4, 5, 3), np.float32))
    assert series(k) is k
    with pytest.raises(ShapeContractError) as info:
        pair(k, keras.Variable(np.zeros((2, 1), np.float32)))
    assert (info.value.argument, info.value.expected, info.value.actual) == ("y", 4, 2)


def test_keras_variable_dtype_hint_uses_keras_ops() -> None:
    with pytest.raises(ShapeContractError) as info:
        series(keras.Variable(np.zeros((2, 3, 4), np.int32)))
    assert info.value.kind == "dtype"
    assert info.value.hint == 'keras.ops.cast(x, "float32")'


# -- tf.function: unknown sizes, unknown rank, AutoGraph -------------------------------------


def test_tf_function_with_unknown_dims_gives_no_false_error() -> None:
    traced = tf.function(
        scaled, input_signature=[tf.TensorSpec([None, None, 3]), tf.TensorSpec([None, 1])]
    )
    concrete = traced.get_concrete_function()
    assert concrete.structured_outputs.shape.as_list() == [None, None, 3]
    out = traced(tf.ones((2, 4, 3)), tf.fill((2, 1), 2.0))
    assert out.shape == (2, 4, 3)
    np.testing.assert_allclose(out.numpy(), 2.0)


def test_tf_function_unknown_batch_in_one_argument_only_is_fine() -> None:
    traced = tf.function(
        pair, input_signature=[tf.TensorSpec([None, 5, 3]), tf.TensorSpec([4, 1])]
    )
    traced.get_concrete_function()  # x's batch is unknown: nothing to compare with y's 4


def test_tf_function_known_wrong_dim_raises_shape_contract_error_while_tracing() -> None:
    traced = tf.function(
        pair, input_signature=[tf.TensorSpec([None, None, 3]), tf.TensorSpec([None, 2])]
    )
    with pytest.raises(Exception) as info:
        traced.get_concrete_function()
    err = info.value
    assert type(err) is ShapeContractError, f"got {type(err).__name__}: {err}"
    assert (err.argument, err.axis_index, err.expected, err.actual) == ("y", 1, 1, 2)
    assert err.origin == "the contract"
    assert err.value == "float32[?, 2] (tensorflow, symbolic)"


def test_tf_function_known_batches_that_disagree_raise_while_tracing() -> None:
    traced = tf.function(
        pair, input_signature=[tf.TensorSpec([4, None, 3]), tf.TensorSpec([5, 1])]
    )
    with pytest.raises(Exception) as info:
        traced.get_concrete_function()
    err = info.value
    assert type(err) is ShapeContractError, f"got {type(err).__name__}: {err}"
    assert (err.argument, err.axis, err.expected, err.actual) == ("y", "batch", 4, 5)
    assert err.origin == "argument 'x' axis 0"


def test_error_raised_inside_an_outer_tf_function_keeps_its_type() -> None:
    @tf.function(input_signature=[tf.TensorSpec([None, None, 3]), tf.TensorSpec([None, 2])])
    def outer(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        return pair(x, y) + 1.0

    with pytest.raises(Exception) as info:
        outer.get_concrete_function()
    assert type(info.value) is ShapeContractError, f"got {type(info.value).__name__}"
    assert info.value.argument == "y"


def test_tf_function_unknown_rank_is_skipped() -> None:
    traced = tf.function(series, input_signature=[tf.TensorSpec(None)])
    concrete = traced.get_concrete_function()
    assert concrete.structured_outputs.shape.rank is None
    assert traced(tf.ones((2, 3, 4))).shape == (2, 3, 4)


def test_tf_function_unknown_rank_still_checks_dtype() -> None:
    traced = tf.function(series, input_signature=[tf.TensorSpec(None, tf.int32)])
    with pytest.raises(Exception) as info:
        traced.get_concrete_function()
    assert type(info.value) is ShapeContractError
    assert info.value.kind == "dtype"
    assert info.value.hint == "tf.cast(x, tf.float32)"


def test_unknown_sizes_never_bind_a_dims_name() -> None:
    traced = tf.function(series, input_signature=[tf.TensorSpec([None, None, 3])])
    with dims("batch") as scope:
        traced.get_concrete_function()
        with pytest.raises(KeyError):
            scope["batch"]
        series(_tf(6, 2, 3))  # the first known size binds it
        assert scope["batch"] == 6


@check
def branchy(x: Float[Array, "batch feat"]) -> Float[Array, "batch feat"]:
    # Tensor-dependent Python control flow: only works in a graph if AutoGraph converts it.
    if tf.reduce_sum(x) > 0:  # noqa: SIM108 (a statement, for AutoGraph to convert)
        y = x * 2.0
    else:
        y = x - 1.0
    return y


def test_tf_function_converts_control_flow_inside_a_checked_function() -> None:
    @tf.function(input_signature=[tf.TensorSpec([None, 3])])
    def outer(x: tf.Tensor) -> tf.Tensor:
        return branchy(x)

    np.testing.assert_allclose(outer(tf.ones((2, 3))).numpy(), 2.0)
    np.testing.assert_allclose(outer(-tf.ones((2, 3))).numpy(), -2.0)
    assert outer.experimental_get_tracing_count() == 1  # one graph holds both branches


def test_tf_function_directly_on_a_checked_function_with_control_flow() -> None:
    traced = tf.function(branchy, input_signature=[tf.TensorSpec([None, 3])])
    np.testing.assert_allclose(traced(tf.ones((2, 3))).numpy(), 2.0)
    np.testing.assert_allclose(traced(-tf.ones((2, 3))).numpy(), -2.0)
    with pytest.raises(Exception) as info:
        tf.function(branchy, input_signature=[tf.TensorSpec([None, 2, 3])]
                    ).get_concrete_function()
    assert type(info.value) is ShapeContractError
    assert info.value.kind == "rank"


def _autograph_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if "AutoGraph could not transform" in r.getMessage()]


def test_dataset_map_runs_checked_function_without_autograph_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = np.arange(12, dtype=np.float32).reshape(4, 3) - 5.0
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        # Control: a function AutoGraph cannot transform does log the warning here, so the
        # capture below would see one for the checked function too.
        twice, thrice = lambda x: x * 2.0, lambda x: x * 3.0
        list(tf.data.Dataset.from_tensor_slices(data).map(twice))
        assert _autograph_warnings(caplog), "the capture misses AutoGraph's warnings"
        del thrice
        caplog.clear()

        @check
        def norm(x: Float[Array, "feat"]) -> Float[Array, "feat"]:
            if tf.reduce_sum(x) > 0:  # noqa: SIM108 (a statement for AutoGraph)
                y = x / 2.0
            else:
                y = -x
            return y

        out = [v.numpy() for v in tf.data.Dataset.from_tensor_slices(data).map(norm)]
        assert _autograph_warnings(caplog) == []
    expected = [row / 2.0 if row.sum() > 0 else -row for row in data]
    np.testing.assert_allclose(np.stack(out), np.stack(expected))


def test_dataset_map_raises_shape_contract_error_for_a_wrong_element() -> None:
    @check
    def pairs(x: Float[Array, "2"]) -> Float[Array, "2"]:
        return x

    data = tf.data.Dataset.from_tensor_slices(np.zeros((4, 3), np.float32))
    with pytest.raises(Exception) as info:
        data.map(pairs)
    assert type(info.value) is ShapeContractError
    assert (info.value.axis_index, info.value.expected, info.value.actual) == (0, 2, 3)


# -- Keras symbolic inputs -------------------------------------------------------------------


def test_keras_input_passes_a_matching_contract() -> None:
    inp = keras.Input((1440, 3))
    assert windows(inp) is inp


def test_keras_input_with_wrong_time_fails_clearly() -> None:
    with pytest.raises(ShapeContractError) as info:
        windows(keras.Input((1000, 3)))
    err = info.value
    assert (err.kind, err.function, err.argument) == ("size", "windows", "x")
    assert (err.axis_index, err.expected, err.actual) == (1, 1440, 1000)
    assert err.origin == "the contract"
    assert err.value == "float32[?, 1000, 3] (keras, symbolic)"
    first = str(err).splitlines()[0]
    for part in ("windows()", "'x'", "axis 1", "is 1000", "must be 1440", "[?, 1000, 3]"):
        assert part in first
    # The batch size is unknown, so nothing says that swapping it into the time axis would
    # give 1440: a transpose is no fix for a window that is 440 steps short; padding is.
    assert "transpose" not in (err.hint or ""), err.hint
    assert err.hint == "keras.ops.pad(x, ((0, 0), (0, 440), (0, 0))) (or fix the windowing)"


def test_tf_symbolic_unknown_batch_gets_no_speculative_transpose_hint() -> None:
    traced = tf.function(windows, input_signature=[tf.TensorSpec([None, 1000, 3])])
    with pytest.raises(Exception) as info:
        traced.get_concrete_function()
    err = info.value
    assert type(err) is ShapeContractError
    assert (err.axis_index, err.expected, err.actual) == (1, 1440, 1000)
    assert "transpose" not in (err.hint or ""), err.hint
    assert err.hint == "tf.pad(x, ((0, 0), (0, 440), (0, 0))) (or fix the windowing)"


def test_keras_functional_model_built_through_a_checked_function() -> None:
    @check
    def encoder(x: Float[Array, "batch 1440 3"]) -> Float[Array, "batch 8"]:
        h = keras.layers.GlobalAveragePooling1D()(x)
        return keras.layers.Dense(8)(h)

    inp = keras.Input((1440, 3))
    model = keras.Model(inp, encoder(inp))
    assert model.output_shape == (None, 8)


# -- torch specifics -------------------------------------------------------------------------


class Head(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)

    @check
    def forward(self, x: Float[Array, "batch time 3"]) -> Float[Array, "batch time 2"]:
        return self.linear(x)


def test_checked_module_forward_through_call() -> None:
    head = Head()
    out = head(torch.randn(4, 5, 3))
    assert out.shape == (4, 5, 2)
    out.sum().backward()  # autograd flows through the checked boundary
    assert head.linear.weight.grad is not None


def test_checked_module_forward_raises_on_mismatch() -> None:
    with pytest.raises(ShapeContractError) as info:
        Head()(torch.randn(4, 5, 4))
    err = info.value
    assert err.function == "Head.forward"
    assert (err.argument, err.axis_index, err.expected, err.actual) == ("x", 2, 3, 4)
    assert err.value == "float32[4, 5, 4] (torch)"


def test_checked_module_forward_return_is_checked() -> None:
    class Wrong(torch.nn.Module):
        @check
        def forward(self, x: Float[Array, "batch 3"]) -> Float[Array, "batch 2"]:
            return x

    with pytest.raises(ShapeContractError) as info:
        Wrong()(torch.zeros(4, 3))
    assert (info.value.argument, info.value.expected, info.value.actual) == ("return", 2, 3)


def test_meta_device_tensors_are_checked_without_data() -> None:
    x = torch.empty(4, 5, 3, device="meta")
    assert series(x) is x
    with pytest.raises(ShapeContractError) as info:
        pair(x, torch.empty(2, 1, device="meta"))
    assert (info.value.argument, info.value.expected, info.value.actual) == ("y", 4, 2)
    assert info.value.value == "float32[2, 1] (torch, meta)"
    with pytest.raises(ShapeContractError) as info:
        series(torch.empty(4, 5, 3, device="meta", dtype=torch.int64))
    assert info.value.hint == "x.float()"


def test_requires_grad_tensor_and_parameter_pass_through_with_graph() -> None:
    x = torch.ones(2, 3, 4, requires_grad=True)
    out = series(x)
    assert out is x
    (series(x * 3.0)).sum().backward()
    assert x.grad is not None
    torch.testing.assert_close(x.grad, torch.full((2, 3, 4), 3.0))
    p = torch.nn.Parameter(torch.zeros(2, 3, 4))
    assert series(p) is p


# -- check_shape -----------------------------------------------------------------------------


def test_check_shape_with_torch_returns_the_bound_sizes() -> None:
    assert check_shape(torch.zeros(2, 7, 3), Float[Array, "batch time feat"]) == {
        "batch": 2, "time": 7, "feat": 3}
    assert check_shape(torch.zeros(2, 7, 3), Float[Array, "batch *rest"]) == {
        "batch": 2, "rest": (7, 3)}
    with pytest.raises(ShapeContractError) as info:
        check_shape(torch.zeros(2, 3), Float[Array, "batch feat"], batch=5)
    assert (info.value.expected, info.value.actual) == (5, 2)


def test_check_shape_with_tensorflow_returns_the_bound_sizes() -> None:
    assert check_shape(tf.zeros((2, 7, 3)), Float[Array, "batch time feat"]) == {
        "batch": 2, "time": 7, "feat": 3}
    assert check_shape(tf.Variable(tf.zeros((4, 1))), Float[Array, "batch 1"]) == {"batch": 4}
    with pytest.raises(ShapeContractError):
        check_shape(tf.zeros((2, 3), tf.int32), Float[Array, "batch feat"])


def test_check_shape_on_symbolic_values_returns_only_known_sizes() -> None:
    assert check_shape(keras.Input((7, 3)), Float[Array, "batch time feat"]) == {
        "time": 7, "feat": 3}
    seen: list[dict[str, object]] = []

    @tf.function(input_signature=[tf.TensorSpec([None, 3])])
    def traced(x: tf.Tensor) -> tf.Tensor:
        seen.append(check_shape(x, Float[Array, "batch feat"]))
        return x

    traced.get_concrete_function()
    assert seen == [{"feat": 3}]


def test_check_shape_binds_a_waiting_dims_name_from_torch() -> None:
    with dims("feat"):
        check_shape(torch.zeros(5, 3), Float[Array, "batch feat"])
        scope = current_scope()
        assert scope is not None and scope["feat"] == 3
        with pytest.raises(ShapeContractError):
            series(torch.zeros(5, 2, 4))


# -- no conversion, no copy ------------------------------------------------------------------


class Tagged(np.ndarray):
    """A numpy subclass: conversion with np.asarray would lose it."""


def _identity_checked():
    received: list[object] = []

    @check
    def f(x: Float[Array, "batch feat"]) -> Float[Array, "batch feat"]:
        received.append(x)
        return x

    return f, received


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: np.zeros((2, 3), np.float32).view(Tagged), id="numpy subclass"),
        pytest.param(lambda: torch.zeros(2, 3), id="torch"),
        pytest.param(lambda: torch.zeros(2, 3, requires_grad=True), id="torch requires_grad"),
        pytest.param(lambda: tf.zeros((2, 3)), id="tf eager"),
        pytest.param(lambda: tf.Variable(tf.zeros((2, 3))), id="tf.Variable"),
        pytest.param(lambda: keras.Variable(np.zeros((2, 3), np.float32)), id="keras.Variable"),
    ],
)
def test_checking_never_converts_or_copies(make) -> None:
    f, received = _identity_checked()
    for _ in range(2):  # the first call goes through the full check, the second the fast path
        x = make()
        assert f(x) is x
        assert received[-1] is x
    assert type(received[-1]) is type(make())

"""Fix hints: the exact line of code each kind of failure suggests, in the framework of the
value, and that running that line gives a value the contract then accepts."""

import contextlib
import re

import numpy as np
import pytest

from shapecontract import Array, Float, Float64, Int, ShapeContractError, check, check_shape, dims

FRAMEWORKS = ("numpy", "torch", "tensorflow")


def module(name: str):
    return np if name == "numpy" else pytest.importorskip(name)


def make(fw: str, shape: tuple[int, ...], dtype: str = "float32"):
    lib = module(fw)
    if fw == "numpy":
        return np.zeros(shape, dtype=dtype)
    return lib.zeros(shape, dtype=getattr(lib, dtype))


def code(hint: str) -> str:
    """The hint without its trailing remark, such as ' (or fix the windowing)'."""
    return re.sub(r" \([a-z][^()]*\)$", "", hint)


def apply(hint: str, **values):
    """Run the hint's code with the value bound to the name it uses."""
    env = {"np": np, **values}
    for name, alias in (("torch", "torch"), ("tensorflow", "tf"), ("keras", "keras")):
        with contextlib.suppress(ImportError):
            env[alias] = __import__(name)
    return eval(code(hint), env)


def error_of(call, *args, **kwargs) -> ShapeContractError:
    with pytest.raises(ShapeContractError) as info:
        call(*args, **kwargs)
    return info.value


@check
def windows(x: Float[Array, "machines steps sensors"]) -> None:
    return None


@check
def model(x: Float[Array, "batch steps sensors"]) -> None:
    return None


def expect(per_framework: dict[str, str], fw: str) -> str:
    return per_framework.get(fw, per_framework.get("numpy"))


# -- one test per kind of hint, in every framework ------------------------------------------------


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_reshape_a_flat_array(fw: str) -> None:
    x = make(fw, (144000, 3))
    with dims(steps=1440, sensors=3):
        err = error_of(windows, x)
        assert (err.kind, err.argument, err.expected, err.actual) == ("rank", "x", 3, 2)
        assert err.hint == expect({"numpy": "x.reshape(100, 1440, 3)",
                                   "tensorflow": "tf.reshape(x, (100, 1440, 3))"}, fw)
        fixed = apply(err.hint, x=x)
        assert tuple(fixed.shape) == (100, 1440, 3)
        assert windows(fixed) is None


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_transpose_swapped_axes(fw: str) -> None:
    x = make(fw, (8, 3, 1440))
    with dims(steps=1440, sensors=3):
        err = error_of(model, x)
        assert (err.kind, err.axis, err.axis_index, err.expected, err.actual) == (
            "size", "steps", 1, 1440, 3)
        assert err.hint == {"numpy": "x.transpose(0, 2, 1)", "torch": "x.permute(0, 2, 1)",
                            "tensorflow": "tf.transpose(x, perm=[0, 2, 1])"}[fw]
        assert model(apply(err.hint, x=x)) is None


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_missing_batch_axis(fw: str) -> None:
    x = make(fw, (1440, 3))
    with dims(steps=1440, sensors=3):
        err = error_of(model, x)
        assert (err.kind, err.expected, err.actual) == ("rank", 3, 2)
        assert err.hint == {"numpy": "x[None]", "torch": "x.unsqueeze(0)",
                            "tensorflow": "tf.expand_dims(x, 0)"}[fw]
        fixed = apply(err.hint, x=x)
        assert tuple(fixed.shape) == (1, 1440, 3)
        assert model(fixed) is None


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_missing_inner_axis(fw: str) -> None:
    # (8, 3): one step per machine; the new axis goes in the middle
    x = make(fw, (8, 3))
    with dims(steps=1, sensors=3):
        err = error_of(model, x)
        assert err.hint == {"numpy": "x[:, None]", "torch": "x.unsqueeze(1)",
                            "tensorflow": "tf.expand_dims(x, 1)"}[fw]
        assert model(apply(err.hint, x=x)) is None


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_extra_size_one_axis(fw: str) -> None:
    x = make(fw, (8, 1440, 3, 1))
    with dims(steps=1440, sensors=3):
        err = error_of(model, x)
        assert (err.kind, err.expected, err.actual) == ("rank", 3, 4)
        assert err.hint == expect({"numpy": "x.squeeze(3)",
                                   "tensorflow": "tf.squeeze(x, axis=3)"}, fw)
        assert model(apply(err.hint, x=x)) is None


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_integer_values_into_float(fw: str) -> None:
    x = make(fw, (8, 1440, 3), dtype="int64")
    with dims(steps=1440, sensors=3):
        err = error_of(model, x)
        assert (err.kind, err.expected, err.actual) == ("dtype", "Float", "int64")
        assert err.hint == {"numpy": "x.astype(np.float32)", "torch": "x.float()",
                            "tensorflow": "tf.cast(x, tf.float32)"}[fw]
        assert model(apply(err.hint, x=x)) is None


@check
def counts(x: Int[Array, "n"]) -> None:
    return None


@check
def precise(x: Float64[Array, "n"]) -> None:
    return None


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_dtype_hint_names_the_family_default(fw: str) -> None:
    x = make(fw, (5,))
    err = error_of(counts, x)
    assert err.hint == {"numpy": "x.astype(np.int64)", "torch": "x.long()",
                        "tensorflow": "tf.cast(x, tf.int64)"}[fw]
    assert counts(apply(err.hint, x=x)) is None
    err = error_of(precise, x)
    assert err.hint == {"numpy": "x.astype(np.float64)", "torch": "x.double()",
                        "tensorflow": "tf.cast(x, tf.float64)"}[fw]
    assert precise(apply(err.hint, x=x)) is None


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_pad_short_sequences(fw: str) -> None:
    x = make(fw, (8, 1000, 3))
    with dims(steps=1440, sensors=3):
        err = error_of(model, x)
        assert (err.kind, err.axis, err.expected, err.actual) == ("size", "steps", 1440, 1000)
        want = {"numpy": "np.pad(x, ((0, 0), (0, 440), (0, 0)))",
                "torch": "torch.nn.functional.pad(x, (0, 0, 0, 440))",
                "tensorflow": "tf.pad(x, ((0, 0), (0, 440), (0, 0)))"}[fw]
        assert err.hint.startswith(want)
        assert code(err.hint) == want
        fixed = apply(err.hint, x=x)
        assert tuple(fixed.shape) == (8, 1440, 3)
        assert model(fixed) is None


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_crop_long_sequences(fw: str) -> None:
    x = make(fw, (8, 2000, 3))
    with dims(steps=1440, sensors=3):
        err = error_of(model, x)
        assert (err.kind, err.axis, err.expected, err.actual) == ("size", "steps", 1440, 2000)
        assert err.hint.startswith("x[:, :1440]")
        assert code(err.hint) == "x[:, :1440]"
        assert model(apply(err.hint, x=x)) is None


def test_time_first_contract_pads_axis_zero() -> None:
    @check
    def time_major(x: Float[Array, "time batch feat"]) -> None:
        return None

    x = np.zeros((90, 4, 2), dtype=np.float32)
    with dims(time=100):
        err = error_of(time_major, x)
        assert code(err.hint) == "np.pad(x, ((0, 10), (0, 0), (0, 0)))"
        assert time_major(apply(err.hint, x=x)) is None


# -- values that are not arrays -------------------------------------------------------------------


def test_list_of_unequal_numpy_arrays() -> None:
    pytest.importorskip("keras")
    x = [np.random.rand(1203, 3), np.random.rand(1440, 3), np.random.rand(900, 3)]
    with dims(steps=1440, sensors=3):
        err = error_of(model, x)
        assert err.kind == "type"
        assert (err.axis, err.axis_index, err.value) == (None, None, None)
        assert "pad_sequences" in err.hint
        assert 'dtype="float32"' in err.hint
        assert code(err.hint) == ('keras.utils.pad_sequences(x, maxlen=1440, dtype="float32", '
                                  'padding="post")')
        fixed = apply(err.hint, x=x)
        assert fixed.shape == (3, 1440, 3) and fixed.dtype == np.float32
        assert fixed[0, 1000, 1] == np.float32(x[0][1000, 1])  # the floats kept, not truncated
        assert model(fixed) is None


def test_list_of_unequal_arrays_without_a_time_size() -> None:
    pytest.importorskip("keras")
    x = [np.ones((5, 3)), np.ones((7, 3))]
    err = error_of(model, x)
    assert code(err.hint) == 'keras.utils.pad_sequences(x, dtype="float32", padding="post")'
    assert model(apply(err.hint, x=x)) is None


def test_list_of_unequal_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    x = [torch.ones(5, 3), torch.ones(7, 3)]
    err = error_of(model, x)
    assert err.hint == "torch.nn.utils.rnn.pad_sequence(x, batch_first=True)"
    fixed = apply(err.hint, x=x)
    assert tuple(fixed.shape) == (2, 7, 3)
    assert model(fixed) is None


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_list_of_equal_arrays_is_stacked(fw: str) -> None:
    x = [make(fw, (1440, 3)) for _ in range(4)]
    with dims(steps=1440, sensors=3):
        err = error_of(model, x)
        assert err.kind == "type"
        assert err.hint == {"numpy": "np.stack(x)", "torch": "torch.stack(x)",
                            "tensorflow": "tf.stack(x)"}[fw]
        assert model(apply(err.hint, x=x)) is None


def test_list_of_numbers_is_converted() -> None:
    @check
    def series(x: Float[Array, "n"]) -> None:
        return None

    err = error_of(series, [1, 2, 3])
    assert (err.kind, err.hint) == ("type", "np.asarray(x, dtype=np.float32)")
    assert series(apply(err.hint, x=[1, 2, 3])) is None


def test_no_type_hint_for_other_values() -> None:
    assert error_of(model, "a string").hint is None
    assert error_of(model, []).hint is None
    assert error_of(model, None).hint is None


# -- the names hints use --------------------------------------------------------------------------


@check
def window(readings: Float[Array, "machines steps sensors"]) -> None:
    return None


def test_hint_uses_the_parameter_name() -> None:
    readings = np.zeros((144000, 3), dtype=np.float32)
    with dims(steps=1440, sensors=3):
        err = error_of(window, readings)
        assert err.argument == "readings"
        assert err.hint == "readings.reshape(100, 1440, 3)"
        assert window(apply(err.hint, readings=readings)) is None


def test_hint_uses_the_keyword_argument_name() -> None:
    readings = np.zeros((8, 3, 1440), dtype=np.float32)
    with dims(steps=1440, sensors=3):
        err = error_of(window, readings=readings)
        assert err.hint == "readings.transpose(0, 2, 1)"


@check
def flip(x: Float[Array, "batch steps sensors"]) -> Float[Array, "batch steps sensors"]:
    return x.transpose(0, 2, 1)


@check
def split(x: Float[Array, "batch steps sensors"]
          ) -> tuple[Float[Array, "batch steps sensors"], Float[Array, "batch steps"]]:
    return x, x[:, :, 0][..., None]


def test_return_value_hint_uses_result() -> None:
    x = np.zeros((8, 1440, 3), dtype=np.float32)
    with dims(steps=1440, sensors=3):
        err = error_of(flip, x)
        assert (err.argument, err.kind) == ("return", "size")
        assert err.hint == "result.transpose(0, 2, 1)"
        result = x.transpose(0, 2, 1)
        assert check_shape(apply(err.hint, result=result), Float[Array, "batch steps sensors"],
                           batch=8) == {"batch": 8, "steps": 1440, "sensors": 3}


def test_tuple_element_hint_uses_result_index() -> None:
    x = np.zeros((8, 1440, 3), dtype=np.float32)
    err = error_of(split, x)
    assert (err.argument, err.kind) == ("return[1]", "rank")
    assert err.hint == "result[1].squeeze(2)"
    result = split.__wrapped__(x)
    assert apply(err.hint, result=result).shape == (8, 1440)


@check
def many(*readings: Float[Array, "machines steps sensors"]) -> None:
    return None


def test_variadic_parameter_hint_uses_its_name() -> None:
    # BUG: the argument is 'readings[0]', but the hint says 'x', a name not in the code
    readings = (np.zeros((144000, 3), dtype=np.float32),)
    with dims(steps=1440, sensors=3):
        err = error_of(many, *readings)
        assert err.argument == "readings[0]"
        assert err.hint == "readings[0].reshape(100, 1440, 3)"


def test_check_shape_hint_uses_value() -> None:
    err = error_of(check_shape, np.zeros((1440, 3)), "batch steps sensors", steps=1440,
                   sensors=3)
    assert err.hint == "value[None]"


# -- no hint where no one-line fix applies --------------------------------------------------------


@check
def six(x: Float[Array, "batch steps 6"]) -> None:
    return None


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_no_hint_for_a_wrong_feature_count(fw: str) -> None:
    x = make(fw, (8, 1440, 7))
    err = error_of(six, x)
    assert (err.kind, err.axis, err.axis_index, err.expected, err.actual) == ("size", 2, 2, 6, 7)
    assert err.origin == "the contract"
    assert err.hint is None
    assert "fix:" not in str(err)


def test_no_hint_for_an_unrelated_element_count() -> None:
    with dims(steps=1440, sensors=3):
        err = error_of(windows, np.zeros((1000, 3), dtype=np.float32))
        assert err.kind == "rank"
        assert err.hint is None  # 3000 elements are no whole number of (1440, 3) windows


# -- the first line of the message ----------------------------------------------------------------


def test_first_line_names_everything_for_a_size_error() -> None:
    readings = np.zeros((8, 1000, 3), dtype=np.float32)
    with dims(steps=1440, sensors=3):
        err = error_of(window, readings)
    first = str(err).splitlines()[0]
    assert err.origin.startswith("dims(steps=1440, sensors=3) at test_hints.py:")
    for part in ("window()", "'readings'", "axis 1", "'steps'", "is 1000", "must be 1440",
                 err.origin, err.hint, "fix: np.pad(readings, ((0, 0), (0, 440), (0, 0)))"):
        assert part in first, part
    assert first.endswith(f"fix: {err.hint}")


def test_first_line_names_everything_for_an_error_between_arguments() -> None:
    @check
    def pair(x: Float[Array, "batch steps sensors"], labels: Float[Array, "batch"]) -> None:
        return None

    err = error_of(pair, np.zeros((8, 10, 3), dtype=np.float32),
                   np.zeros((7,), dtype=np.float32))
    first = str(err).splitlines()[0]
    assert (err.function, err.argument, err.axis, err.expected, err.actual) == (
        "test_first_line_names_everything_for_an_error_between_arguments.pair", "labels",
        "batch", 8, 7)
    assert err.origin == "argument 'x' axis 0"
    for part in (f"{err.function}()", "'labels'", "'batch'", "is 7", "must be 8", err.origin):
        assert part in first, part


def test_first_line_names_everything_for_a_rank_error() -> None:
    readings = np.zeros((144000, 3), dtype=np.float32)
    with dims(steps=1440, sensors=3):
        err = error_of(window, readings)
    first = str(err).splitlines()[0]
    for part in ("window()", "'readings'", "has 2 axes", "(144000, 3)", "needs 3",
                 "(?, 1440, 3)", "fix: readings.reshape(100, 1440, 3)"):
        assert part in first, part


def test_first_line_names_everything_for_a_dtype_error() -> None:
    readings = np.zeros((8, 1440, 3), dtype=np.int64)
    err = error_of(window, readings)
    first = str(err).splitlines()[0]
    for part in ("window()", "'readings'", "int64", "Float", "fix: readings.astype(np.float32)"):
        assert part in first, part


# -- hints that must fix what they are offered for -----------------------------------------------


def test_permutation_hint_respects_repeated_names() -> None:
    # BUG: (4, 1, 3) is one size off "a 1 a"; no permutation fixes it, yet the hint swaps
    # axes 0 and 2, and the error for the swapped value suggests the same swap back.
    value = np.zeros((4, 1, 3))
    err = error_of(check_shape, value, "a 1 a")
    assert (err.axis_index, err.expected, err.actual) == (2, 4, 3)
    if err.hint is not None:
        check_shape(apply(err.hint, value=value), "a 1 a")


def test_squeeze_hint_respects_repeated_names() -> None:
    # BUG: (1, 3, 1, 1) is "c _ c" (c=1) with a size-1 axis added; the hint squeezes axis 0,
    # giving (3, 1, 1), where c is 3 and then 1. squeeze(2) or squeeze(3) would fix it.
    value = np.zeros((1, 3, 1, 1))
    err = error_of(check_shape, value, "c _ c")
    assert err.kind == "rank"
    assert err.hint is not None
    check_shape(apply(err.hint, value=value), "c _ c")


def test_new_axis_hint_respects_arithmetic_axes() -> None:
    # BUG: for "c 3 c+1" the hint adds a last axis of size 1, where c+1 is 5 once c is 4
    value = np.zeros((4, 3))
    err = error_of(check_shape, value, "c 3 c+1")
    assert err.kind == "rank"
    if err.hint is not None:
        check_shape(apply(err.hint, value=value), "c 3 c+1")

"""@check on functions: binding across arguments and the return value, and every attribute
of the error it raises."""

from __future__ import annotations

import inspect
import pickle
import re

import numpy as np
import pytest
from beartype.roar import BeartypeCallHintParamViolation, BeartypeCallHintReturnViolation

from shapecontract import Array, Float, Int, ShapeContractError, Shaped, check, dims


def arr(*shape: int, dtype: type = np.float32) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


@check
def pair(x: Float[Array, "batch time feat"], y: Float[Array, "batch 1"]
         ) -> Float[Array, "batch time feat"]:
    """Docstring kept."""
    return x


def test_consistent_call_returns_the_value_itself() -> None:
    x = arr(4, 5, 3)
    assert pair(x, arr(4, 1)) is x


def test_keeps_name_docstring_and_signature() -> None:
    assert pair.__name__ == "pair"
    assert pair.__doc__ == "Docstring kept."
    assert list(inspect.signature(pair).parameters) == ["x", "y"]
    assert inspect.signature(pair).parameters["x"].annotation is not inspect.Parameter.empty


def test_mismatch_across_arguments_names_everything() -> None:
    with pytest.raises(ShapeContractError) as info:
        pair(arr(4, 5, 3), arr(3, 1))
    err = info.value
    assert (err.kind, err.function, err.argument) == ("size", "pair", "y")
    assert (err.axis, err.axis_index, err.expected, err.actual) == ("batch", 0, 4, 3)
    assert err.origin == "argument 'x' axis 0"
    assert err.value == "float32[3, 1] (numpy)"
    assert err.contract == 'Float[Array, "batch 1"]'
    first = str(err).splitlines()[0]
    for part in ("pair()", "'y'", "axis 0", "'batch'", "is 3", "must be 4", "argument 'x'"):
        assert part in first
    assert isinstance(err, TypeError) and isinstance(err, ValueError)


def test_fixed_axis_origin_is_the_contract() -> None:
    with pytest.raises(ShapeContractError) as info:
        pair(arr(4, 5, 3), arr(4, 2))
    assert (info.value.axis, info.value.axis_index, info.value.expected) == (1, 1, 1)
    assert info.value.origin == "the contract"


def test_return_value_is_checked_against_argument_sizes() -> None:
    @check
    def shrink(x: Float[Array, "batch time feat"]) -> Float[Array, "batch time feat"]:
        return x[:, :-1]

    with pytest.raises(ShapeContractError) as info:
        shrink(arr(2, 5, 3))
    err = info.value
    assert (err.argument, err.axis, err.expected, err.actual) == ("return", "time", 5, 4)
    assert err.origin == "argument 'x' axis 1"
    assert str(err).split(".")[1].startswith("shrink() return value: axis 1 'time'")


def test_rank_error() -> None:
    with pytest.raises(ShapeContractError) as info:
        pair(arr(20, 3), arr(4, 1))
    assert (info.value.kind, info.value.expected, info.value.actual, info.value.axis) == (
        "rank", 3, 2, None)


def test_dtype_error() -> None:
    with pytest.raises(ShapeContractError) as info:
        pair(arr(4, 5, 3, dtype=np.int64), arr(4, 1))
    err = info.value
    assert (err.kind, err.expected, err.actual) == ("dtype", "Float", "int64")
    assert err.hint == "x.astype(np.float32)"


def test_non_array_says_what_was_passed() -> None:
    with pytest.raises(ShapeContractError) as info:
        pair([[1.0, 2.0]], arr(4, 1))  # type: ignore[arg-type]
    assert info.value.kind == "type"
    assert "a list of 1 list values" in str(info.value)
    for bad, words in ((3, "a Python int (3)"), (np.float64(1.0), "numpy.float64"),
                       ("abc", "builtins.str")):
        with pytest.raises(ShapeContractError, match=re.escape(words)):
            pair(bad, arr(4, 1))  # type: ignore[arg-type]


def test_tuple_return_checked_element_by_element() -> None:
    @check
    def split(x: Float[Array, "n d"]) -> tuple[Float[Array, "n d"], Int[Array, " n"]]:
        return x, np.zeros(len(x) + 1, dtype=np.int64)

    with pytest.raises(ShapeContractError) as info:
        split(arr(3, 2))
    assert (info.value.argument, info.value.axis, info.value.expected) == ("return[1]", "n", 3)


def test_tuple_return_of_wrong_length() -> None:
    @check
    def split(x: Float[Array, "n d"]) -> tuple[Float[Array, "n d"], Float[Array, "n d"]]:
        return (x,)  # type: ignore[return-value]

    with pytest.raises(ShapeContractError, match="tuple of 2"):
        split(arr(3, 2))


def test_mixed_tuple_return_plain_elements_go_to_beartype() -> None:
    @check
    def stats(x: Float[Array, "n d"], count: object) -> tuple[Float[Array, " d"], int]:
        return x.mean(axis=0), count  # type: ignore[return-value]

    for _ in range(2):  # the first call takes the slow path, the second the compiled one
        assert stats(arr(3, 2), 3)[1] == 3
    with pytest.raises(BeartypeCallHintReturnViolation):
        stats(arr(3, 2), "three")
    with pytest.raises(ShapeContractError) as info:
        stats(arr(3, 2)[:, :, None], 3)
    assert info.value.argument == "x"


def test_optional_array_none_is_skipped_but_checked_otherwise() -> None:
    @check
    def masked(x: Float[Array, "n d"], mask: Float[Array, " n"] | None = None,
               weights: Float[Array, " d"] | None = None) -> Float[Array, "n d"]:
        return x

    masked(arr(3, 2))
    masked(arr(3, 2), None, arr(2))
    with pytest.raises(ShapeContractError) as info:
        masked(arr(3, 2), arr(4))
    assert (info.value.argument, info.value.expected, info.value.actual) == ("mask", 3, 4)


def test_non_array_hints_checked_by_beartype() -> None:
    @check
    def window(x: Float[Array, "rows sensors"], *, steps: int, name: str | None = None
               ) -> Float[Array, "rows sensors"]:
        return x

    window(arr(2, 3), steps=4)
    with pytest.raises(BeartypeCallHintParamViolation):
        window(arr(2, 3), steps="4")  # type: ignore[arg-type]
    with pytest.raises(BeartypeCallHintParamViolation):
        window(arr(2, 3), steps=4, name=3)  # type: ignore[arg-type]


def test_methods_classmethods_staticmethods() -> None:
    class Model:
        @check
        def forward(self, x: Float[Array, "b f"]) -> Float[Array, "b f"]:
            return x

        @classmethod
        @check
        def build(cls, x: Float[Array, "b 3"]) -> int:
            return 1

        @check
        @classmethod
        def build_outer(cls, x: Float[Array, "b 3"]) -> int:
            return 2

        @check
        @staticmethod
        def helper(x: Float[Array, "b 3"]) -> Float[Array, "b 3"]:
            return x

    m = Model()
    m.forward(arr(2, 3))
    assert Model.build(arr(2, 3)) == 1 and Model.build_outer(arr(2, 3)) == 2
    Model.helper(arr(2, 3))
    for call in (lambda: Model.build(arr(2, 4)), lambda: Model.build_outer(arr(2, 4)),
                 lambda: m.helper(arr(2, 4))):
        with pytest.raises(ShapeContractError):
            call()
    with pytest.raises(ShapeContractError) as info:
        m.forward(arr(2, 3, 1))
    assert info.value.function == "test_methods_classmethods_staticmethods.Model.forward"


def test_var_positional_arrays_bind_across_elements() -> None:
    @check
    def stack(*xs: Float[Array, "n d"]) -> Float[Array, "k n d"]:
        return np.stack(xs)

    assert stack(arr(2, 3), arr(2, 3)).shape == (2, 2, 3)
    with pytest.raises(ShapeContractError) as info:
        stack(arr(2, 3), arr(2, 4))
    assert (info.value.argument, info.value.axis) == ("xs[1]", "d")


def test_positional_only_keyword_only_and_defaults() -> None:
    @check
    def f(a: Float[Array, " n"], /, b: Float[Array, " n"] | None = None, *,
          c: Float[Array, " n"], scale: float = 2.0) -> Float[Array, " n"]:
        return a * scale

    assert f(arr(3), c=arr(3))[0] == 0
    assert f(arr(3), arr(3), c=arr(3), scale=1.0).shape == (3,)
    with pytest.raises(ShapeContractError):
        f(arr(3), c=arr(4))
    with pytest.raises(TypeError, match="required keyword-only argument"):
        f(arr(3))  # type: ignore[call-arg]


def test_variadic_broadcast_and_arithmetic_axes() -> None:
    @check
    def join(a: Float[Array, "*batch n"], b: Float[Array, "*batch m"]
             ) -> Float[Array, "*batch n+m"]:
        return np.concatenate([a, b], axis=-1)

    assert join(arr(2, 5, 3), arr(2, 5, 4)).shape == (2, 5, 7)
    with pytest.raises(ShapeContractError) as info:
        join(arr(2, 5, 3), arr(2, 6, 4))
    assert info.value.axis == "*batch"

    @check
    def bad_join(a: Float[Array, " n"], b: Float[Array, " m"]) -> Float[Array, " n+m"]:
        return np.concatenate([a, b, b])

    with pytest.raises(ShapeContractError) as info:
        bad_join(arr(2), arr(3))
    assert (info.value.expected, info.value.actual) == (5, 8)
    assert "n=2" in str(info.value.origin) and "m=3" in str(info.value.origin)

    @check
    def scale(x: Float[Array, "n d"], w: Float[Array, "#n d"]) -> Float[Array, "n d"]:
        return x * w

    scale(arr(4, 3), arr(1, 3))
    scale(arr(4, 3), arr(4, 3))
    with pytest.raises(ShapeContractError):
        scale(arr(4, 3), arr(2, 3))


def test_square_and_anonymous_axes() -> None:
    @check
    def square(m: Shaped[Array, "n n"], extra: Shaped[Array, "_ _name 3"]) -> None:
        return None

    square(arr(3, 3), arr(5, 6, 3))
    with pytest.raises(ShapeContractError) as info:
        square(arr(3, 4), arr(5, 6, 3))
    assert (info.value.axis_index, info.value.expected, info.value.actual) == (1, 3, 4)


def test_unbound_arithmetic_name_is_a_clear_error() -> None:
    @check
    def f(x: Float[Array, " n+1"]) -> None:
        return None

    with pytest.raises(ShapeContractError) as info:
        f(arr(3))
    assert info.value.kind == "unbound"
    assert "n is bound by no argument and no dims() block" in str(info.value)
    assert info.value.hint == "with dims(n=...): ..."


def test_numpy_only_annotation_rejects_torch() -> None:
    torch = pytest.importorskip("torch")

    @check
    def f(x: Float[np.ndarray, " n"]) -> None:
        return None

    f(arr(3))
    with pytest.raises(ShapeContractError, match=r"numpy\.ndarray"):
        f(torch.zeros(3))


def test_async_functions_check_the_awaited_result() -> None:
    import asyncio

    @check
    async def fetch(x: Float[Array, " n"]) -> Float[Array, " n"]:
        return x[:-1]

    with pytest.raises(ShapeContractError) as info:
        asyncio.run(fetch(arr(3)))
    assert info.value.argument == "return"


def test_error_pickles_with_its_attributes() -> None:
    with pytest.raises(ShapeContractError) as info:
        pair(arr(4, 5, 3), arr(3, 1))
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.argument, copy.expected, copy.actual, str(copy)) == (
        "y", 4, 3, str(info.value))


def test_error_rebuilt_from_its_message_alone_keeps_the_text() -> None:
    # How a DataLoader worker's error reaches the main process: exc_type(message).
    error = ShapeContractError("pad_collate() argument 'sample[3]': axis 1 is 7 but must be 6")
    assert str(error) == "pad_collate() argument 'sample[3]': axis 1 is 7 but must be 6"
    assert error.kind == "" and error.argument is None


def test_traceback_ends_at_the_checked_call() -> None:
    import traceback

    import shapecontract

    with pytest.raises(ShapeContractError) as info:
        pair(arr(4, 5, 3), arr(3, 1))
    assert info.value.__cause__ is None and info.value.__context__ is None
    package = shapecontract.__file__.rsplit("/", 1)[0]
    frames = traceback.extract_tb(info.value.__traceback__)
    assert not any(f.filename.startswith(package) for f in frames)
    assert frames[-1].filename == "<@check of test_check.pair>"
    assert "".join(traceback.format_exception_only(info.value)).startswith(
        "shapecontract.ShapeContractError: pair() argument 'y'")


def test_hint_respects_sizes_bound_by_later_arguments() -> None:
    @check
    def fit(x: Float[Array, "batch steps sensors"], labels: Float[Array, " batch"]) -> None:
        return None

    # x[None] would make batch 1, which the labels (8) contradict: no hint beats a wrong one.
    with pytest.raises(ShapeContractError) as info:
        fit(arr(1440, 3), arr(8))
    assert info.value.hint is None
    assert "needs 3 (8, ?, ?)" in str(info.value)
    with pytest.raises(ShapeContractError) as info:
        fit(arr(8 * 1440, 3), arr(8))
    assert info.value.hint is None  # steps and sensors unknown: no single reshape
    with pytest.raises(ShapeContractError) as info, dims(steps=1440):
        fit(arr(8 * 1440, 3), arr(8))
    assert info.value.hint == "x.reshape(8, 1440, 3)"


def test_flattened_x_and_labels_the_reshape_the_fixed_sizes_allow_and_the_labels_follow() -> None:
    @check
    def fit(x: Float[Array, "batch steps sensors"], labels: Float[Array, "batch 1"]) -> None:
        return None

    # Labels flattened like x set batch=8*1440: no reshape of x meets it, but the one that
    # dims() fixes (steps=1440, sensors=3) does, once the labels follow.
    with pytest.raises(ShapeContractError) as info, dims(steps=1440, sensors=3):
        fit(arr(8 * 1440, 3), arr(8 * 1440, 1))
    assert info.value.hint == ("x.reshape(8, 1440, 3), then change what set batch=11520 "
                               "(argument 'labels' axis 0) to agree")
    # Without fixed sizes a split is a guess, never offered; nor is merging axes (labels with
    # a time axis folded into rows).
    with pytest.raises(ShapeContractError) as info:
        fit(arr(8 * 1440, 3), arr(8 * 1440, 1))
    assert "reshape" not in str(info.value.hint)
    with pytest.raises(ShapeContractError) as info:
        fit(arr(8, 20, 3), arr(8, 20, 1))
    assert info.value.hint is None

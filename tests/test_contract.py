"""Contracts: parsing, roles, shape(), and malformed contracts."""

from __future__ import annotations

import jaxtyping
import numpy as np
import pytest

from shapecontract import (
    Array,
    Contract,
    ContractSyntaxError,
    Float,
    Int,
    ShapeContractError,
    Shaped,
    check,
)


def test_annotation_is_a_real_jaxtyping_annotation() -> None:
    hint = Float[Array, "batch time feat"]
    assert issubclass(hint, jaxtyping.AbstractArray)
    assert hint.dim_str == "batch time feat"
    assert issubclass(Float, jaxtyping.Float)
    # jaxtyping's own isinstance still works with our Array type
    assert isinstance(np.zeros((2, 3, 4), dtype=np.float32), hint)
    assert not isinstance(np.zeros((2, 3, 4), dtype=np.int32), hint)


def test_roles_from_names_and_positions() -> None:
    c = Contract.of(Float[Array, "batch time feat"])
    assert (c.batch, c.time, c.feature) == (0, 1, 2)
    c = Contract.of("time batch feat")
    assert (c.batch, c.time, c.feature) == (1, 0, 2)
    c = Contract.of("machines steps sensors")
    assert (c.batch, c.time, c.feature) == (0, 1, 2)
    c = Contract.of("n 6")
    assert (c.batch, c.time, c.feature) == (0, None, 1)
    # Channels-first: a time axis named as such stays time even last; features are the rest.
    c = Contract.of("batch feat time")
    assert (c.batch, c.time, c.feature) == (0, 2, 1)
    c = Contract.of("batch time")  # a batch of token ids: the last axis is not time here
    assert (c.batch, c.time, c.feature) == (0, None, 1)
    c = Contract.of("a b c").__class__.of("a b c", batch="b", time="a")
    assert (c.batch, c.time, c.feature) == (1, 0, 2)
    with pytest.raises(ValueError, match="no axis called 'x'"):
        Contract.of("a b c", batch="x")


def test_shape_and_text() -> None:
    c = Contract.of(Float[Array, "batch time feat"])
    assert c.shape(time=1440, feat=3) == (None, 1440, 3)
    assert Contract.of("n 2*n _ rows=4").shape(n=3) == (3, 6, None, 4)
    assert Contract.of("*b n").shape(b=(2, 3), n=4) == (2, 3, 4)
    with pytest.raises(ValueError, match="variadic axis"):
        Contract.of("... n").shape(n=4)
    assert str(c) == 'Float[Array, "batch time feat"]'
    assert "batch='batch'" in repr(c)
    assert c.rank == 3 and Contract.of("... n").rank is None
    assert c.names == ("batch", "time", "feat")
    assert Contract.of(Int[Array, "n"]).preferred_dtype() == "int64"
    assert Contract.of(Shaped[Array, "n"]).dtypes is None
    assert Contract.of(c) is c
    with pytest.raises(TypeError, match="jaxtyping annotation"):
        Contract.of(42)


@pytest.mark.parametrize(
    ("dims", "token", "reason"),
    [
        ("batch, time", "batch,", "spaces, not commas"),
        ("*a *b", "*b", "only one variadic"),
        ("a ... b ...", "...", "only one variadic"),
        ("time-", "time-", "not a name, a size or arithmetic"),
        ("feat!", "feat!", "not a name, a size or arithmetic"),
        ("n+1.5", "n+1.5", "integer constants"),
        ("f(n)", "f(n)", "min(), max() and abs()"),
        ("**a", "**a", "'*' may appear only once"),
        ("#_", "#_", "anonymous axis cannot be broadcastable"),
        ("a#", "a#", "'#' at the front"),
        ("*4", "*4", "cannot be variadic"),
        ("{n}", "{n}", "references are not supported"),
        ("1+2", "1+2", "constants alone"),
        ("?a", "?a", "PyTree"),
    ],
)
def test_malformed_contract_names_the_token(dims: str, token: str, reason: str) -> None:
    with pytest.raises(ContractSyntaxError) as info:
        Contract.of(dims)
    assert info.value.token == token
    assert reason in str(info.value)


def test_malformed_contract_names_the_function_where_it_is_written() -> None:
    with pytest.raises(ContractSyntaxError) as info:

        @check
        def window(x: Float[Array, "rows time-"]) -> None:
            return None

    # Named from the source line at the annotation, or (string annotations) at decoration.
    assert str(info.value.function).endswith("window")
    assert 'window(), "rows time-": token' in str(info.value)
    assert isinstance(info.value, ValueError)


def test_malformed_string_annotation_fails_at_decoration() -> None:
    def window(x: 'Float[Array, "rows **time"]') -> None:
        return None

    with pytest.raises(ContractSyntaxError) as info:
        check(window)
    assert str(info.value.function).endswith("window") and info.value.token == "**time"


def test_union_of_different_contracts_is_refused_at_decoration() -> None:
    with pytest.raises(ContractSyntaxError, match="union of different contracts"):

        @check
        def f(x: Float[Array, "a b"] | Float[Array, " a"]) -> None:
            return None


def test_union_of_array_types_with_one_contract() -> None:
    torch = pytest.importorskip("torch")

    @check
    def f(x: Float[np.ndarray | torch.Tensor, "n 3"]) -> None:
        return None

    f(np.zeros((2, 3)))
    f(torch.zeros(2, 3))


def test_size_names_include_names_only_arithmetic_uses() -> None:
    c = Contract.of("batch time sensors+sites")
    assert c.names == ("batch", "time")
    assert c.size_names == ("batch", "time", "sensors", "sites")


def test_a_contract_names_its_array_type_as_the_annotation_wrote_it() -> None:
    assert str(Contract.of(Float[np.ndarray, "batch feat"])) == 'Float[np.ndarray, "batch feat"]'
    assert str(Contract.of(Float[Array, "batch feat"])) == 'Float[Array, "batch feat"]'
    assert str(Contract.of(Float[jaxtyping.Array, "batch feat"])) == 'Float[Array, "batch feat"]'
    # The same contract: only its name for the array type differs.
    assert Contract.of(Float[np.ndarray, "batch feat"]) == Contract.of(Float[Array, "batch feat"])
    kept = Contract.of(Float[np.ndarray, "t b f"], batch="b")
    assert (str(kept), kept.batch) == ('Float[np.ndarray, "t b f"]', 1)

    @check
    def scale(x: Float[np.ndarray, "batch feat"]) -> None:
        return None

    with pytest.raises(ShapeContractError) as info:
        scale(np.zeros(3))
    assert 'contract: x: Float[np.ndarray, "batch feat"]' in str(info.value)

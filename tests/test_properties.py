"""Property tests: random contracts, consistent shapes, and single-axis breakages.

A generated case is a pair of contracts (for the two arguments of a checked function, or a
single one for check_shape) built from named axes over a small pool of names (so names
repeat), fixed sizes, ``_``, at most one variadic axis (``*rest`` or ``...``), broadcastable
axes (``#a``, ``#3``) and arithmetic axes over names that appear as plain named axes. The
sizes are drawn first and the shapes built from them, so every generated shape is
consistent; the properties then break exactly one thing and check the error says exactly
that.

Arrays are ``np.broadcast_to(np.float32(0), shape)``: real float32 ndarrays of any shape
that take no memory, so large products of sizes cost nothing.
"""

import re
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shapecontract import Array, Contract, Float, ShapeContractError, check, check_shape

POOL = ("a", "b", "c", "d")
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def arr(shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(np.float32(0), shape)


# -- the model of a generated case ---------------------------------------------------------------


@dataclass(frozen=True)
class Ax:
    """One generated axis: ``kind`` as in shapecontract._grammar.Axis."""

    kind: str  # named, fixed, any, variadic, expr
    token: str
    name: str | None = None  # named: the name; variadic: "rest" or None for "..."
    size: int | None = None  # fixed: the size
    broadcast: bool = False
    expr: str | None = None

    def want(self, sizes: dict[str, int]) -> int | None:
        """The full size this axis asks for (None for '_')."""
        if self.kind == "named":
            return sizes[self.name]
        if self.kind == "fixed":
            return self.size
        if self.kind == "expr":
            return int(eval(self.expr, {"__builtins__": {}, "max": max}, dict(sizes)))
        return None


@dataclass(frozen=True)
class Case:
    """Contracts, one per argument, the sizes drawn and the consistent shapes built."""

    contracts: tuple[tuple[Ax, ...], ...]
    sizes: dict[str, int]
    rest: tuple[int, ...]  # the sizes of '*rest'
    shapes: tuple[tuple[int, ...], ...]
    # per argument: (contract position, shape index) of each axis that is not variadic
    positions: tuple[tuple[tuple[int, int], ...], ...]

    def dims(self, k: int) -> str:
        return " ".join(ax.token for ax in self.contracts[k])

    def names(self, k: int) -> list[str]:
        """The names contract k binds (Contract.names), in order of first appearance."""
        out: list[str] = []
        for ax in self.contracts[k]:
            if ax.kind in ("named", "variadic") and ax.name and ax.name not in out:
                out.append(ax.name)
        return out


EXPRS = ("{a}+1", "{a}*{b}", "{a}+{b}", "2*{a}", "max({a},{b})")


@st.composite
def axis_kinds(draw: st.DrawFn, n_args: int) -> list[list[Ax]]:
    """Each argument's axes, with arithmetic axes left as placeholders (kind 'expr', no text)."""
    out = []
    for _ in range(n_args):
        axes: list[Ax] = []
        for _ in range(draw(st.integers(1, 5))):
            kind = draw(st.sampled_from(["named", "named", "named", "fixed", "any", "expr"]))
            if kind == "named":
                name = draw(st.sampled_from(POOL))
                broadcast = draw(st.integers(0, 5)) == 0
                axes.append(Ax("named", ("#" if broadcast else "") + name, name=name,
                               broadcast=broadcast))
            elif kind == "fixed":
                size = draw(st.integers(1, 6))
                broadcast = draw(st.integers(0, 5)) == 0
                axes.append(Ax("fixed", ("#" if broadcast else "") + str(size), size=size,
                               broadcast=broadcast))
            elif kind == "any":
                axes.append(Ax("any", draw(st.sampled_from(["_", "_skip"]))))
            else:
                axes.append(Ax("expr", ""))
        variadic = draw(st.sampled_from([None, None, "*rest", "..."]))
        if variadic is not None:
            at = draw(st.integers(0, len(axes)))
            axes.insert(at, Ax("variadic", variadic, name="rest" if variadic == "*rest" else None))
        out.append(axes)
    return out


@st.composite
def cases(draw: st.DrawFn, n_args: int = 2, self_contained: bool = False,
          fixed_rank: bool = False) -> Case:
    """A consistent case. ``self_contained``: arithmetic only over the same contract's names."""
    drafts = draw(axis_kinds(n_args))
    if fixed_rank:
        drafts = [[ax for ax in axes if ax.kind != "variadic"] for axes in drafts]
    plain_all = sorted({ax.name for axes in drafts for ax in axes
                        if ax.kind == "named" and not ax.broadcast})
    contracts = []
    for axes in drafts:
        plain = sorted({ax.name for ax in axes if ax.kind == "named" and not ax.broadcast})
        usable = plain if self_contained else plain_all
        filled = []
        for ax in axes:
            if ax.kind == "expr":
                if not usable:  # nothing to compute with: a named axis instead
                    name = draw(st.sampled_from(POOL))
                    filled.append(Ax("named", name, name=name))
                    continue
                form = draw(st.sampled_from(EXPRS))
                a, b = draw(st.sampled_from(usable)), draw(st.sampled_from(usable))
                text = form.format(a=a, b=b)
                filled.append(Ax("expr", text, expr=text))
            else:
                filled.append(ax)
        contracts.append(tuple(filled))

    sizes = {name: draw(st.integers(1, 6)) for name in POOL}
    rest = tuple(draw(st.lists(st.integers(1, 6), max_size=2)))
    shapes, positions = [], []
    for axes in contracts:
        shape: list[int] = []
        where: list[tuple[int, int]] = []
        for i, ax in enumerate(axes):
            if ax.kind == "variadic":
                group = rest if ax.name == "rest" else tuple(
                    draw(st.lists(st.integers(1, 6), max_size=2)))
                shape.extend(group)
                continue
            where.append((i, len(shape)))
            if ax.kind == "any":
                shape.append(draw(st.integers(0, 6)))
            elif ax.broadcast and draw(st.booleans()):
                shape.append(1)
            else:
                shape.append(ax.want(sizes))
        shapes.append(tuple(shape))
        positions.append(tuple(where))
    return Case(tuple(contracts), sizes, rest, tuple(shapes), tuple(positions))


def bound_names(case: Case, ks: tuple[int, ...]) -> dict[str, object]:
    """The sizes a check of arguments ``ks`` binds: a named axis binds unless it is a '#name'
    axis of size 1; '*rest' binds its group."""
    out: dict[str, object] = {}
    for k in ks:
        axes = case.contracts[k]
        for (i, j) in case.positions[k]:
            ax = axes[i]
            if ax.kind == "named" and not (ax.broadcast and case.shapes[k][j] == 1):
                out[ax.name] = case.sizes[ax.name]
        if any(ax.kind == "variadic" and ax.name == "rest" for ax in axes):
            out["rest"] = case.rest
    return out


def checked_pair(case: Case):
    """A checked function of two arguments whose contracts are the case's two."""
    x_hint = Float[Array, case.dims(0)]
    y_hint = Float[Array, case.dims(1)]

    def f(x: x_hint, y: y_hint) -> None:
        return None

    return check(f)


# -- property 1: consistent shapes pass ----------------------------------------------------------


@SETTINGS
@given(cases())
def test_consistent_pair_passes(case: Case) -> None:
    f = checked_pair(case)
    x, y = arr(case.shapes[0]), arr(case.shapes[1])
    assert f(x, y) is None
    assert f(x, y) is None  # a second call goes through the compiled fast path


@SETTINGS
@given(cases(n_args=1, self_contained=True))
def test_consistent_single_passes_and_returns_the_sizes(case: Case) -> None:
    got = check_shape(arr(case.shapes[0]), Float[Array, case.dims(0)])
    want = {n: s for n, s in bound_names(case, (0,)).items() if n in case.names(0)}
    assert got == want


@SETTINGS
@given(cases(n_args=1))
def test_consistent_single_with_sizes_given_returns_them(case: Case) -> None:
    # Every name given by hand, so arithmetic over names of no axis here still checks.
    given_sizes = dict(case.sizes, rest=case.rest)
    got = check_shape(arr(case.shapes[0]), case.dims(0), **given_sizes)
    assert got == {n: given_sizes[n] for n in case.names(0)}


# -- property 2: one axis changed is named exactly -----------------------------------------------


def _changeable(case: Case, prebound: bool) -> list[tuple[int, int, Ax, int]]:
    """(argument, shape index, axis, expected size) of every axis whose change is reported
    exactly there: fixed and arithmetic axes, and named axes whose name an earlier axis (in
    checking order) has already bound, or every named axis when the sizes are given."""
    out = []
    bound: set[str] = set()
    for k, axes in enumerate(case.contracts):
        for i, j in case.positions[k]:
            ax = axes[i]
            if ax.kind in ("fixed", "expr"):
                out.append((k, j, ax, ax.want(case.sizes)))
            elif ax.kind == "named":
                if prebound or ax.name in bound:
                    out.append((k, j, ax, case.sizes[ax.name]))
                if not (ax.broadcast and case.shapes[k][j] == 1):
                    bound.add(ax.name)
    return out


def _break(case: Case, data: st.DataObject, prebound: bool
           ) -> tuple[int, int, Ax, int, int, list[tuple[int, ...]]]:
    spots = _changeable(case, prebound)
    assume(spots)
    k, j, ax, want = data.draw(st.sampled_from(spots), label="changed axis")
    bad = {want} | ({1} if ax.broadcast else set())
    new = data.draw(st.integers(0, 8).filter(lambda v: v not in bad), label="new size")
    shapes = [list(s) for s in case.shapes]
    shapes[k][j] = new
    return k, j, ax, want, new, [tuple(s) for s in shapes]


def _expected_axis(ax: Ax, j: int) -> object:
    return j if ax.kind == "fixed" else (ax.name if ax.kind == "named" else ax.token)


@SETTINGS
@given(cases(), st.data())
def test_one_changed_axis_is_named_exactly(case: Case, data: st.DataObject) -> None:
    k, j, ax, want, new, shapes = _break(case, data, prebound=False)
    f = checked_pair(case)
    with pytest.raises(ShapeContractError) as info:
        f(arr(shapes[0]), arr(shapes[1]))
    err = info.value
    assert (err.kind, err.function, err.argument) == ("size", "checked_pair.f", "xy"[k])
    assert (err.axis_index, err.axis) == (j, _expected_axis(ax, j))
    assert (err.expected, err.actual) == (want, new)
    # the fast path, warmed by a consistent call, sends the bad call to the same diagnosis
    assert f(arr(case.shapes[0]), arr(case.shapes[1])) is None
    with pytest.raises(ShapeContractError) as again:
        f(arr(shapes[0]), arr(shapes[1]))
    assert (again.value.argument, again.value.axis_index) == ("xy"[k], j)


@SETTINGS
@given(cases(n_args=1), st.data())
def test_one_changed_axis_with_sizes_given(case: Case, data: st.DataObject) -> None:
    _, j, ax, want, new, shapes = _break(case, data, prebound=True)
    with pytest.raises(ShapeContractError) as info:
        check_shape(arr(shapes[0]), case.dims(0), **case.sizes, rest=case.rest)
    err = info.value
    assert (err.kind, err.function, err.argument) == ("size", "check_shape", "value")
    assert (err.axis_index, err.axis) == (j, _expected_axis(ax, j))
    assert (err.expected, err.actual) == (want, new)
    if ax.kind == "named":
        assert err.origin == f"{ax.name}={want} passed to check_shape"


# -- property 3: a dropped or added axis is a rank error -----------------------------------------


@SETTINGS
@given(cases(fixed_rank=True), st.data())
def test_rank_change_is_a_rank_error(case: Case, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, 1), label="argument")
    shape = list(case.shapes[k])
    if data.draw(st.booleans(), label="drop") and shape:
        del shape[data.draw(st.integers(0, len(shape) - 1), label="dropped")]
    else:
        shape.insert(data.draw(st.integers(0, len(shape)), label="at"),
                     data.draw(st.integers(1, 6), label="size"))
    shapes = list(case.shapes)
    shapes[k] = tuple(shape)
    with pytest.raises(ShapeContractError) as info:
        checked_pair(case)(arr(shapes[0]), arr(shapes[1]))
    err = info.value
    assert (err.kind, err.argument) == ("rank", "xy"[k])
    assert (err.expected, err.actual) == (len(case.contracts[k]), len(shape))
    assert (err.axis, err.axis_index) == (None, None)


@SETTINGS
@given(cases(n_args=1), st.data())
def test_too_few_axes_for_a_variadic_contract(case: Case, data: st.DataObject) -> None:
    axes = case.contracts[0]
    assume(any(ax.kind == "variadic" for ax in axes) and len(axes) > 1)
    # the shape of the other axes alone (the variadic axis covering nothing), less one axis
    shape = [case.shapes[0][j] for _, j in case.positions[0]]
    del shape[data.draw(st.integers(0, len(shape) - 1), label="dropped")]
    with pytest.raises(ShapeContractError) as info:
        check_shape(arr(tuple(shape)), case.dims(0))
    err = info.value
    assert (err.kind, err.argument) == ("rank", "value")
    assert (err.expected, err.actual) == (f"at least {len(axes) - 1}", len(shape))


# -- property 4: Contract.shape() gives back the shape -------------------------------------------


@SETTINGS
@given(cases(n_args=1, fixed_rank=True))
def test_contract_shape_gives_the_full_shape(case: Case) -> None:
    contract = Contract.of(Float[Array, case.dims(0)])
    want = tuple(ax.want(case.sizes) for ax in case.contracts[0])
    assert contract.shape(**case.sizes) == want
    # and the shape built from the same sizes matches it wherever the contract names a size
    for got, full, ax in zip(case.shapes[0], want, case.contracts[0]):
        if full is not None:
            assert got == full or (ax.broadcast and got == 1)


@SETTINGS
@given(cases(n_args=1))
def test_contract_shape_expands_a_named_variadic(case: Case) -> None:
    axes = case.contracts[0]
    assume(not any(ax.kind == "variadic" and ax.name is None for ax in axes))
    want: list[int | None] = []
    for ax in axes:
        if ax.kind == "variadic":
            want.extend(case.rest)
        else:
            want.append(ax.want(case.sizes))
    contract = Contract.of(case.dims(0))
    assert contract.shape(**case.sizes, rest=case.rest) == tuple(want)
    variadic = any(ax.kind == "variadic" for ax in axes)
    assert contract.rank == (None if variadic else len(axes))


# -- property 5: a hint offered as one line of code fixes the value ------------------------------


@SETTINGS
@given(cases(n_args=1, self_contained=True), st.data())
def test_an_offered_hint_fixes_the_value(case: Case, data: st.DataObject) -> None:
    """A value one change away from fitting (one axis resized, a size-1 axis added, an axis
    dropped): where the error offers a single line of code, running it gives a value that
    fits. A hint with alternatives (' or ') is not run."""
    shape = list(case.shapes[0])
    mode = data.draw(st.sampled_from(["resize", "add", "drop"]), label="mode")
    if mode == "resize":
        shape = list(_break(case, data, prebound=False)[-1][0])
    elif mode == "add":
        shape.insert(data.draw(st.integers(0, len(shape)), label="at"), 1)
    else:
        assume(shape)
        del shape[data.draw(st.integers(0, len(shape) - 1), label="dropped")]
    value = arr(tuple(shape))
    try:
        check_shape(value, case.dims(0))
    except ShapeContractError as error:
        err = error
    else:
        return  # a variadic axis took the change
    if err.hint is None or " or " in err.hint:
        return
    text = re.sub(r" \([a-z][^()]*\)$", "", err.hint)  # less a trailing remark
    fixed = eval(text, {"np": np, "value": value})
    check_shape(fixed, case.dims(0))

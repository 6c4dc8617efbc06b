"""The reference check: values against contracts, with every rule and every diagnosis.

The compiled fast path (``_compile``) handles the common case in a few comparisons and
hands anything unusual here: unknown (None) sizes, unknown ranks, types or dtypes not seen
before, and every failure. This module is therefore the one source of truth: when the two
disagree, this one is right, and the fast path only ever passes what this one passes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import _hints
from ._array import describe, dtype_name, is_array, shape_of
from ._contract import Contract
from ._dims import CURRENT
from ._errors import ShapeContractError
from ._grammar import Axis, evaluate


@dataclass(frozen=True)
class Slot:
    """One checked place: a parameter, ``*args``/``**kwargs``, the return value or a part of it."""

    argument: str
    contract: Contract
    optional: bool = False
    many: bool = False  # *args / **kwargs: the value is a tuple or dict of arrays
    array_types: tuple[type, ...] | None = None  # Float[np.ndarray, ...] admits numpy only
    position: int | None = None  # the element of a returned tuple this slot checks


class Bindings:
    """Sizes bound so far in one check, and where each came from."""

    __slots__ = ("origins", "sizes")

    def __init__(self) -> None:
        self.sizes: dict[str, Any] = {}
        self.origins: dict[str, str] = {}

    @classmethod
    def start(cls, extra: dict[str, Any] | None = None, extra_origin: str = "") -> Bindings:
        """Bindings seeded from the current dims() scope and any sizes given by hand."""
        out = cls()
        scope = CURRENT.get()
        if scope is not None:
            for name, cell in scope.cells.items():
                if cell.value is not None:
                    out.sizes[name] = cell.value
                    out.origins[name] = cell.origin
        for name, size in (extra or {}).items():
            if name in out.sizes and out.sizes[name] != size:
                raise _error(
                    "dims", extra_origin or "check_shape", name, name, None, out.sizes[name],
                    size, out.origins[name], None, None, None,
                    f"{name}={size!r} was passed, but {name}={out.sizes[name]!r} holds here "
                    f"(set by {out.origins[name]})",
                )
            out.sizes[name] = size
            out.origins.setdefault(name, f"{name}={size!r} passed to {extra_origin}")
        return out

    def copy(self) -> Bindings:
        out = Bindings()
        out.sizes = dict(self.sizes)
        out.origins = dict(self.origins)
        return out


def check_slots(function: str, slots: Iterable[tuple[Slot, Any]], bindings: Bindings) -> Bindings:
    """Check each value against its slot, binding sizes across all of them; raise on failure."""
    items = [(label, slot, item) for slot, value in slots for label, item in _expand(slot, value)
             if not (item is None and (slot.optional or slot.many))]
    start = bindings.copy()

    def others(skip: str) -> Bindings:
        # For a fix hint, on failure only: the sizes every other value binds, later ones too,
        # so a hint never fixes one argument into a clash with the next.
        out = start.copy()
        for label, slot, item in items:
            shape = shape_of(item) if label != skip and is_array(item) else None
            if shape is not None and _rank_fits(slot.contract, len(shape)):
                bind_shape(slot.contract, shape, out, _origin(function, label))
        return out

    deferred: list[tuple[str, Contract, Any, int, Axis, int]] = []
    for label, slot, item in items:
        if slot.array_types is not None and not isinstance(item, slot.array_types):
            raise _type_error(function, label, slot.contract, item, others(label),
                              slot.array_types)
        _check_value(function, label, slot.contract, item, bindings, deferred,
                     functools.partial(others, label), start)
    for label, contract, value, index, axis, size in deferred:
        _check_expr(function, label, contract, value, index, axis, size, bindings)
    return bindings


def _expand(slot: Slot, value: Any) -> Iterable[tuple[str, Any]]:
    if not slot.many:
        return [(slot.argument, value)]
    if isinstance(value, dict):
        return [(f"{slot.argument}[{k!r}]", v) for k, v in value.items()]
    return [(f"{slot.argument}[{i}]", v) for i, v in enumerate(value)]


def _check_value(function: str, label: str, contract: Contract, value: Any,
                 bindings: Bindings, deferred: list[Any], context: Callable[[], Bindings],
                 preset: Bindings) -> None:
    """Check one value; ``context`` gives, on failure only, the sizes its hint must respect,
    and ``preset`` those bound before any value of this call (dims(), a model, by hand)."""
    if not is_array(value):
        raise _type_error(function, label, contract, value, context())
    shape = shape_of(value)
    if shape is not None:
        if not _rank_fits(contract, len(shape)):
            raise _rank_error(function, label, contract, value, shape, context(), preset)
        exprs: list[tuple[int, Axis, Any]] = []
        conflict = bind_shape(contract, shape, bindings, _origin(function, label), exprs)
        if conflict is not None:
            raise _size_error(function, label, contract, value, conflict, context())
        deferred.extend((label, contract, value, *e) for e in exprs)
    name = dtype_name(value)
    if contract.accepts_dtype(name):
        contract.accept_dtype(value.dtype)
    else:
        raise _dtype_error(function, label, contract, value, name)


def _rank_fits(contract: Contract, rank: int) -> bool:
    n = len(contract.axes)
    return rank == n if contract.variadic_index is None else rank >= n - 1


def _rank_error(function: str, label: str, contract: Contract, value: Any,
                shape: tuple[int | None, ...], context: Bindings,
                preset: Bindings) -> ShapeContractError:
    n = len(contract.axes)
    variadic = contract.variadic_index is not None
    needs = f"at least {n - 1}" if variadic else f"{n}"
    hint = None
    if not variadic:
        roles = {i: r for i in range(n) if (r := contract.role_of(i))}
        hint = _hints.rank_hint(value, _var(label), _expected_shape(contract, context), roles,
                                _fits(contract, context))
        if hint is None:
            hint = _reshape_past_others(label, contract, value, context, preset)
    axes = "axis" if len(shape) == 1 else "axes"
    return _error(
        "rank", function, label, None, None, needs if variadic else n,
        len(shape), None, hint, value, contract,
        f"{_where(function, label)} has {len(shape)} {axes} {_shape_text(shape)} but its contract "
        f'"{contract.dims}" needs {needs}{_known_sizes(contract, context)}; got {describe(value)}',
    )


def _reshape_past_others(label: str, contract: Contract, value: Any, context: Bindings,
                         preset: Bindings) -> str | None:
    """The reshape that works once the other arguments follow it, when sizes they set rule
    out every fix: labels flattened like x (one per step) set the batch to x's row count.
    Only a reshape that splits a flattened axis by the sizes a model or dims() fixed: adding
    an axis would guess at what x is, and merging one (labels with a time axis into batch
    rows) is rarely the fix."""
    shape = shape_of(value)
    if shape is None or len(shape) >= len(contract.axes):
        return None
    others = {name: origin for name, origin in context.origins.items()
              if name in contract.size_names and name not in preset.sizes}
    if not others:
        return None
    loose = context.copy()
    for name in others:
        del loose.sizes[name], loose.origins[name]
    hint = _hints.reshape_hint(value, _var(label), _expected_shape(contract, loose),
                               _fits(contract, loose))
    if hint is None:
        return None
    set_by = ", ".join(f"{name}={context.sizes[name]} ({origin})"
                       for name, origin in others.items())
    return f"{hint}, then change what set {set_by} to agree"


def _align(contract: Contract, shape: tuple[int | None, ...]) -> Iterable[tuple[int, Axis, Any]]:
    """Pair each axis with the size (or, for a variadic axis, the sizes) it covers."""
    axes = contract.axes
    v = contract.variadic_index
    if v is None:
        return [(i, axis, shape[i]) for i, axis in enumerate(axes)]
    tail = len(axes) - v - 1
    out: list[tuple[int, Axis, Any]] = [(i, axes[i], shape[i]) for i in range(v)]
    out.append((v, axes[v], tuple(shape[v:len(shape) - tail])))
    offset = len(shape) - len(axes)
    out.extend((i + offset, axes[i], shape[i + offset]) for i in range(v + 1, len(axes)))
    return out


@dataclass(frozen=True)
class Conflict:
    """The first axis of a shape that disagrees with its contract and the sizes bound."""

    index: int
    axis: Axis
    expected: Any
    actual: Any
    origin: str


def bind_shape(contract: Contract, shape: tuple[int | None, ...], bindings: Bindings,
               origin: Callable[[int], str],
               exprs: list[tuple[int, Axis, Any]] | None = None) -> Conflict | None:
    """Bind a shape's sizes into ``bindings``; the first conflict, or None.

    Arithmetic axes go to ``exprs`` when given (a later argument may bind their names);
    without it they are checked here, and skipped where a name is still unbound.
    """
    own: list[tuple[int, Axis, Any]] = []
    for index, axis, size in _align(contract, shape):
        if axis.kind == "expr":
            own.append((index, axis, size))
            continue
        conflict = _bind_axis(index, axis, size, bindings, origin)
        if conflict is not None:
            return conflict
    if exprs is not None:
        exprs.extend(own)
        return None
    for index, axis, size in own:
        try:
            conflict = _expr_conflict(index, axis, size, bindings)
        except KeyError:
            continue
        if conflict is not None:
            return conflict
    return None


def _bind_axis(index: int, axis: Axis, size: Any, bindings: Bindings,
               origin: Callable[[int], str]) -> Conflict | None:
    if axis.kind == "any" or (axis.kind == "variadic" and axis.name is None):
        return None
    if axis.kind == "variadic":
        return _bind_variadic(index, axis, size, bindings, origin)
    if size is None or (axis.broadcast and size == 1):
        return None  # an unknown size (symbolic tensor) binds nothing and never fails
    if axis.kind == "fixed":
        return None if size == axis.size else Conflict(index, axis, axis.size, size,
                                                       "the contract")
    name = axis.name or ""
    bound = bindings.sizes.get(name)
    if bound is None:
        bindings.sizes[name] = size
        bindings.origins[name] = origin(index)
        return None
    return None if bound == size else Conflict(index, axis, bound, size, bindings.origins[name])


def _bind_variadic(index: int, axis: Axis, sizes: tuple[int | None, ...], bindings: Bindings,
                   origin: Callable[[int], str]) -> Conflict | None:
    name = axis.name or ""
    bound = bindings.sizes.get(name)
    if bound is None:
        bindings.sizes[name] = sizes
        bindings.origins[name] = origin(index)
        return None
    if axis.broadcast:
        fits = _broadcastable(bound, sizes)
    else:
        fits = len(bound) == len(sizes) and all(
            a is None or b is None or a == b for a, b in zip(bound, sizes)
        )
    return None if fits else Conflict(index, axis, tuple(bound), sizes, bindings.origins[name])


def _broadcastable(a: tuple[int | None, ...], b: tuple[int | None, ...]) -> bool:
    for x, y in zip(reversed(a), reversed(b)):
        if x is not None and y is not None and x != y and 1 not in (x, y):
            return False
    return True


def _expr_conflict(index: int, axis: Axis, size: int | None,
                   bindings: Bindings) -> Conflict | None:
    """An arithmetic axis against the sizes bound; KeyError when one of its names is unbound."""
    want = evaluate(axis.expr or "", {k: v for k, v in bindings.sizes.items()
                                      if isinstance(v, int)})
    if size is None or size == want or (axis.broadcast and size == 1):
        return None
    used = ", ".join(f"{n}={bindings.sizes[n]} from {bindings.origins[n]}"
                     for n in axis.names_used)
    return Conflict(index, axis, want, size, used)


def _check_expr(function: str, label: str, contract: Contract, value: Any, index: int,
                axis: Axis, size: int | None, bindings: Bindings) -> None:
    try:
        conflict = _expr_conflict(index, axis, size, bindings)
    except KeyError:
        missing = [n for n in axis.names_used if not isinstance(bindings.sizes.get(n), int)]
        names = ", ".join(missing)
        raise _error(
            "unbound", function, label, axis.label, index, axis.expr, size, None,
            f"with dims({', '.join(f'{n}=...' for n in missing)}): ...", value, contract,
            f"{_where(function, label)}: axis {index} '{axis.token}' cannot be checked because "
            f"{names} {'is' if len(missing) == 1 else 'are'} bound by no argument and no dims() "
            f"block; got {describe(value)}",
        ) from None
    if conflict is not None:
        raise _size_error(function, label, contract, value, conflict, bindings)


def _fits(contract: Contract, context: Bindings) -> Callable[[tuple[int, ...]], bool]:
    """Whether a candidate shape (a hint's result) would pass, given the sizes bound elsewhere."""
    def fits(shape: tuple[int, ...]) -> bool:
        probe = context.copy()
        return _rank_fits(contract, len(shape)) and bind_shape(
            contract, shape, probe, lambda i: "") is None
    return fits


# -- building the errors ------------------------------------------------------------------------


def _size_error(function: str, label: str, contract: Contract, value: Any, conflict: Conflict,
                context: Bindings) -> ShapeContractError:
    index, axis = conflict.index, conflict.axis
    expected, actual = conflict.expected, conflict.actual
    if axis.kind == "variadic":
        return _error(
            "size", function, label, f"*{axis.name}", index, expected, actual, conflict.origin,
            None, value, contract,
            f"{_where(function, label)}: axes '*{axis.name}' are {_shape_text(actual)} but must "
            f"be {_shape_text(expected)} (set by {conflict.origin}); got {describe(value)}",
        )
    role = contract.role_of(index) if contract.variadic_index is None else None
    hint = None
    if contract.variadic_index is None:
        wanted = _expected_shape(contract, context)
        if wanted[index] is None:  # bound by this very value: ask for the size it must match
            wanted = (*wanted[:index], expected, *wanted[index + 1:])
        hint = _hints.size_hint(value, _var(label), wanted, index, role, _fits(contract, context))
    name = f" '{axis.label}'" if axis.label != str(axis.size) else ""
    role_text = f" ({role})" if role and role != axis.label else ""
    return _error(
        "size", function, label, axis.label if axis.kind != "fixed" else index, index, expected,
        actual, conflict.origin, hint, value, contract,
        f"{_where(function, label)}: axis {index}{name}{role_text} is {actual} but must be "
        f"{expected} (set by {conflict.origin}); got {describe(value)}",
    )


def _dtype_error(function: str, label: str, contract: Contract, value: Any,
                 name: str) -> ShapeContractError:
    want = contract.preferred_dtype()
    family = contract.dtype_marker
    return _error(
        "dtype", function, label, None, None, family, name, "the contract",
        _hints.dtype_hint(value, _var(label), want), value, contract,
        f"{_where(function, label)}: dtype is {name} but {family} needs "
        f"{_dtype_summary(contract)}; got {describe(value)}",
    )


def _type_error(function: str, label: str, contract: Contract, value: Any, context: Bindings,
                types: tuple[type, ...] | None = None) -> ShapeContractError:
    what = describe(value)
    if types is None:
        wanted = "an array (numpy, torch, tensorflow, keras or jax)"
    else:
        wanted = " or ".join(f"{t.__module__}.{t.__qualname__}" for t in types)
    return _error(
        "type", function, label, None, None, wanted, type(value).__name__, None,
        _hints.type_hint(value, _var(label), contract.preferred_dtype(),
                         _time_size(contract, context)),
        None, contract,
        f"{_where(function, label)} must be {wanted} for {contract}, got {what}",
    )


def _error(kind: str, function: str, label: str | None, axis: Any, index: int | None,
           expected: Any, actual: Any, origin: str | None, hint: str | None, value: Any,
           contract: Contract | None, summary: str) -> ShapeContractError:
    details = []
    if contract is not None and label is not None:
        details.append(f"contract: {label}: {contract}")
    scope = CURRENT.get()
    if scope is not None and scope.cells:
        bound = [f"{n}={c.value!r}" for n, c in scope.cells.items() if c.value is not None]
        details.append(f"in force: {', '.join(bound) or 'nothing bound yet'} ({scope.where})")
    return ShapeContractError(
        kind=kind, function=function, argument=label, axis=axis, axis_index=index,
        expected=expected, actual=actual, origin=origin, hint=hint,
        value=describe(value) if value is not None and is_array(value) else None,
        contract=str(contract) if contract is not None else None,
        summary=summary, details=tuple(details),
    )


def _time_size(contract: Contract, context: Bindings) -> int | None:
    """The bound size of the contract's time axis, for a padding hint."""
    if contract.time is None or contract.variadic_index is not None:
        return None
    size = contract.shape(**context.sizes)[contract.time]
    return size if isinstance(size, int) else None


def _where(function: str, label: str) -> str:
    if label.startswith("return"):
        return f"{function}() return value{label[6:]}"
    if function == "check_shape":
        return f"check_shape({label})"
    return f"{function}() argument '{label}'"


def _var(label: str) -> str:
    """The expression a hint's code uses for the value: the parameter (``readings``,
    ``readings[0]`` for ``*readings``), or ``result`` for the return value."""
    if label.startswith("return"):
        return "result" + label[6:]
    return label


def _origin(function: str, label: str) -> Callable[[int], str]:
    """Where a size bound at an axis of this value came from, in words."""
    if label.startswith("return"):
        place = f"{function}() {label.replace('return', 'return value', 1)}"
    elif function == "check_shape":
        place = f"check_shape({label})"
    else:
        place = f"argument '{label}'"
    return lambda index: f"{place} axis {index}"


def _expected_shape(contract: Contract, bindings: Bindings) -> tuple[int | None, ...]:
    return contract.shape(**bindings.sizes)


def _known_sizes(contract: Contract, bindings: Bindings) -> str:
    if contract.variadic_index is not None:
        return ""
    shape = _expected_shape(contract, bindings)
    if all(s is None for s in shape):
        return ""
    return f" {_shape_text(shape)}"


def _shape_text(shape: Iterable[int | None]) -> str:
    items = ["?" if s is None else str(s) for s in shape]
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _dtype_summary(contract: Contract) -> str:
    names = [d if isinstance(d, str) else d.pattern for d in contract.dtypes or ()]
    common = [n for n in names if not n.startswith(("float4", "float8", "int2", "int4", "uint2",
                                                    "uint4"))]
    shown = common or names
    return "one of " + ", ".join(shown) if len(shown) > 1 else shown[0]


def tuple_error(function: str, n: int, value: Any) -> ShapeContractError:
    """A return value annotated as a tuple of n arrays that is not one."""
    got = describe(value)
    if type(value) is tuple:
        got = f"a tuple of {len(value)}"
    return _error(
        "type", function, "return", None, None, f"tuple of {n}", type(value).__name__, None,
        None, None, None, f"{function}() returned {got} where a tuple of {n} was annotated",
    )

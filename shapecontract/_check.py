"""``@check`` and ``check_shape``: contracts enforced at the function boundary."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import sys
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, Union, get_args, get_origin

import jaxtyping

from ._array import Array
from ._compile import Plan, compile_wrapper
from ._contract import Contract
from ._dims import CURRENT
from ._errors import ContractSyntaxError, ShapeContractError
from ._match import Bindings, Slot, check_slots, tuple_error

F = TypeVar("F", bound=Callable[..., Any])

_UNIONS = (Union, types.UnionType)
_TRUE = frozenset({"1", "true", "yes", "on"})


def disabled() -> bool:
    """True when SHAPECONTRACT_DISABLE asks for no checking at all."""
    return os.environ.get("SHAPECONTRACT_DISABLE", "").strip().lower() in _TRUE


def check(func: F) -> F:
    """Check a function's arguments and return value against their annotations.

    Array contracts (``Float[Array, "batch time feat"]``) are checked by a compiled check
    with sizes bound across every argument, the return value and any enclosing ``dims()``
    block; every other annotation (``int``, ``str``, ``Optional[...]``) is checked by
    beartype. A mismatch raises ShapeContractError; a malformed contract raises
    ContractSyntaxError here, at decoration. With ``SHAPECONTRACT_DISABLE=1`` in the
    environment, ``check`` returns the function untouched.
    """
    if disabled():
        return func
    if isinstance(func, (classmethod, staticmethod)):
        return type(func)(check(func.__func__))
    if not callable(func) or not hasattr(func, "__code__"):
        raise TypeError(f"@check decorates functions and methods, got {func!r}")
    label = func.__qualname__.replace("<locals>.", "")
    hints = _resolve_hints(func, label)
    plan, rest = _plan(func, hints, label)
    inner = _beartyped(func, rest) if _needs_beartype(rest) else func

    # The slow paths return their error rather than raise it: the wrapper raises it, so the
    # user's traceback ends at the checked call, not inside this library.
    def slow_args(values: dict[str, Any]) -> dict[str, Any] | ShapeContractError:
        pairs = [(slot, values[name]) for name, slot in plan.params]
        try:
            return check_slots(label, pairs, Bindings.start()).sizes
        except ShapeContractError as error:
            return error.with_traceback(None)

    def slow_return(values: dict[str, Any], result: Any) -> dict[str, Any] | ShapeContractError:
        pairs = [(slot, values[name]) for name, slot in plan.params]
        try:
            pairs += _return_pairs(label, plan, result)
            return check_slots(label, pairs, Bindings.start()).sizes
        except ShapeContractError as error:
            return error.with_traceback(None)

    wrapper = compile_wrapper(func, inner, plan, _eager_under_torch_compile(slow_args),
                              _eager_under_torch_compile(slow_return), _origins(label, plan),
                              label)
    functools.update_wrapper(wrapper, func)
    wrapper.__shapecontract_plan__ = plan  # type: ignore[attr-defined]
    return typing.cast(F, wrapper)


def _eager_under_torch_compile(slow: Callable[..., Any]) -> Callable[..., Any]:
    """The slow path, run eagerly when torch.compile is tracing the checked function.

    Its error text is built from shapes that dynamo, under dynamic shapes, hands over as
    symbolic ints it cannot format: traced, a broken contract would surface as dynamo's
    TypeError. torch.compiler.disable is made on first need, so no process pays for loading
    dynamo just to define a checked function.
    """
    disabled: list[Callable[..., Any]] = []

    def call(*args: Any) -> Any:
        torch = sys.modules.get("torch")
        if torch is not None and torch.compiler.is_compiling():
            if not disabled:
                disabled.append(torch.compiler.disable(slow))
            return disabled[0](*args)
        return slow(*args)

    return call


def check_shape(value: Any, annotation: Any, /, **sizes: int | tuple[int, ...]) -> dict[str, Any]:
    """Check one value against a contract, with the sizes given and those of ``dims()``.

    Returns the sizes the contract's names are bound to. Names that a ``dims("name")``
    block is waiting for are bound by this check, as by a checked call.
    """
    contract = Contract.of(annotation)
    slot = Slot("value", contract, array_types=_array_types(annotation))
    try:
        bindings = check_slots("check_shape", [(slot, value)],
                               Bindings.start(sizes, "check_shape"))
    except ShapeContractError as error:
        raise error.with_traceback(None) from None
    scope = CURRENT.get()
    if scope is not None and scope.pending:
        scope.learn(bindings.sizes, lambda name: bindings.origins[name])
    return {k: v for k, v in bindings.sizes.items() if k in contract.names}


# -- reading the annotations ---------------------------------------------------------------------


def _resolve_hints(func: Callable[..., Any], label: str) -> dict[str, Any]:
    """The annotations, with strings (``from __future__ import annotations``) evaluated.

    A string that cannot be evaluated yet (a forward reference) is left for beartype.
    """
    raw = dict(getattr(func, "__annotations__", {}))
    closure = _closure_vars(func)
    out: dict[str, Any] = {}
    for name, hint in raw.items():
        for _ in range(2):  # twice: a quoted hint under `from __future__ import annotations`
            if not isinstance(hint, str):
                break
            try:
                hint = eval(hint, func.__globals__, closure)
            except ContractSyntaxError as error:
                raise error.with_function(label) from None
            except Exception:
                break  # a forward reference: beartype resolves it later
        out[name] = hint
    return out


def _closure_vars(func: Callable[..., Any]) -> dict[str, Any]:
    code = getattr(func, "__code__", None)
    cells = getattr(func, "__closure__", None) or ()
    out = {}
    for name, cell in zip(code.co_freevars if code else (), cells):
        with contextlib.suppress(ValueError):  # a cell not yet filled
            out[name] = cell.cell_contents
    return out


def _is_contract(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, jaxtyping.AbstractArray)


def _contract_of(hint: Any, label: str, where: str) -> tuple[Contract, bool, Any] | None:
    """(contract, optional, annotation) for a contract hint, Optional[...] or union of one."""
    if _is_contract(hint):
        return _parsed(hint, label), False, hint
    if get_origin(hint) in _UNIONS:
        members = get_args(hint)
        arrays = [m for m in members if m is not type(None)]
        optional = len(arrays) < len(members)
        if arrays and all(_is_contract(m) for m in arrays):
            contracts = {(_parsed(m, label).dims, m.dtype.__name__) for m in arrays}
            if len(contracts) > 1:
                raise ContractSyntaxError(
                    "a union of different contracts cannot be checked with sizes bound across "
                    "arguments; use one contract, with '*name' or '...' where the rank varies",
                    contract=" | ".join(sorted(d for d, _ in contracts)),
                    token=where, function=label,
                )
            return _parsed(arrays[0], label), optional, hint
    return None


def _parsed(hint: Any, label: str) -> Contract:
    try:
        return Contract.of(hint)
    except ContractSyntaxError as error:
        raise error.with_function(label) from None


def _array_types(annotation: Any) -> tuple[type, ...] | None:
    """The array types a jaxtyping annotation admits; None where it admits every array."""
    members = get_args(annotation) if get_origin(annotation) in _UNIONS else (annotation,)
    found: list[type] = []
    for member in members:
        array_type = getattr(member, "array_type", Array)
        if array_type is Array or array_type is Any:
            return None
        if isinstance(array_type, type):
            found.append(array_type)
    return tuple(found) or None


def _plan(func: Callable[..., Any], hints: dict[str, Any], label: str
          ) -> tuple[Plan, dict[str, Any]]:
    """Split the annotations into array slots (ours) and everything else (beartype's)."""
    params: list[tuple[str, Slot]] = []
    rest: dict[str, Any] = {}
    kinds = {p.name: p.kind for p in inspect.signature(func).parameters.values()}
    for name, hint in hints.items():
        if name == "return":
            continue
        found = _contract_of(hint, label, name)
        if found is None:
            rest[name] = hint
            continue
        contract, optional, annotation = found
        many = kinds.get(name) in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        params.append((name, Slot(name, contract, optional, many, _array_types(annotation))))

    returns: list[Slot] = []
    return_length = None
    if "return" in hints:
        hint = hints["return"]
        found = _contract_of(hint, label, "return")
        parts = get_args(hint) if get_origin(hint) is tuple else ()
        parts = () if Ellipsis in parts else parts  # tuple[X, ...] is beartype's
        elements = [_contract_of(h, label, f"return[{i}]") for i, h in enumerate(parts)]
        if found is not None:
            contract, optional, annotation = found
            returns.append(Slot("return", contract, optional, False, _array_types(annotation)))
        elif any(elements):
            return_length = len(parts)
            for i, element in enumerate(elements):
                if element is not None:
                    contract, optional, annotation = element
                    returns.append(Slot(f"return[{i}]", contract, optional, False,
                                        _array_types(annotation), position=i))
            if not all(elements):
                # beartype checks the plain elements (an int, a str), the arrays seen as Array.
                plain = tuple(Array if e else h for e, h in zip(elements, parts))
                rest["return"] = tuple[plain]  # type: ignore[valid-type]
        else:
            rest["return"] = hint
    return Plan(tuple(params), tuple(returns), return_length), rest


def _needs_beartype(rest: dict[str, Any]) -> bool:
    return any(hint is not Any for hint in rest.values())


def _beartyped(func: Callable[..., Any], rest: dict[str, Any]) -> Callable[..., Any]:
    """beartype on a twin of the function that carries only the non-array annotations."""
    from beartype import beartype

    twin = types.FunctionType(
        func.__code__, func.__globals__, func.__name__, func.__defaults__, func.__closure__,
    )
    twin.__kwdefaults__ = func.__kwdefaults__
    twin.__qualname__ = func.__qualname__
    twin.__module__ = func.__module__
    twin.__annotations__ = dict(rest)
    return beartype(twin)


def _return_pairs(label: str, plan: Plan, result: Any) -> list[tuple[Slot, Any]]:
    n = plan.return_length
    if n is None:
        return [(plan.returns[0], result)]
    if type(result) is not tuple or len(result) != n:
        raise tuple_error(label, n, result)
    return [(slot, result[slot.position or 0]) for slot in plan.returns]


def _origins(label: str, plan: Plan) -> dict[str, str]:
    """For each name, the first place a call binds it: the origin a dims() block records."""
    out: dict[str, str] = {}
    slots = [slot for _, slot in plan.params] + list(plan.returns)
    for slot in slots:
        for i, axis in enumerate(slot.contract.axes):
            if axis.name and axis.kind in ("named", "variadic") and axis.name not in out:
                place = "returned value" if slot.argument.startswith("return") else (
                    f"argument '{slot.argument}'")
                out[axis.name] = f"{label}() {place} axis {i}"
    return out

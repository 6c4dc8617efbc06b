"""The compiled per-call check: a wrapper generated once per decorated function.

The wrapper has the decorated function's own parameter list, so CPython binds the
arguments; its body reads each array's type, ``dtype`` and ``.shape`` and compares sizes
held in local variables. No allocation beyond the shape tuples, no string formatting, no
framework import. Anything it does not expect (an unknown size, a new array type or dtype,
a mismatch) sends the call to ``_match``, which decides and explains.
"""

from __future__ import annotations

import ast
import inspect
import linecache
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._array import ARRAY_TYPES, SHAPE_TO_LIST
from ._dims import CURRENT, Scope
from ._errors import ShapeContractError
from ._grammar import Axis
from ._match import Slot

UNBOUND = type("Unbound", (), {"__repr__": lambda self: "<unbound>"})()


@dataclass(frozen=True)
class Plan:
    """What to check: the parameters' slots (by parameter name) and the return value's."""

    params: tuple[tuple[str, Slot], ...]
    returns: tuple[Slot, ...]
    return_length: int | None  # for a tuple[...] return annotation, its length


def compile_wrapper(
    func: Callable[..., Any],
    inner: Callable[..., Any],
    plan: Plan,
    slow_args: Callable[[dict[str, Any]], dict[str, Any] | ShapeContractError],
    slow_return: Callable[[dict[str, Any], Any], dict[str, Any] | ShapeContractError],
    origins: dict[str, str],
    label: str,
) -> Callable[..., Any]:
    """Generate the checking wrapper for ``func``; ``inner`` is what it calls."""
    sig = inspect.signature(func)
    prefix = "_sc_"
    while any(p.startswith(prefix) for p in sig.parameters):
        prefix = "_" + prefix
    gen = _Generator(prefix)
    names = _all_names(plan)
    fast = all(_compilable(slot) for _, slot in plan.params) and all(
        _compilable(slot) for slot in plan.returns
    )
    n = gen.local  # local variable holding a bound size
    values = "{" + ", ".join(f"{p!r}: {p}" for p, _ in plan.params) + "}"
    sizes = "{" + ", ".join(f"{name!r}: {n(name)}" for name in names) + "}"

    # The comment is what torch.compile(fullgraph=True) shows when it stops at this read.
    body: list[str] = [f"{prefix}scope = {prefix}get()  # @check reads the dims() block, a "
                       f"ContextVar, which torch.compile(fullgraph=True) cannot trace: call "
                       f"checked functions outside fullgraph regions"]
    if names:
        body.append(" = ".join(n(name) for name in names) + f" = {prefix}U")
        body.append(f"if {prefix}scope is not None:")
        body.append(f"    ({', '.join(n(x) for x in names)},) = "
                    f"{prefix}scope.lookup({tuple(names)!r}, {prefix}U)")
    if plan.params:
        checks = gen.values([(p, slot) for p, slot in plan.params]) if fast else ["raise Exception"]
        body += _guarded(prefix, checks)
        body.append(f"if not {prefix}ok:")
        body.append(f"    {prefix}b = {prefix}slow_args({values})")
        body.append(f"    if type({prefix}b) is not dict: raise {prefix}b")
        body += [f"    {n(name)} = {prefix}b.get({name!r}, {prefix}U)" for name in names]
        body += _learn(prefix, names, sizes)
    await_ = "await " if inspect.iscoroutinefunction(func) else ""
    body.append(f"{prefix}r = {await_}{prefix}inner({_call_args(sig)})")
    if plan.returns:
        checks = gen.return_checks(plan) if fast else ["raise Exception"]
        body += _guarded(prefix, checks)
        body.append(f"if not {prefix}ok:")
        body.append(f"    {prefix}b = {prefix}slow_return({values}, {prefix}r)")
        body.append(f"    if type({prefix}b) is not dict: raise {prefix}b")
        body += [f"    {n(name)} = {prefix}b.get({name!r}, {prefix}U)" for name in names]
        body += _learn(prefix, names, sizes)
    body.append(f"return {prefix}r")

    async_ = "async " if await_ else ""
    name = func.__name__ if func.__name__.isidentifier() else "checked"  # a lambda, say
    source = f"{async_}def {name}({_params(sig)}):\n" + "".join(
        f"    {line}\n" for line in body
    )

    def learn(scope: Scope, sizes: dict[str, Any]) -> None:
        scope.learn(sizes, origins.__getitem__)

    for helper in (slow_args, slow_return, learn):
        # AutoGraph's marker for its own artifacts: it calls these as they are, unconverted.
        setattr(helper, "autograph_info__", None)  # noqa: B010
    env: dict[str, Any] = {
        f"{prefix}get": CURRENT.get,
        f"{prefix}U": UNBOUND,
        f"{prefix}AT": ARRAY_TYPES,
        f"{prefix}SL": SHAPE_TO_LIST,
        f"{prefix}inner": inner,
        f"{prefix}slow_args": slow_args,
        f"{prefix}slow_return": slow_return,
        f"{prefix}learn": learn,
        **gen.env,
    }
    filename = f"<@check of {func.__module__}.{label}>"
    # Registered with linecache so inspect.getsource works: tracebacks show the line, and
    # AutoGraph can convert the wrapper (and, through it, the user's function) in tf.function.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), env)
    wrapper: Callable[..., Any] = env[name]
    wrapper.__defaults__ = func.__defaults__
    wrapper.__kwdefaults__ = func.__kwdefaults__
    wrapper.__shapecontract_source__ = source  # type: ignore[attr-defined]
    return wrapper


def _guarded(prefix: str, checks: list[str]) -> list[str]:
    # A flag, not a raise from the handler: the slow path's error must not be chained to
    # the fast path's internal exception in the user's traceback.
    return [
        "try:",
        *(f"    {line}" for line in checks),
        f"    {prefix}ok = True",
        "except Exception:",
        f"    {prefix}ok = False",
    ]


def _learn(prefix: str, names: list[str], sizes: str) -> list[str]:
    if not names:
        return []
    return [
        f"if {prefix}scope is not None and {prefix}scope.pending:",
        f"    {prefix}learn({prefix}scope, {sizes})",
    ]


def _compilable(slot: Slot) -> bool:
    """The fast path covers single values with plain axes; the rest goes to ``_match``."""
    return not slot.many and not any(
        a.kind == "variadic" and a.broadcast for a in slot.contract.axes
    )


def _all_names(plan: Plan) -> list[str]:
    names: list[str] = []
    slots = [slot for _, slot in plan.params] + list(plan.returns)
    for slot in slots:
        for axis in slot.contract.axes:
            for name in (axis.name,) if axis.kind in ("named", "variadic") else axis.names_used:
                if name and name not in names:
                    names.append(name)
    return names


class _Generator:
    """Emits the fast-path source for a list of (variable, slot) pairs."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.env: dict[str, Any] = {}
        self.count = 0

    def local(self, name: str) -> str:
        return f"{self.prefix}n_{name}"

    def values(self, pairs: list[tuple[str, Slot]]) -> list[str]:
        lines: list[str] = []
        deferred: list[str] = []
        for var, slot in pairs:
            lines += self._value(var, slot, deferred)
        return lines + deferred

    def return_checks(self, plan: Plan) -> list[str]:
        r = f"{self.prefix}r"
        if plan.return_length is None:
            return self.values([(r, plan.returns[0])])
        lines = [f"if type({r}) is not tuple or len({r}) != {plan.return_length}: raise Exception"]
        pairs = []
        for slot in plan.returns:
            var = f"{self.prefix}r{slot.position}"
            lines.append(f"{var} = {r}[{slot.position}]")
            pairs.append((var, slot))
        return lines + self.values(pairs)

    def _value(self, var: str, slot: Slot, deferred: list[str]) -> list[str]:
        p = self.prefix
        k = self.count
        self.count += 1
        contract = slot.contract
        shape = f"{p}s{k}"
        lines = [f"if type({var}) not in {p}AT: raise Exception"]
        if slot.array_types is not None:
            self.env[f"{p}T{k}"] = slot.array_types
            lines = [f"if not isinstance({var}, {p}T{k}): raise Exception", *lines]
        if contract.dtypes is not None:
            self.env[f"{p}D{k}"] = contract.accepted_dtypes
            lines.append(f"if id({var}.dtype) not in {p}D{k}: raise Exception")
        lines.append(f"{shape} = {var}.shape")
        lines.append(f"if type({shape}) is not tuple and type({shape}) in {p}SL: "
                     f"{shape} = {p}SL[type({shape})]({shape})")
        n = len(contract.axes)
        v = contract.variadic_index
        if v is None:
            lines.append(f"if len({shape}) != {n}: raise Exception")
        else:
            lines.append(f"if len({shape}) < {n - 1}: raise Exception")
        for i, axis in enumerate(contract.axes):
            index = str(i) if v is None or i < v else str(i - n)
            if axis.kind == "expr":
                guard = f"if {var} is not None and " if slot.optional else "if "
                deferred.append(f"{guard}{shape}[{index}] != ({self._expr(axis)}): raise Exception")
            else:
                lines += self._axis(axis, shape, index, i, n, v)
        if slot.optional:
            return [f"if {var} is not None:", *(f"    {line}" for line in lines)]
        return lines

    def _axis(self, axis: Axis, shape: str, index: str, i: int, n: int,
              v: int | None) -> list[str]:
        p = self.prefix
        if axis.kind == "any" or (axis.kind == "variadic" and axis.name is None):
            return []
        if axis.kind == "fixed":
            extra = f" and {shape}[{index}] != 1" if axis.broadcast else ""
            return [f"if {shape}[{index}] != {axis.size}{extra}: raise Exception"]
        local = self.local(axis.name or "")
        if axis.kind == "variadic":
            tail = n - i - 1
            size = f"tuple({shape}[{i}:len({shape}) - {tail}])" if tail else f"tuple({shape}[{i}:])"
        else:
            size = f"{shape}[{index}]"
        bind = [
            f"{p}v = {size}",
            f"if {local} is {p}U: {local} = {p}v",
            f"elif {local} != {p}v: raise Exception",
        ]
        if axis.broadcast:
            return [bind[0], f"if {p}v != 1:", f"    {bind[1]}", f"    {bind[2]}"]
        return bind

    def _expr(self, axis: Axis) -> str:
        tree = ast.parse(axis.expr or "", mode="eval")
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in axis.names_used:
                node.id = self.local(node.id)
        return ast.unparse(tree)


def _params(sig: inspect.Signature) -> str:
    out: list[str] = []
    kinds = inspect.Parameter
    seen_kw_marker = False
    params = list(sig.parameters.values())
    for i, p in enumerate(params):
        if p.kind is kinds.VAR_POSITIONAL:
            out.append(f"*{p.name}")
            seen_kw_marker = True
        elif p.kind is kinds.VAR_KEYWORD:
            out.append(f"**{p.name}")
        elif p.kind is kinds.KEYWORD_ONLY:
            if not seen_kw_marker:
                out.append("*")
                seen_kw_marker = True
            out.append(p.name)
        else:
            out.append(p.name)
        nxt = params[i + 1] if i + 1 < len(params) else None
        last_positional_only = nxt is None or nxt.kind is not kinds.POSITIONAL_ONLY
        if p.kind is kinds.POSITIONAL_ONLY and last_positional_only:
            out.append("/")
    return ", ".join(out)


def _call_args(sig: inspect.Signature) -> str:
    out: list[str] = []
    kinds = inspect.Parameter
    for p in sig.parameters.values():
        if p.kind is kinds.VAR_POSITIONAL:
            out.append(f"*{p.name}")
        elif p.kind is kinds.VAR_KEYWORD:
            out.append(f"**{p.name}")
        elif p.kind is kinds.KEYWORD_ONLY:
            out.append(f"{p.name}={p.name}")
        else:
            out.append(p.name)
    return ", ".join(out)

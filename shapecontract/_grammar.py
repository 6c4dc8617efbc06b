"""Parse a jaxtyping shape string ("batch time feat") into axes.

The grammar is jaxtyping's: named (``batch``) and fixed (``3``) axes, ``name=4`` (a fixed
axis with a name), ``_`` and ``_name`` (any size), ``...`` and ``*name`` (any number of
axes), ``#name`` (size 1 or the bound size), and arithmetic (``sensors+sites``). Unlike
jaxtyping, arithmetic is parsed here, once, so a typo fails at decoration and not mid-run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CodeType
from typing import Literal

from ._errors import ContractSyntaxError

AxisKind = Literal["named", "fixed", "any", "variadic", "expr"]

_ALLOWED_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.Pow)
_ALLOWED_CALLS = frozenset({"min", "max", "abs"})


@dataclass(frozen=True)
class Axis:
    """One axis of a contract.

    ``kind`` is ``named`` (a size bound by name), ``fixed`` (a literal size), ``any``
    (``_``), ``variadic`` (``*name`` or ``...``; ``name`` None for ``...``) or ``expr``
    (arithmetic over other names, in ``expr``).
    """

    kind: AxisKind
    token: str
    name: str | None = None
    size: int | None = None
    expr: str | None = None
    broadcast: bool = False
    names_used: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        """How the axis is called in messages: its name, or its token."""
        return self.name if self.name is not None else self.token


def parse_dims(text: str) -> tuple[Axis, ...]:
    """Parse a shape string, raising ContractSyntaxError naming the bad token."""
    axes: list[Axis] = []
    variadic_seen: str | None = None
    for token in text.split():
        axis = _parse_token(token, text)
        if axis.kind == "variadic":
            if variadic_seen is not None:
                raise ContractSyntaxError(
                    f"only one variadic axis ('*name' or '...') is allowed; "
                    f"{variadic_seen!r} came first",
                    contract=text,
                    token=token,
                )
            variadic_seen = token
        axes.append(axis)
    return tuple(axes)


def _parse_token(token: str, text: str) -> Axis:
    def fail(reason: str) -> ContractSyntaxError:
        return ContractSyntaxError(reason, contract=text, token=token)

    if "," in token and "(" not in token:
        raise fail("separate axes with spaces, not commas")
    if token.endswith("#"):
        raise fail("broadcastable axes take '#' at the front: '#name'")
    if "..." in token:
        if token != "...":
            raise fail("'...' stands for any number of axes and must stand alone")
        return Axis("variadic", token)

    rest = token
    broadcast = variadic = anonymous = False
    label: str | None = None
    while rest:
        first = rest[0]
        if first == "#":
            if broadcast:
                raise fail("'#' may appear only once")
            broadcast, rest = True, rest[1:]
        elif first == "*":
            if variadic:
                raise fail("'*' may appear only once")
            variadic, rest = True, rest[1:]
        elif first == "_":
            if anonymous:
                raise fail("'_' may appear only once at the front")
            anonymous, rest = True, rest[1:]
        elif first == "?":
            raise fail("'?' (PyTree-dependent axes) is not supported outside jaxtyping")
        elif rest.count("=") == 1 and rest.split("=")[0].isidentifier():
            label, rest = rest.split("=")
        else:
            break

    if rest == "" or rest.isidentifier():
        if anonymous:
            if broadcast:
                raise fail("an anonymous axis cannot be broadcastable ('#_')")
            return Axis("variadic" if variadic else "any", token, name=None)
        if rest == "":
            raise fail("empty axis name")
        if variadic:
            return Axis("variadic", token, name=rest, broadcast=broadcast)
        return Axis("named", token, name=rest, broadcast=broadcast)

    if rest.lstrip("-").isdigit():
        size = int(rest)
        if variadic or anonymous:
            raise fail("a fixed size cannot be variadic ('*4') or anonymous ('_4')")
        if size < 0:
            raise fail("a size cannot be negative")
        return Axis("fixed", token, name=label, size=size, broadcast=broadcast)

    if variadic or anonymous:
        raise fail("arithmetic axes cannot be variadic or anonymous")
    names = _validate_expr(rest, fail)
    return Axis("expr", token, name=label, expr=rest, broadcast=broadcast, names_used=names)


def _validate_expr(expr: str, fail: Callable[[str], ContractSyntaxError]) -> tuple[str, ...]:
    """Check that an arithmetic axis uses names, integers and + - * // % ** only."""
    if "{" in expr:
        raise fail("'{arg}' references are not supported; bind the size with dims(name=...)")
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise fail(
            "not a name, a size or arithmetic over names "
            "(names are letters, digits and '_'; arithmetic is + - * // % **)"
        ) from None
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in _ALLOWED_CALLS and node.id not in names:
                names.append(node.id)
        elif isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in _ALLOWED_CALLS):
                raise fail("only min(), max() and abs() may be called in an axis")
        elif isinstance(node, ast.Constant):
            if type(node.value) is not int:
                raise fail("only integer constants may appear in an axis")
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, _ALLOWED_BINOPS):
                raise fail("only + - * // % ** are allowed in an axis")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub):
                raise fail("only unary minus is allowed in an axis")
        elif not isinstance(node, (ast.Expression, ast.Load, ast.operator, ast.unaryop)):
            raise fail("not a name, a size or arithmetic over names")
    if not names:
        raise fail("arithmetic over constants alone: write the size itself")
    return tuple(names)


def evaluate(expr: str, sizes: dict[str, int]) -> int:
    """Evaluate a validated arithmetic axis with the bound sizes (KeyError if one is missing)."""
    code = _compiled(expr)
    env: dict[str, object] = {"min": min, "max": max, "abs": abs}
    for name in code.co_names:
        if name not in env:
            env[name] = sizes[name]
    return int(eval(code, {"__builtins__": {}}, env))


_CODE_CACHE: dict[str, CodeType] = {}


def _compiled(expr: str) -> CodeType:
    code = _CODE_CACHE.get(expr)
    if code is None:
        code = _CODE_CACHE[expr] = compile(expr, "<shape contract>", "eval")
    return code

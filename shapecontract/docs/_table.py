"""The shape table of a checked function: who binds each size, written as markdown.

This module knows contracts, not griffe: it takes the checked places of one function (its
array parameters, then its return value) and says, for each axis, where its size comes from.
A name's size comes from its first plain occurrence, in parameter order and then the return
value, as ``@check`` binds it; every other occurrence must equal it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .._contract import Contract
from .._grammar import Axis

# What each dtype marker accepts, in a word or two; sized markers (Float32) say their dtype.
_DTYPES = {
    "Shaped": "any dtype", "Float": "float", "Int": "signed int", "UInt": "unsigned int",
    "Integer": "int", "Bool": "bool", "Num": "numeric", "Real": "int or float",
    "Inexact": "float or complex", "Complex": "complex",
}

HEADER = "| Parameter | Contract | Axes | Bound sizes |\n|---|---|---|---|"
NOTE = ("Sizes are bound in parameter order, then by the return value; a `dims()` block "
        "around the call can fix any of them beforehand.")


@dataclass(frozen=True)
class Place:
    """One checked place of a function: an array parameter or (part of) the return value.

    ``argument`` is the parameter's name (``*xs`` and ``**kw`` for variadic parameters), or
    ``return`` / ``return[1]``; ``annotation`` the contract as it is shown, such as
    ``Float[Array, "batch time feat"]``; ``marker`` the dtype marker's name (``Float``).
    """

    argument: str
    annotation: str
    contract: Contract
    marker: str = "Shaped"
    optional: bool = False

    @property
    def is_return(self) -> bool:
        return self.argument.startswith("return")

    @property
    def value(self) -> str:
        """The value whose shape is read: ``x``, ``xs[0]`` for ``*xs``, ``kw[k]`` for ``**kw``,
        ``return``."""
        name = self.argument.lstrip("*")
        if self.argument.startswith("**"):
            return f"{name}[k]"
        return f"{name}[0]" if self.argument.startswith("*") else name

    @property
    def each(self) -> str | None:
        """For ``*xs`` and ``**kw``, the other values checked alike: ``every xs[i]``."""
        name = self.argument.lstrip("*")
        if self.argument.startswith("**"):
            return f"every `{name}[k]`"
        return f"every `{name}[i]`" if self.argument.startswith("*") else None

    @property
    def shown(self) -> str:
        return self.argument if self.is_return else f"`{self.argument}`"


@dataclass(frozen=True)
class _Use:
    place: Place
    axis: Axis
    index: str  # how the axis is read: "[0]", "[1:-1]", "[-1]"

    @property
    def source(self) -> str:
        return f"{self.place.value}.shape{self.index}"


def markdown(places: list[Place]) -> str:
    """The shape table of a function whose checked places are ``places``, in order."""
    uses = [use for place in places for use in _uses(place)]
    sources = _sources(uses)
    argument_sources = _sources([u for u in uses if not u.place.is_return])
    rows = []
    for place in places:
        own = [u for u in uses if u.place is place]
        known = sources if place.is_return else argument_sources
        bound = [text for u in own if (text := _bound(u, uses, sources, known))]
        rows.append(" | ".join((place.shown, _contract_cell(place), _axes_cell(place),
                                "<br>".join(bound) or "no sizes bound")))
    body = "\n".join(f"| {row} |" for row in rows)
    return f"**Shape contract**\n\n{HEADER}\n{body}\n\n{NOTE}"


def _uses(place: Place) -> list[_Use]:
    axes = place.contract.axes
    v = place.contract.variadic_index
    out = []
    for i, axis in enumerate(axes):
        if v is None or i < v:
            index = f"[{i}]"
        elif i == v:
            tail = len(axes) - v - 1
            index = f"[{v or ''}:{-tail if tail else ''}]"
        else:
            index = f"[{i - len(axes)}]"
        out.append(_Use(place, axis, index))
    return out


def _binds(use: _Use) -> bool:
    return use.axis.kind in ("named", "variadic") and use.axis.name is not None


def _sources(uses: list[_Use]) -> dict[str, _Use]:
    """For each name, the use that gives its size: the first plain (not ``#``) one, else the
    first. A ``#name`` axis of size 1 binds nothing, so a plain one says the size best."""
    out: dict[str, _Use] = {}
    for use in uses:
        name = use.axis.name
        if not _binds(use) or name is None:
            continue
        if name not in out or (out[name].axis.broadcast and not use.axis.broadcast):
            out[name] = use
    return out


def _bound(use: _Use, uses: list[_Use], sources: dict[str, _Use],
           known: dict[str, _Use]) -> str | None:
    axis = use.axis
    or_one = " or be 1" if axis.broadcast else ""
    if axis.kind == "fixed":
        what = f"`{axis.name}`" if axis.name else f"axis {use.index[1:-1]}"  # -1 after *name
        return f"{what} fixed: {axis.size}{' (or 1)' if axis.broadcast else ''}"
    if axis.kind == "expr":
        return _expr_text(use, known)
    if not _binds(use) or axis.name is None:
        return None  # `_` and `...`: any size, bound to nothing
    token = f"`*{axis.name}`" if axis.kind == "variadic" else f"`{axis.name}`"
    source = sources[axis.name]
    if source is not use:
        verb = "must broadcast with" if axis.kind == "variadic" and axis.broadcast else (
            "must equal")
        extra = "" if axis.kind == "variadic" else or_one
        return f"{token} {verb} `{source.source}`{extra}"
    text = f"{token} = `{use.source}`"
    if axis.broadcast:
        text += " (or 1)"
    others = [u.place for u in uses if u is not use and _binds(u) and u.axis.name == axis.name]
    shared = list(dict.fromkeys(p.shown for p in others if p is not use.place))
    shared += list(dict.fromkeys(
        f"{u.place.shown} (in `{u.axis.token}`)" for u in uses
        if u.axis.kind == "expr" and axis.kind == "named" and axis.name in u.axis.names_used
        and (u.place.is_return or not use.place.is_return)  # an argument's is checked first
    ))
    if use.place.each:
        shared.insert(0, use.place.each)
    if shared:
        text += ", shared with " + ", ".join(shared)
    if use.place.is_return:
        text += " (no argument binds it)"
    return text


def _expr_text(use: _Use, known: dict[str, _Use]) -> str:
    """``sensors+sites`` as the shapes it is computed from: ``x.shape[2] + y.shape[1]``."""
    axis = use.axis
    missing = [n for n in axis.names_used if n not in known or known[n].axis.kind != "named"]

    class Substitute(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            if node.id in known and node.id not in missing:
                return ast.copy_location(ast.Name(id=known[node.id].source, ctx=node.ctx), node)
            return node

        def visit_Call(self, node: ast.Call) -> ast.AST:
            node.args = [self.visit(a) for a in node.args]  # min(), max(), abs() stay named
            return node

    tree = Substitute().visit(ast.parse(axis.expr or "", mode="eval"))
    what = f"`{axis.name}`" if axis.name else f"`{axis.expr}`"
    text = f"{what} = `{ast.unparse(tree)}`"
    if axis.broadcast:
        text += " (or 1)"
    if missing:
        names = ", ".join(f"`{n}`" for n in missing)
        text += f" ({names} from the caller's `dims()`: no argument binds "
        text += "it)" if len(missing) == 1 else "them)"
    return text


def _contract_cell(place: Place) -> str:
    text = f"`{place.annotation}`"  # Python-Markdown keeps a pipe inside a code span in its cell
    return f"{text} or `None`" if place.optional else text


def _axes_cell(place: Place) -> str:
    contract = place.contract
    marker = place.marker
    dtype = _DTYPES.get(marker, marker.lower())
    if not contract.axes:
        return f"none (a scalar); {dtype}"
    parts = []
    for i, axis in enumerate(contract.axes):
        # A lone axis is the feature axis by the rules, which says nothing worth a word.
        role: str | None = contract.role_of(i) if len(contract.axes) > 1 else None
        if axis.kind == "any":
            role = "any size"
        elif axis.kind == "variadic" and axis.name is None:
            role = "any number of axes"
        parts.append(f"`{axis.token}` ({role})" if role else f"`{axis.token}`")
    return f"{', '.join(parts)}; {dtype}"

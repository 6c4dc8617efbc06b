"""jaxtyping's dtype markers (Float, Int, ...), which also validate the contract string.

Each marker here is a subclass of the jaxtyping marker of the same name, so
``Float[Array, "batch time feat"]`` is the very annotation jaxtyping builds: jaxtyping
users and static type checkers see nothing new. The one difference: a malformed contract
raises ContractSyntaxError naming the bad token, at the line that wrote it, instead of a
ValueError from inside jaxtyping or, for arithmetic axes, nothing until the first call.
"""

from __future__ import annotations

import linecache
import re
import sys
from typing import Any

import jaxtyping

from ._errors import ContractSyntaxError
from ._grammar import parse_dims

MARKER_NAMES = (
    "Shaped", "Float", "Int", "UInt", "Integer", "Bool", "Num", "Real", "Inexact", "Complex",
    "BFloat16", "Float16", "Float32", "Float64", "Int8", "Int16", "Int32", "Int64",
    "UInt8", "UInt16", "UInt32", "UInt64", "Complex64", "Complex128",
)

_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)")


class _MarkerMeta(type(jaxtyping.AbstractDtype)):  # type: ignore[misc]
    def __getitem__(cls, item: Any) -> Any:
        dims = item[1] if isinstance(item, tuple) and len(item) == 2 else None
        if isinstance(dims, str):
            try:
                parse_dims(dims)
            except ContractSyntaxError as error:
                raise _name_function(error) from None
        try:
            return super().__getitem__(item)
        except ValueError as error:
            contract = dims if isinstance(dims, str) else repr(item)
            raise _name_function(ContractSyntaxError(str(error), contract=contract)) from None


def _name_function(error: ContractSyntaxError) -> ContractSyntaxError:
    """Name the function whose signature is being written, found from the source line."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(
        ("shapecontract._markers", "jaxtyping", "typing")
    ):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return error
    for lineno in range(frame.f_lineno, max(frame.f_lineno - 10, 0), -1):
        match = _DEF.match(linecache.getline(frame.f_code.co_filename, lineno))
        if match:
            return error.with_function(match.group(1))
    return error


def _make(name: str) -> type:
    base = getattr(jaxtyping, name)
    doc = f"jaxtyping's ``{name}`` marker: ``{name}[Array, \"batch time feat\"]``."
    return _MarkerMeta(name, (base,), {"dtypes": base.dtypes, "__module__": "shapecontract",
                                       "__doc__": doc})


MARKERS: dict[str, type] = {name: _make(name) for name in MARKER_NAMES}

"""``dims()`` scopes: sizes that hold for every checked call inside a block.

A scope is a dict of cells, name -> Cell. A nested block copies its parent's dict, so a
cell bound by the first call that sees it (``dims("machines")``) is shared by the block
that declared it and every block inside. The current scope lives in a ContextVar: threads
and asyncio tasks each see their own.
"""

from __future__ import annotations

import os
import sys
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any

from ._errors import ShapeContractError


class Cell:
    """One name's size in a scope; ``value`` None while it waits for its first call."""

    __slots__ = ("origin", "value")

    def __init__(self, value: Any, origin: str) -> None:
        self.value = value
        self.origin = origin


class Scope:
    """The sizes in force inside a ``dims()`` block; ``scope[name]`` reads one.

    ``with dims(...) as scope`` gives the block's scope, and ``current_scope()`` the innermost
    one in force; neither is built by hand.
    """

    __slots__ = ("cells", "pending", "where")

    def __init__(self, cells: dict[str, Cell], where: str) -> None:
        self.cells = cells
        self.where = where
        self.pending = any(c.value is None for c in cells.values())

    def lookup(self, names: tuple[str, ...], unbound: object) -> tuple[Any, ...]:
        """The bound sizes of ``names``, ``unbound`` for the others (one call per checked call)."""
        cells = self.cells
        out = []
        for name in names:
            cell = cells.get(name)
            out.append(unbound if cell is None or cell.value is None else cell.value)
        return tuple(out)

    def learn(self, sizes: dict[str, Any], origin_of: Any) -> None:
        """Bind every waiting name that this call has given a size; origin_of(name) says where."""
        for name, cell in self.cells.items():
            if cell.value is None:
                size = sizes.get(name)
                if isinstance(size, (int, tuple)) and (
                    not isinstance(size, tuple) or None not in size
                ):
                    cell.value = size
                    cell.origin = f"{origin_of(name)}, kept by {cell.origin}"
        self.pending = any(c.value is None for c in self.cells.values())

    @property
    def sizes(self) -> dict[str, Any]:
        """The sizes bound so far, by name."""
        return {n: c.value for n, c in self.cells.items() if c.value is not None}

    def __getitem__(self, name: str) -> Any:
        cell = self.cells.get(name)
        if cell is None or cell.value is None:
            raise KeyError(f"{name!r} is not bound in {self.where}")
        return cell.value

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={c.value!r}" for n, c in self.cells.items())
        return f"<dims {inner} from {self.where}>"


CURRENT: ContextVar[Scope | None] = ContextVar("shapecontract_dims", default=None)


class dims:
    """Sizes that hold for every checked call inside the block.

    ``dims(steps=1440, sensors=3)`` fixes sizes; ``dims("machines")`` declares a name that
    the first checked call to see it binds, and that then holds until the block ends.
    Blocks nest; an inner block that disagrees with an outer one raises on entry.
    """

    def __init__(self, *names: str, **sizes: int | tuple[int, ...]) -> None:
        for name in names:
            if not isinstance(name, str) or not name.isidentifier():
                raise TypeError(f"dims() takes axis names as strings, got {name!r}")
        for name, size in sizes.items():
            if not _is_size(size):
                raise TypeError(
                    f"dims({name}={size!r}): a size is a non-negative int "
                    "(or a tuple of them for a '*name' axis)"
                )
        self.names = names
        self.sizes = sizes
        frame = sys._getframe(1)
        args = [repr(n) for n in names] + [f"{k}={v!r}" for k, v in sizes.items()]
        place = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
        self.where = f"dims({', '.join(args)}) at {place}"
        self._tokens: list[Token[Scope | None]] = []

    def __enter__(self) -> Scope:
        outer = CURRENT.get()
        cells = dict(outer.cells) if outer is not None else {}
        for name, size in self.sizes.items():
            prev = cells.get(name)
            if prev is not None and prev.value is not None:
                if prev.value != size:
                    raise _conflict(name, prev, size, self.where)
                continue
            cells[name] = Cell(size, self.where)
        for name in self.names:
            if name not in cells:
                cells[name] = Cell(None, self.where)
        scope = Scope(cells, self.where)
        self._tokens.append(CURRENT.set(scope))
        return scope

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        CURRENT.reset(self._tokens.pop())


def current_scope() -> Scope | None:
    """The innermost ``dims()`` block in force here, or None."""
    return CURRENT.get()


def _is_size(size: object) -> bool:
    if isinstance(size, tuple):
        return all(_is_size(s) for s in size)
    return isinstance(size, int) and not isinstance(size, bool) and size >= 0


def _conflict(name: str, prev: Cell, size: Any, where: str) -> ShapeContractError:
    return ShapeContractError(
        kind="dims",
        function="dims",
        argument=name,
        axis=name,
        axis_index=None,
        expected=prev.value,
        actual=size,
        origin=prev.origin,
        hint=None,
        value=None,
        contract=None,
        summary=(
            f"{where} sets {name}={size!r}, but the enclosing block holds {name}={prev.value!r} "
            f"(set by {prev.origin}); nested dims() blocks must agree"
        ),
    )

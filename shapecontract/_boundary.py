"""The check adapters run on a model's behalf: values against contracts, with sizes a model
fixed (and says where), sizes passed by hand, and those of the current ``dims()`` block.

``shapecontract.keras`` and ``shapecontract.torch`` both go through here, so a preflight
error reads like every other ShapeContractError: same diagnosis, same fix hints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._array import Array
from ._contract import Contract
from ._errors import ShapeContractError, _rebuild
from ._markers import MARKERS
from ._match import Bindings, Slot, _error, check_slots


def contract_from(dims: str, marker: str = "Shaped") -> Contract:
    """A Contract built from a dims string and a marker name (``"Float"``, ``"Int"``, ...)."""
    if marker == "Shaped":
        return Contract.of(dims)
    marker_type: Any = MARKERS[marker]
    return Contract.of(marker_type[Array, dims])


def check_values(
    function: str,
    values: Sequence[tuple[str, Contract, Any]],
    *,
    fixed: Mapping[str, tuple[Any, str]] | None = None,
    sizes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Check ``(argument, contract, value)`` triples together; the sizes bound, or raise.

    ``fixed`` maps a name to ``(size, where it comes from)``, e.g. ``("time", (1440,
    "model 'forecaster' input"))``; ``sizes`` are the caller's keyword sizes. A name given
    both ways with different sizes is an error in itself.
    """
    bindings = start_bindings(function, fixed or {}, sizes or {})
    slots = [(Slot(argument, contract), value) for argument, contract, value in values]
    try:
        check_slots(function, slots, bindings)
    except ShapeContractError as error:
        # The traceback ends at the adapter the user called, not inside the matcher.
        raise error.with_traceback(None) from None
    return dict(bindings.sizes)


def start_bindings(function: str, fixed: Mapping[str, tuple[Any, str]],
                   sizes: Mapping[str, Any]) -> Bindings:
    """Bindings holding the ``dims()`` block's sizes, the caller's and the model's, or the
    error for two of them that disagree."""
    try:
        bindings = Bindings.start(dict(sizes), f"{function}()")
    except ShapeContractError as error:
        raise error.with_traceback(None) from None
    for name, (size, origin) in fixed.items():
        if size is None:
            continue
        held = bindings.sizes.get(name)
        if held is not None and held != size:
            raise _error(
                "dims", function, name, name, None, size, held, origin, None, None, None,
                f"{function}(): {name}={held!r} (set by {bindings.origins[name]}) contradicts "
                f"{name}={size!r}, set by {origin}",
            ).with_traceback(None)
        bindings.sizes[name] = size
        bindings.origins[name] = origin
    return bindings


def bound_sizes(contract: Contract, shape: Sequence[int | None]) -> dict[str, int]:
    """The names of ``contract`` that a known shape (of the contract's rank) binds."""
    out: dict[str, int] = {}
    for axis, size in zip(contract.axes, shape):
        if axis.kind == "named" and axis.name and isinstance(size, int):
            out[axis.name] = size
    return out


def refuse_unknown_sizes(function: str, sizes: Mapping[str, Any],
                         contracts: Sequence[Contract]) -> None:
    """A size named after no axis of the contracts is a typo, not a size: refuse it, listing
    the names there are."""
    names = list(dict.fromkeys(n for contract in contracts for n in contract.size_names))
    unknown = [name for name in sizes if name not in names]
    if unknown:
        what = str(contracts[0]) if len(contracts) == 1 else "the contracts"
        raise ValueError(
            f"{function}(): {', '.join(repr(n) for n in unknown)} "
            f"{'is not a name' if len(unknown) == 1 else 'are not names'} in {what}; "
            f"its names: {', '.join(names) or 'none (all its sizes are fixed)'}"
        )


def sizes_in_force(contract: Contract, sizes: Mapping[str, Any], function: str) -> dict[str, Any]:
    """The sizes passed by hand, over those of the current ``dims()`` block.

    A name the contract does not have is refused, and so is a size that contradicts the
    ``dims()`` block.
    """
    refuse_unknown_sizes(function, sizes, [contract])
    return start_bindings(function, {}, sizes).sizes


def with_details(error: ShapeContractError, lines: Sequence[str], *,
                 hint: str | None = None) -> ShapeContractError:
    """The same error with more lines under its first: what the adapter knows beyond shapes.
    ``hint`` replaces the core's fix where the adapter knows a better one."""
    if not lines and hint in (None, error.hint):
        return error
    return _rebuild({**error.__dict__, "hint": hint or error.hint,
                     "details": (*error.details, *lines)})

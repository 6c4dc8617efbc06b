"""Contracts read from an imported function: what ``@check`` compiled, for griffe's inspection.

mkdocstrings reads source by default; where it inspects instead (``force_inspection: true``,
or a module with no source), a griffe function carries no decorators to look at, but the
checked function carries the plan ``@check`` built from its annotations.
"""

from __future__ import annotations

from typing import Any

from .._compile import Plan
from ._table import Place


def plan_of(obj: Any) -> Plan | None:
    """The plan of a function ``@check`` wrapped (a static or class method's too)."""
    plan = getattr(getattr(obj, "__func__", obj), "__shapecontract_plan__", None)
    return plan if isinstance(plan, Plan) else None


def places(plan: Plan, stars: dict[str, str]) -> list[Place]:
    """The checked places of a plan; ``stars`` gives ``*`` or ``**`` for variadic parameters."""
    out = []
    for name, slot in (*plan.params, *((s.argument, s) for s in plan.returns)):
        array = "Array"
        if slot.array_types:
            array = " | ".join(f"{t.__module__}.{t.__qualname__}" for t in slot.array_types)
        contract = slot.contract
        shown = f'{contract.dtype_marker}[{array}, "{contract.dims}"]'
        out.append(Place(stars.get(name, "") + name, shown, contract, contract.dtype_marker,
                         slot.optional))
    return out

"""shapecontract's per-call check costs a fraction of jaxtyping + beartype's.

This asserts a ratio of two costs measured in one process, one after the other, never a
wall-clock time: a slow or busy machine slows both sides alike.
"""

import timeit
from collections.abc import Callable
from typing import Any

import beartype
import jaxtyping
import numpy as np
import pytest

import shapecontract

REPEAT, NUMBER = 5, 3000


def per_call(func: Callable[..., Any], *args: Any) -> float:
    """Seconds per call: the minimum over REPEAT runs of NUMBER calls."""
    func(*args)  # the first call fills the caches
    times = timeit.repeat("f(*args)", globals={"f": func, "args": args}, number=NUMBER,
                          repeat=REPEAT)
    return min(times) / NUMBER


def test_shapecontract_costs_at_most_a_tenth_of_jaxtyping_beartype(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SHAPECONTRACT_DISABLE", raising=False)  # read when @check decorates

    @jaxtyping.jaxtyped(typechecker=beartype.beartype)
    def with_jaxtyping(
        x: jaxtyping.Float[np.ndarray, "batch time feat"],
        y: jaxtyping.Float[np.ndarray, "batch 1"],
    ) -> jaxtyping.Float[np.ndarray, "batch time feat"]:
        return x

    @shapecontract.check
    def with_shapecontract(
        x: shapecontract.Float[shapecontract.Array, "batch time feat"],
        y: shapecontract.Float[shapecontract.Array, "batch 1"],
    ) -> shapecontract.Float[shapecontract.Array, "batch time feat"]:
        return x

    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 20, 3), dtype=np.float32)
    y = rng.standard_normal((8, 1), dtype=np.float32)
    # Both really check: a batch size that disagrees is refused by each.
    bad_y = rng.standard_normal((7, 1), dtype=np.float32)
    with pytest.raises(jaxtyping.TypeCheckError):
        with_jaxtyping(x, bad_y)
    with pytest.raises(shapecontract.ShapeContractError):
        with_shapecontract(x, bad_y)

    ratio = per_call(with_jaxtyping, x, y) / per_call(with_shapecontract, x, y)
    assert ratio >= 10, f"shapecontract is only {ratio:.1f}x cheaper than jaxtyping + beartype"

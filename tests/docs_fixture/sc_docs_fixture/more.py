"""Checked functions under ``from __future__ import annotations``: string annotations,
aliases of shape strings, unions, a renamed ``check`` and torch tensors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

import numpy as np

from shapecontract import Array, Float, Float64

from ._util import contract_check

if TYPE_CHECKING:
    import torch

STEPS = "batch steps"


@contract_check
def lengths(x: Float[Array, STEPS], y: Float[Array, "batch steps"] | None = None
            ) -> Float[Array, "batch"]:
    """A shape string held in a module constant, and an optional array."""
    return x.sum(axis=1)


@contract_check
def to_torch(x: "Float[torch.Tensor, 'batch time']", y: Union[Float64[Array, "batch 2"], None]  # noqa: UP007
             ) -> Float[torch.Tensor, "batch time+2"]:
    """A torch tensor in, through a quoted annotation."""
    return x


@contract_check
def either(x: Float[np.ndarray | torch.Tensor, "batch"]) -> Float[Array, "batch"]:
    """A contract whose array type is a union: its pipe must not split the table's cell."""
    return x

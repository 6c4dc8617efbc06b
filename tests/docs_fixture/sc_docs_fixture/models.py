"""Checked functions, written without ``from __future__ import annotations``.

This module is imported by the inspection test, so it needs numpy and shapecontract only.
"""

from typing import Optional

import jaxtyping as jt
import numpy as np
from jaxtyping import Float32

import shapecontract as sc
from shapecontract import Array, Float, Int, Shaped, check

Readings = Float[Array, "batch time feat"]
"""A contract alias: annotations that name it are documented as the contract it stands for."""


@check
def scale(x: Float[Array, "batch time feat"], y: Float[Array, "batch 1"]
          ) -> Float[Array, "batch time feat"]:
    """Scale each sequence by its own factor.

    Args:
        x: The sequences.
        y: One factor per sequence.

    Returns:
        The scaled sequences.
    """
    return x * y[:, :, None]


@sc.check
def flatten(x: Readings) -> Float[Array, "batch time*feat"]:
    return x.reshape(x.shape[0], -1)


@check
def pool(x: Float32[np.ndarray, "*batch channels"], w: "Float[Array, 'channels']"
         ) -> Float32[np.ndarray, "*batch"]:
    """Weight and sum the channels."""
    return (x * w).sum(axis=-1)


@check
def stack(*xs: Float[Array, "n feat"], scale: int = 1) -> Float[Array, "n feat"]:
    """Add equally shaped arrays."""
    return sum(xs) * scale


@check
def masked_mean(x: Float[Array, "batch time"], mask: Optional[Shaped[Array, "#batch time"]] = None  # noqa: UP045
                ) -> tuple[Float[Array, "batch"], int]:
    """The mean over time, where the mask is set."""
    weights = np.ones_like(x) if mask is None else mask.astype(x.dtype)
    return (x * weights).sum(axis=1) / weights.sum(axis=1), x.shape[1]


@check
def encode(x: Float[Array, "batch time feat=3"], extra: Float[Array, "batch _ ..."]
           ) -> Float[Array, "batch time feat+pad"]:
    """Pad the features; ``pad`` comes from a ``dims()`` block."""
    return x


@check
def classify(x: Int[Array, "batch feat"]) -> Float[Array, "batch classes"]:
    """Scores per class; nothing binds ``classes`` but the returned value."""
    return np.zeros((x.shape[0], 5))


class Model:
    """A model with checked methods."""

    @check
    def forward(self, x: Float[Array, "batch time feat"], steps: int = 1
                ) -> Float[Array, "batch hidden"]:
        """Run the model."""
        return x[:, 0, :]

    @staticmethod
    @check
    def prepare(x: jt.Float[Array, "batch time"]) -> Float[Array, "batch time 1"]:
        """Add a feature axis."""
        return x[:, :, None]


def unchecked(x: Float[Array, "batch"]) -> Float[Array, "batch"]:
    """Annotated, but not checked: no table."""
    return x

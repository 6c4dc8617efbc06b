"""Decorators called ``check`` that are not shapecontract's: no tables here."""

from __future__ import annotations

from other_library import check as other_check  # never imported: griffe reads source only

from shapecontract import Array, Float


def check(func):
    """A local decorator that happens to be called ``check``."""
    return func


@check
def local(x: Float[Array, "batch time"]) -> Float[Array, "batch"]:
    """Decorated by the local ``check``."""
    return x


@other_check
def other(x: Float[Array, "batch time"]) -> Float[Array, "batch"]:
    """Decorated by another library's ``check``."""
    return x

"""A package with a contract that does not parse (never imported: it would raise)."""

from shapecontract import Array, Float, check


@check
def broken(x: Float[Array, "batch ti,me"]) -> Float[Array, "batch"]:
    """Its contract separates axes with a comma."""
    return x


@check
def fine(x: Float[Array, "batch time"]) -> Float[Array, "batch"]:
    """A good contract beside the broken one."""
    return x.sum(axis=1)

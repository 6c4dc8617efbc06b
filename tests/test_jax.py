"""jax arrays and tracers (jit, vmap, grad) through the same Array type."""

from __future__ import annotations

import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

from shapecontract import Array, Float, ShapeContractError, check  # noqa: E402


@check
def scale(x: Float[Array, "b t f"], w: Float[Array, "b 1"]) -> Float[Array, "b t f"]:
    return x * w[:, :, None]


def test_jax_arrays_match_and_are_checked() -> None:
    assert isinstance(jnp.ones(3), Array)
    assert scale(jnp.ones((2, 3, 4)), jnp.ones((2, 1))).shape == (2, 3, 4)
    with pytest.raises(ShapeContractError) as info:
        scale(jnp.ones((2, 3, 4)), jnp.ones((3, 1)))
    assert (info.value.argument, info.value.expected, info.value.actual) == ("w", 2, 3)
    assert info.value.value == "float32[3, 1] (jax)"


def test_jax_dtype_hint_uses_jnp() -> None:
    with pytest.raises(ShapeContractError) as info:
        scale(jnp.ones((2, 3, 4), dtype=jnp.int32), jnp.ones((2, 1)))
    assert info.value.hint == "x.astype(jnp.float32)"


def test_tracers_inside_jit_vmap_and_grad_are_checked() -> None:
    assert jax.jit(scale)(jnp.ones((2, 3, 4)), jnp.ones((2, 1))).shape == (2, 3, 4)
    with pytest.raises(ShapeContractError, match="axis 0 'b'"):
        jax.jit(scale)(jnp.ones((2, 3, 4)), jnp.ones((3, 1)))
    batched = jax.vmap(lambda a: scale(a, jnp.ones((2, 1))))(jnp.ones((5, 2, 3, 4)))
    assert batched.shape == (5, 2, 3, 4)
    grad = jax.grad(lambda a: scale(a, jnp.ones((2, 1))).sum())(jnp.ones((2, 3, 4)))
    assert grad.shape == (2, 3, 4)

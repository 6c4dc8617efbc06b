"""Fix hints: one line of code, in the framework of the value that failed.

Only the failure path comes here. ``expected`` is the shape the contract asks for given
the sizes bound before the failing value, with None for the axes nothing has bound.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._array import framework_of, is_array, shape_of

Expected = tuple["int | None", ...]
Fits = Callable[[tuple[int, ...]], bool]

_TORCH_CASTS = {"float32": "float()", "float64": "double()", "int64": "long()",
                "int32": "int()", "bool": "bool()", "float16": "half()"}


def _args(values: Sequence[int]) -> str:
    return ", ".join(str(v) for v in values)


def _tuple(values: Sequence[Any]) -> str:
    return f"({_args(values)},)" if len(values) == 1 else f"({_args(values)})"


def reshape(fw: str, var: str, shape: Sequence[int]) -> str:
    if fw == "tensorflow":
        return f"tf.reshape({var}, {_tuple(shape)})"
    if fw == "keras":
        return f"keras.ops.reshape({var}, {_tuple(shape)})"
    return f"{var}.reshape({_args(shape)})"


def permute(fw: str, var: str, perm: Sequence[int]) -> str:
    if fw == "torch":
        return f"{var}.permute({_args(perm)})"
    if fw == "tensorflow":
        return f"tf.transpose({var}, perm={list(perm)})"
    if fw == "keras":
        return f"keras.ops.transpose({var}, {_tuple(perm)})"
    return f"{var}.transpose({_args(perm)})"


def expand(fw: str, var: str, axis: int) -> str:
    if fw == "torch":
        return f"{var}.unsqueeze({axis})"
    if fw == "tensorflow":
        return f"tf.expand_dims({var}, {axis})"
    if fw == "keras":
        return f"keras.ops.expand_dims({var}, {axis})"
    return f"{var}[None]" if axis == 0 else f"{var}[{':, ' * axis}None]"


def squeeze(fw: str, var: str, axis: int) -> str:
    if fw == "tensorflow":
        return f"tf.squeeze({var}, axis={axis})"
    if fw == "keras":
        return f"keras.ops.squeeze({var}, axis={axis})"
    return f"{var}.squeeze({axis})"


def cast(fw: str, var: str, dtype: str) -> str:
    if fw == "torch":
        method = _TORCH_CASTS.get(dtype)
        return f"{var}.{method}" if method else f"{var}.to(torch.{dtype})"
    if fw == "tensorflow":
        return f"tf.cast({var}, tf.{dtype})"
    if fw == "keras":
        return f'keras.ops.cast({var}, "{dtype}")'
    if fw == "jax":
        return f"{var}.astype(jnp.{dtype})"
    return f"{var}.astype(np.{dtype})"


def pad(fw: str, var: str, rank: int, axis: int, amount: int) -> str:
    pairs = [(0, amount) if i == axis else (0, 0) for i in range(rank)]
    if fw == "torch":  # torch lists (before, after) from the last axis backwards
        flat = [v for pair in reversed(pairs[axis:]) for v in pair]
        return f"torch.nn.functional.pad({var}, {_tuple(flat)})"
    nested = _tuple([f"({a}, {b})" for a, b in pairs])
    if fw == "tensorflow":
        return f"tf.pad({var}, {nested})"
    if fw == "keras":
        return f"keras.ops.pad({var}, {nested})"
    if fw == "jax":
        return f"jnp.pad({var}, {nested})"
    return f"np.pad({var}, {nested})"


def crop(var: str, axis: int, size: int) -> str:
    return f"{var}[{':, ' * axis}:{size}]"


def _known(shape: Sequence[int | None] | None) -> tuple[int, ...] | None:
    """The shape if every size is known: a rearranging hint must not rest on a guess."""
    if shape is None or any(d is None for d in shape):
        return None
    return tuple(d for d in shape if d is not None)


def rank_hint(value: Any, var: str, expected: Expected, roles: Mapping[int, str],
              fits: Fits) -> str | None:
    """A rank mismatch: squeeze or add an axis where that fits, else reshape by element count.

    ``fits`` says whether a candidate shape passes the whole contract (repeated names and
    arithmetic included), so every hint offered is one that works.
    """
    fw = framework_of(value) or "numpy"
    actual = _known(shape_of(value))
    if actual is None:
        return None
    if len(actual) == len(expected) - 1:
        spots = [k for k in range(len(expected)) if fits((*actual[:k], 1, *actual[k:]))]
        if len(spots) == 1:
            return expand(fw, var, spots[0])
        if len(spots) > 1:
            options = [f"{expand(fw, var, k)} {_as_role(roles.get(k), k)}" for k in spots[:2]]
            return " or ".join(options)
    if len(actual) == len(expected) + 1:
        for k, size in enumerate(actual):
            if size == 1 and fits((*actual[:k], *actual[k + 1:])):
                return squeeze(fw, var, k)
    return reshape_hint(value, var, expected, fits)


def reshape_hint(value: Any, var: str, expected: Expected, fits: Fits) -> str | None:
    """A reshape to the expected shape, its one unknown size taken from the element count."""
    actual = _known(shape_of(value))
    if actual is None:
        return None
    shape = _reshaped(actual, expected)
    fw = framework_of(value) or "numpy"
    return reshape(fw, var, shape) if shape is not None and fits(shape) else None


def _as_role(role: str | None, axis: int) -> str:
    return {
        "batch": "(if this is one sample: a batch of 1)",
        "time": "(if these are single steps: sequences of length 1)",
    }.get(role or "", f"(a new axis {axis} of size 1)")


def _reshaped(actual: tuple[int, ...], expected: Expected) -> tuple[int, ...] | None:
    """The expected shape with its one unknown size filled in from the element count."""
    total = math.prod(actual)
    known = [e for e in expected if e is not None]
    unknown = len(expected) - len(known)
    known_total = math.prod(known)
    if unknown > 1 or known_total == 0:
        return None
    if unknown == 0:
        return tuple(known) if total == known_total else None
    if total % known_total:
        return None
    return tuple(e if e is not None else total // known_total for e in expected)


def size_hint(value: Any, var: str, expected: Expected, axis: int, role: str | None,
              fits: Fits) -> str | None:
    """A size mismatch: permute when the shape is a permutation, pad or crop a time axis."""
    fw = framework_of(value) or "numpy"
    actual = shape_of(value)
    if actual is None:
        return None
    known = _known(actual)
    # Two sizes pinned at least: with fewer, "a permutation fits" says little.
    pinned = sum(e is not None for e in expected) >= 2
    perm = _permutation(known, fits) if known is not None and pinned else None
    if perm is not None:
        return permute(fw, var, perm)
    want, got = expected[axis], actual[axis]
    if role == "time" and want is not None and got is not None:
        if got < want:
            return f"{pad(fw, var, len(actual), axis, want - got)} (or fix the windowing)"
        return f"{crop(var, axis, want)} (or fix the windowing)"
    return None


def _permutation(actual: tuple[int, ...], fits: Fits) -> tuple[int, ...] | None:
    """The permutation with the fewest moved axes that makes the shape fit, if any."""
    rank = len(actual)
    if rank > 6:
        return None
    best: tuple[int, ...] | None = None
    for perm in itertools.permutations(range(rank)):
        moved = sum(p != i for i, p in enumerate(perm))
        if moved == 0 or (best is not None and moved >= sum(p != i for i, p in enumerate(best))):
            continue
        if fits(tuple(actual[p] for p in perm)):
            best = perm
    return best


def dtype_hint(value: Any, var: str, dtype: str | None) -> str | None:
    if dtype is None:
        return None
    return cast(framework_of(value) or "numpy", var, dtype)


def type_hint(value: Any, var: str, dtype: str | None, steps: int | None = None) -> str | None:
    """A non-array: stack or pad a list of arrays, convert a list of numbers."""
    if not isinstance(value, (list, tuple)) or not value:
        return None
    target = dtype or "float32"
    if all(is_array(v) for v in value):
        fw = framework_of(value[0]) or "numpy"
        shapes = {shape_of(v) for v in value}
        if len(shapes) == 1:
            return {"torch": f"torch.stack({var})", "tensorflow": f"tf.stack({var})",
                    "jax": f"jnp.stack({var})"}.get(fw, f"np.stack({var})")
        if fw == "torch":
            return f"torch.nn.utils.rnn.pad_sequence({var}, batch_first=True)"
        maxlen = f"maxlen={steps}, " if steps is not None else ""
        return (f'keras.utils.pad_sequences({var}, {maxlen}dtype="{target}", padding="post") '
                f"(pass dtype: it defaults to int32, which truncates float features)")
    if all(isinstance(v, (int, float, bool)) for v in value):
        return f"np.asarray({var}, dtype=np.{target})"
    return None


"""The cross-framework ``Array`` type, found through ``sys.modules``.

No framework is imported here: a torch tensor can only exist once torch is imported, so
looking torch up in ``sys.modules`` when such a value arrives is enough (einops does the same).
Everything here reads ``.shape``, ``.dtype`` and ``.device`` only, never the data.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

Shape = tuple["int | None", ...]

# Types known to be arrays, and to which framework they belong. The compiled checks read
# ``ARRAY_TYPES`` directly: one set lookup per argument on the fast path.
ARRAY_TYPES: set[type] = set()
# Shape types that index slowly (tensorflow's TensorShape: each len() and [i] runs Python
# code), with the method that turns one into a list once per check.
SHAPE_TO_LIST: dict[type, Callable[[Any], list[int | None]]] = {}
_FRAMEWORK: dict[type, str] = {}
_NOT_ARRAYS: set[type] = set()


def _attr(module: str, *path: str) -> Any:
    obj: Any = sys.modules.get(module)
    for name in path:
        if obj is None:
            return None
        obj = getattr(obj, name, None)
    return obj


def _torch_types() -> tuple[type, ...]:
    return tuple(t for t in (_attr("torch", "Tensor"),) if isinstance(t, type))


def _tensorflow_types() -> tuple[type, ...]:
    found = (_attr("tensorflow", "Tensor"), _attr("tensorflow", "Variable"))
    return tuple(t for t in found if isinstance(t, type))


def _keras_types() -> tuple[type, ...]:
    found = (_attr("keras", "KerasTensor"), _attr("keras", "Variable"))
    return tuple(t for t in found if isinstance(t, type))


def _jax_types() -> tuple[type, ...]:
    # Tracers (inside jit, vmap, grad) pass isinstance(x, jax.Array) but are no subclass of it.
    found = (_attr("jax", "Array"), _attr("jax", "core", "Tracer"))
    return tuple(t for t in found if isinstance(t, type))


def _numpy_types() -> tuple[type, ...]:
    return tuple(t for t in (_attr("numpy", "ndarray"),) if isinstance(t, type))


# Order matters: a Keras variable on the tensorflow backend is a keras object first.
_DETECTORS: tuple[tuple[str, Callable[[], tuple[type, ...]]], ...] = (
    ("numpy", _numpy_types),
    ("torch", _torch_types),
    ("keras", _keras_types),
    ("tensorflow", _tensorflow_types),
    ("jax", _jax_types),
)


def framework_of_type(tp: type) -> str | None:
    """The framework an array type belongs to, or None for anything that is not an array."""
    known = _FRAMEWORK.get(tp)
    if known is not None or tp in _NOT_ARRAYS:
        return known
    for name, types in _DETECTORS:
        candidates = types()
        if candidates and issubclass(tp, candidates):
            _FRAMEWORK[tp] = name
            ARRAY_TYPES.add(tp)
            tensor_shape = _attr("tensorflow", "TensorShape")
            as_list = _attr("tensorflow", "TensorShape", "as_list")
            if name == "tensorflow" and isinstance(tensor_shape, type) and callable(as_list):
                SHAPE_TO_LIST[tensor_shape] = as_list
            return name
    if len(_NOT_ARRAYS) < 1024:
        _NOT_ARRAYS.add(tp)
    return None


def framework_of(value: object) -> str | None:
    return framework_of_type(type(value))


def is_array(value: object) -> bool:
    tp = type(value)
    return tp in ARRAY_TYPES or framework_of_type(tp) is not None


class _ArrayMeta(type):
    def __instancecheck__(cls, value: object) -> bool:
        return is_array(value)

    def __subclasscheck__(cls, tp: type) -> bool:
        return tp is cls or framework_of_type(tp) is not None


if TYPE_CHECKING:
    # To a static checker an Array is anything: numpy, torch and tensorflow share no base.
    Array = Any
else:

    class Array(metaclass=_ArrayMeta):
        """Any array: numpy, torch, tensorflow (eager, symbolic, variables), Keras, jax.

        Used as the array type of a contract: ``Float[Array, "batch time feat"]``.
        """

        def __new__(cls, *args: object, **kwargs: object) -> None:
            raise TypeError("Array is a type for annotations; it has no instances of its own")


def shape_of(value: Any) -> Shape | None:
    """The value's shape as a tuple of ints, None for unknown sizes; None for unknown rank."""
    shape = value.shape
    if type(shape) is tuple:
        return shape
    if getattr(shape, "rank", 0) is None:  # tensorflow TensorShape of unknown rank
        return None
    try:
        return tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        return None


def dtype_name(value: Any) -> str:
    """The dtype as jaxtyping names it ("float32", "int64", "bool"), for any framework."""
    dtype = value.dtype
    if isinstance(dtype, str):  # Keras tensors carry the name itself
        return dtype
    as_numpy = getattr(dtype, "as_numpy_dtype", None)  # tensorflow
    if as_numpy is not None and not hasattr(dtype, "type"):
        return str(getattr(as_numpy, "__name__", dtype.name))
    scalar = getattr(dtype, "type", None)  # numpy, jax
    if scalar is not None and hasattr(scalar, "__name__"):
        return str(scalar.__name__)
    return repr(dtype).rsplit(".", 1)[-1]  # torch.float32 -> float32


def describe(value: Any) -> str:
    """A short description that never shows data: ``float64[144000, 3] (numpy)``."""
    framework = framework_of(value)
    if framework is None:
        return describe_non_array(value)
    shape = shape_of(value)
    if shape is None:
        dims = "unknown rank"
    else:
        dims = ", ".join("?" if d is None else str(d) for d in shape)
    notes = [framework]
    device = getattr(value, "device", None)
    if framework == "torch" and device is not None and str(device) != "cpu":
        notes.append(str(device))
    if framework in ("tensorflow", "keras") and _is_symbolic(value):
        notes.append("symbolic")
    return f"{dtype_name(value)}[{dims}] ({', '.join(notes)})"


def _is_symbolic(value: Any) -> bool:
    return type(value).__name__ in ("SymbolicTensor", "KerasTensor", "Tensor")


def describe_non_array(value: object) -> str:
    """What a non-array is, in a few words: ``list of 100 numpy arrays, shapes (1203, 3) ...``."""
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        kind = type(value).__name__
        if not value:
            return f"an empty {kind}"
        inner = [v for v in value if is_array(v)]
        if len(inner) == len(value):
            shapes = sorted({shape_of(v) or () for v in inner}, key=lambda s: [d or 0 for d in s])
            what = "/".join(sorted({framework_of(v) or "" for v in inner}))
            if len(shapes) == 1:
                return f"a {kind} of {len(value)} {what} arrays of shape {shapes[0]}"
            return (f"a {kind} of {len(value)} {what} arrays of {len(shapes)} different shapes, "
                    f"from {shapes[0]} to {shapes[-1]}")
        return f"a {kind} of {len(value)} {type(value[0]).__name__} values"
    if type(value) in (int, float, complex, bool):
        return f"a Python {type(value).__name__} ({value!r})"
    if getattr(value, "shape", None) == () and hasattr(value, "dtype"):
        return f"a {type(value).__module__}.{type(value).__qualname__} scalar"
    return f"a {type(value).__module__}.{type(value).__qualname__}"

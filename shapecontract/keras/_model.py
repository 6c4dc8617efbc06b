"""What a Keras model or layer expects: its input and output signatures, read without data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._boundary import contract_from
from .._contract import Contract

Shape = tuple["int | None", ...]


@dataclass(frozen=True)
class Signature:
    """One input or output of a model: its name, shape (None where free) and dtype.

    ``source`` says where the sizes come from, in words, for errors: ``model 'forecaster'
    input (None, 1440, 3)``.
    """

    name: str
    shape: Shape
    dtype: str
    source: str
    # A Dense kernel fixes only the last axis: any number of axes may come before it.
    open_rank: bool = False


class ModelError(ValueError):
    """A model or layer that shapecontract cannot read a contract from, and why."""


def describe_model(obj: Any) -> str:
    import keras

    kind = "model" if isinstance(obj, keras.Model) else "layer"
    return f"{kind} '{getattr(obj, 'name', type(obj).__name__)}'"


def shape_text(shape: Shape) -> str:
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _dtype_text(dtype: Any) -> str:
    name = getattr(dtype, "name", dtype)
    return str(name)


def _from_tensor(owner: Any, tensor: Any, role: str) -> Signature:
    shape: Shape = tuple(None if s is None else int(s) for s in tensor.shape)
    where = f"{describe_model(owner)} {role} {shape_text(shape)}"
    if shape and shape[0] is not None and role == "input":
        # Only keras.Input(batch_size=...) fixes the batch; a fixed one here means the model
        # was built by calling it on one batch, which records that batch's whole shape. Of
        # that, only the feature axis is a real requirement (the kernel was built for it).
        shape = (None,) * (len(shape) - 1) + shape[-1:]
        where = f"{describe_model(owner)} kernel, built for {shape[-1]} features"
    name = str(getattr(tensor, "name", role))
    return Signature(name, shape, _dtype_text(tensor.dtype), where)


def _check_kind(obj: Any) -> None:
    import keras

    if not isinstance(obj, (keras.Model, keras.layers.Layer)):
        raise TypeError(
            f"expected a Keras model or layer, got {type(obj).__module__}."
            f"{type(obj).__qualname__}"
        )


def input_signatures(obj: Any) -> list[Signature]:
    """The inputs of a built model, else what its first layer was built for."""
    _check_kind(obj)
    inputs = _symbolic(obj, "inputs")
    if inputs:
        return [_from_tensor(obj, t, "input") for t in inputs]
    layer = obj if not _sublayers(obj) else _sublayers(obj)[0]
    found = _layer_signature(layer, owner=obj)
    if found is None:
        raise ModelError(
            f"{describe_model(obj)} is not built, so nothing says what it expects: start it "
            f"with keras.Input(shape), call model.build((None, time, features)), or build its "
            f"first layer with shapecontract.keras.LSTM(contract, units, ...)"
        )
    return [found]


def output_signatures(obj: Any) -> list[Signature] | None:
    """The outputs of a model with symbolic outputs; None where only a call would tell."""
    _check_kind(obj)
    outputs = _symbolic(obj, "outputs")
    if not outputs:
        return None
    return [_from_tensor(obj, t, "output") for t in outputs]


def _symbolic(obj: Any, attr: str) -> list[Any]:
    try:
        found = getattr(obj, attr)
    except (AttributeError, ValueError):  # Sequential without inputs raises AttributeError
        return []
    return list(found) if isinstance(found, (list, tuple)) else []


def _sublayers(obj: Any) -> list[Any]:
    import keras

    if not isinstance(obj, keras.Model):
        return []
    return [la for la in obj.layers if type(la).__name__ != "InputLayer"]


def _layer_signature(layer: Any, owner: Any) -> Signature | None:
    """What one layer accepts: from an input spec with sizes (ours), else its built kernel."""
    import keras

    spec = getattr(layer, "input_spec", None)
    spec = spec[0] if isinstance(spec, (list, tuple)) and spec else spec
    if isinstance(spec, keras.layers.InputSpec) and spec.ndim and (spec.axes or spec.shape):
        shape = list(spec.shape or (None,) * spec.ndim)
        for axis, size in (spec.axes or {}).items():
            shape[axis] = size
        shape[0] = None
        where = f"{describe_model(layer)} input spec {shape_text(tuple(shape))}"
        return Signature(layer.name, tuple(shape), spec.dtype or "float32", where)
    cell = getattr(layer, "cell", None)
    kernel = getattr(cell if cell is not None else layer, "kernel", None)
    if kernel is None or not getattr(layer, "built", False):
        return None
    features = int(kernel.shape[-2])
    where = f"{describe_model(layer)} kernel, built for {features} features"
    if cell is not None or isinstance(layer, keras.layers.Conv1D):
        return Signature(layer.name, (None, None, features), "float32", where)
    return Signature(layer.name, (None, features), "float32", where, open_rank=True)


def pick(signatures: list[Signature], name: str | None, obj: Any, role: str) -> Signature:
    if name is not None:
        for sig in signatures:
            if sig.name == name:
                return sig
        names = ", ".join(repr(s.name) for s in signatures)
        raise ModelError(f"{describe_model(obj)} has no {role} named {name!r}; its {role}s: "
                         f"{names}")
    if len(signatures) > 1:
        names = ", ".join(repr(s.name) for s in signatures)
        output = "output=True, " if role == "output" else ""
        raise ModelError(
            f"{describe_model(obj)} has {len(signatures)} {role}s ({names}); name one: "
            f"contract_of(model, {output}name={signatures[0].name!r})"
        )
    return signatures[0]


def marker_for(dtype: str) -> str:
    if dtype.startswith(("float", "bfloat")):
        return "Float"
    if dtype.startswith(("int", "uint")):
        return "Int"
    return "Bool" if dtype == "bool" else "Shaped"


def axis_names(shape: Shape, prefix: str = "") -> list[str]:
    """Role names for a signature's axes: ``batch time feat``, ``batch feat``, ``batch d1 ...``."""
    rank = len(shape)
    if rank == 1:
        return ["batch"]
    middle = ["time"] if rank == 3 else [f"d{i}" for i in range(1, rank - 1)]
    return ["batch", *(prefix + m for m in middle), prefix + "feat"]


def signature_contract(sig: Signature) -> Contract:
    """The contract a user would write: free axes named, fixed ones as numbers."""
    if sig.open_rank:
        return contract_from(f"batch *axes {sig.shape[-1]}", marker_for(sig.dtype))
    names = axis_names(sig.shape)
    tokens = [n if s is None or i == 0 else str(s) for i, (n, s) in enumerate(zip(names,
                                                                                  sig.shape))]
    return contract_from(" ".join(tokens), marker_for(sig.dtype))


def contract_of(model_or_layer: Any, *, output: bool = False, name: str | None = None
                ) -> Contract:
    """The contract a built Keras model or layer expects, as a user would write it.

    ``contract_of(model)`` reads the model's input (``Float[Array, "batch 1440 3"]``);
    ``output=True`` its output, the contract labels must meet. A model with several inputs
    or outputs needs ``name=``. A model without symbolic inputs (subclassed, or not built)
    is read from its first layer's input spec or built kernel, which fixes the features.
    """
    if output:
        outputs = output_signatures(model_or_layer)
        if outputs is None:
            raise ModelError(
                f"{describe_model(model_or_layer)} has no symbolic outputs (a subclassed or "
                f"unbuilt model), so its output contract is unknown; build it from keras.Input"
            )
        return signature_contract(pick(outputs, name, model_or_layer, "output"))
    return signature_contract(pick(input_signatures(model_or_layer), name, model_or_layer,
                                   "input"))

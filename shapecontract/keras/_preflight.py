"""``preflight``: the data against a built Keras model, before ``fit`` sees it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._array import dtype_name, is_array, shape_of
from .._boundary import check_values, contract_from, refuse_unknown_sizes, with_details
from .._contract import Contract
from .._errors import ShapeContractError
from ._model import (
    ModelError,
    Signature,
    axis_names,
    describe_model,
    input_signatures,
    marker_for,
    output_signatures,
    shape_text,
)

Fixed = dict[str, tuple[Any, str]]


def input_prefix(sig: Signature, count: int) -> str:
    """What the axis names of one of ``count`` inputs start with: ``seq_time`` for input
    'seq' of several, plain ``time`` for a model's only input."""
    return f"{sig.name}_" if count > 1 else ""


def output_prefix(index: int, count: int) -> str:
    """The same for outputs, whose names never meet x's: ``out_feat``, ``out1_feat``."""
    return f"out{index}_" if count > 1 else "out_"


def named_contract(sig: Signature, prefix: str, fixed: Fixed) -> Contract:
    """The signature as a contract with every axis named, its fixed sizes put in ``fixed``.

    Named axes make errors say ``axis 1 'time' ... (set by model 'm' input (None, 1440, 3))``;
    ``batch`` is shared by every input and output, so x and y must agree on it.
    """
    names = axis_names(sig.shape, prefix)
    for name, size in zip(names[1:], sig.shape[1:]):
        if size is not None:
            fixed[name] = (size, sig.source)
    if sig.open_rank:
        names = ["batch", f"*{prefix}axes", names[-1]]
    return contract_from(" ".join(names), marker_for(sig.dtype))


def _pair(value: Any, sigs: list[Signature], keys: list[str], label: str, model: Any
          ) -> list[tuple[str, Signature, Any]]:
    """Match x (or y) to the model's inputs (or outputs): one value, a dict or a list."""
    role = "input" if label == "x" else "output"
    if len(sigs) == 1:
        if isinstance(value, (list, tuple)) and len(value) == 1 and is_array(value[0]):
            value = value[0]
        elif isinstance(value, Mapping) and len(value) == 1:
            value = next(iter(value.values()))
        return [(label, sigs[0], value)]
    if isinstance(value, Mapping):
        missing = [k for k in keys if k not in value]
        extra = [k for k in value if k not in keys]
        if missing or extra:
            raise ModelError(
                f"preflight(): {label} has the keys {sorted(map(str, value))}, but "
                f"{describe_model(model)}'s {role}s are named {keys}"
            )
        return [(f"{label}[{k!r}]", s, value[k]) for k, s in zip(keys, sigs)]
    if isinstance(value, (list, tuple)) and len(value) == len(sigs):
        return [(f"{label}[{i}]", s, v) for i, (s, v) in enumerate(zip(sigs, value))]
    raise ModelError(
        f"preflight(): {describe_model(model)} has {len(sigs)} {role}s ({', '.join(keys)}); "
        f"pass {label} as a dict keyed by those names or a list in that order"
    )


def _loss_name(model: Any) -> str | None:
    loss = getattr(model, "loss", None)
    if loss is None:
        return None
    if isinstance(loss, str):
        return loss
    fn = getattr(loss, "fn", None)
    return str(getattr(fn, "__name__", None) or type(loss).__name__)


def _label_contract(sig: Signature, y: Any, model: Any, prefix: str, fixed: Fixed
                    ) -> tuple[Contract, tuple[str, ...]]:
    """The contract labels must meet for one output, and notes for when they do not."""
    full = named_contract(sig, prefix, fixed)
    shape = shape_of(y) if is_array(y) else None
    out_rank = len(sig.shape)
    if shape is None or sig.open_rank:
        return full, ()
    dims = full.dims.split()
    loss = _loss_name(model)
    sparse = (dtype_name(y).startswith(("int", "uint")) and sig.shape[-1] != 1
              and (loss is None or "sparse" in loss.lower()))
    # (n, 1) labels for an (n, t, 1) output are one label per sequence, not per step: held
    # to the full contract below, so the broadcast gets its note.
    per_sequence = out_rank == 3 and len(shape) == 2 and shape[1] == 1 and sig.shape[1] != 1
    if len(shape) == out_rank - 1 and (sig.shape[-1] == 1 or sparse) and not per_sequence:
        # Keras expands labels by one trailing axis; sparse labels are class indices.
        return contract_from(" ".join(dims[:-1]), "Shaped"), ()
    if sparse and len(shape) == out_rank and shape[-1] == 1:
        return contract_from(" ".join([*dims[:-1], "1"]), "Shaped"), ()
    notes: tuple[str, ...] = ()
    if len(shape) < out_rank and out_rank == 3:
        notes = (f"the model outputs one value per time step {shape_text(sig.shape)}: a loss would "
                 f"broadcast these labels against it without a word; give labels per step, or "
                 f"drop return_sequences=True from the last recurrent layer",)
    elif len(shape) > out_rank and len(shape) == 3:
        notes = (f"the labels have a time axis but the model outputs one value per sequence "
                 f"{shape_text(sig.shape)}: set return_sequences=True on the last recurrent layer, "
                 f"or give one label per sequence",)
    return contract_from(full.dims, "Shaped"), notes


def preflight(model: Any, x: Any, y: Any = None, /, **sizes: int) -> dict[str, Any]:
    """Check ``x`` (and ``y``) against what a built Keras model expects, before ``fit``.

    x must meet the model's input contract (rank, time length, features, dtype) and y its
    output contract, with one batch size across both. Raises ShapeContractError naming the
    argument, the axis, the size the model fixed and a fix; returns the sizes bound. A
    ``tf.data.Dataset`` as x is checked by
    [`check_dataset`][shapecontract.keras.check_dataset], without iterating.
    """
    if type(x).__module__.startswith("tensorflow") and hasattr(x, "element_spec"):
        from ._dataset import check_dataset

        if y is not None:
            raise ValueError("preflight(): x is a tf.data.Dataset, which carries its labels; "
                             "pass y=None")
        return check_dataset(x, model, **sizes)
    inputs = input_signatures(model)
    fixed: Fixed = {}
    values: list[tuple[str, Contract, Any]] = []
    for label, sig, value in _pair(x, inputs, [s.name for s in inputs], "x", model):
        values.append((label, named_contract(sig, input_prefix(sig, len(inputs)), fixed),
                       value))
    notes: dict[str, tuple[str, ...]] = {}
    if y is not None:
        outputs = output_signatures(model)
        if outputs is None:
            # A subclassed model states no output: still hold y to x's batch size.
            y_values = [("y", contract_from("batch ...", "Shaped"), y)]
        else:
            keys = list(getattr(model, "output_names", None) or [s.name for s in outputs])
            y_values = []
            for i, (label, sig, value) in enumerate(_pair(y, outputs, keys, "y", model)):
                contract, notes[label] = _label_contract(
                    sig, value, model, output_prefix(i, len(outputs)), fixed)
                y_values.append((label, contract, value))
        values.extend(y_values)
    refuse_unknown_sizes("preflight", sizes, [contract for _, contract, _ in values])
    try:
        return check_values("preflight", values, fixed=fixed, sizes=sizes)
    except ShapeContractError as error:
        extra = notes.get(error.argument or "", ())
        if error.kind == "dtype" and str(error.actual).startswith("int") and \
                error.expected == "Float":
            extra = (*extra, "if x came from keras.utils.pad_sequences, pad again with "
                     "dtype=\"float32\": its default int32 has already cut float features to "
                     "integers")
        raise with_details(error, extra) from None

"""tf.data datasets against a model's contracts, read from ``element_spec``, never iterated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._boundary import contract_from, refuse_unknown_sizes, start_bindings
from .._contract import Contract
from .._errors import ShapeContractError
from .._match import Bindings, _error, _rank_fits, _shape_text, bind_shape
from ._model import describe_model, input_signatures, output_signatures
from ._preflight import Fixed, input_prefix, named_contract, output_prefix

Shape = tuple["int | None", ...]


def _spec_shape(spec: Any) -> Shape | None:
    shape = spec.shape
    if shape.rank is None:
        return None
    return tuple(shape.as_list())


def _spec_dtype(spec: Any) -> str:
    return str(spec.dtype.name)


def _spec_text(spec: Any) -> str:
    shape = _spec_shape(spec)
    dims = "unknown rank" if shape is None else _shape_text(shape)
    return f"{type(spec).__name__}{dims} {_spec_dtype(spec)}"


def _is_spec(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and \
        type(value).__name__.endswith("Spec")


def _targets(model_or_contract: Any, sizes: dict[str, Any], function: str
             ) -> tuple[list[tuple[str, Contract]], list[tuple[str, Contract]], Fixed, str]:
    """The x contracts and y contracts (label, contract) to hold a dataset to."""
    import keras

    fixed: Fixed = {}
    if isinstance(model_or_contract, (keras.Model, keras.layers.Layer)):
        inputs = input_signatures(model_or_contract)
        xs = [(s.name, named_contract(s, input_prefix(s, len(inputs)), fixed)) for s in inputs]
        outputs = output_signatures(model_or_contract) or []
        ys = [(s.name, named_contract(s, output_prefix(i, len(outputs)), fixed))
              for i, s in enumerate(outputs)]
        owner = describe_model(model_or_contract)
    elif isinstance(model_or_contract, tuple) and len(model_or_contract) == 2:
        xs, ys = [("x", Contract.of(model_or_contract[0]))], [("y", Contract.of(
            model_or_contract[1]))]
        owner = "the contracts"
    else:
        xs, ys, owner = [("x", Contract.of(model_or_contract))], [], "the contract"
    refuse_unknown_sizes(function, sizes, [c for _, c in xs + ys])
    return xs, ys, fixed, owner


def _split(spec: Any, n_inputs: int) -> tuple[Any, Any]:
    """An element spec as (x, y): ``(x, y)`` and ``(x, y, weights)`` tuples, else x alone."""
    several_inputs = n_inputs > 1 and len(spec) == n_inputs and all(map(_is_spec, spec)) \
        if isinstance(spec, tuple) else False
    if isinstance(spec, tuple) and len(spec) in (2, 3) and not several_inputs:
        return spec[0], spec[1]
    return spec, None


def _pairs(spec: Any, targets: list[tuple[str, Contract]], label: str, function: str
           ) -> list[tuple[str, Contract, Any]]:
    if len(targets) == 1:
        if isinstance(spec, Mapping) and len(spec) == 1:
            spec = next(iter(spec.values()))
        return [(label, targets[0][1], spec)]
    names = [n for n, _ in targets]
    if isinstance(spec, Mapping) and sorted(spec) == sorted(names):
        return [(f"{label}[{n!r}]", c, spec[n]) for n, c in targets]
    if isinstance(spec, tuple) and len(spec) == len(targets):
        return [(f"{label}[{i}]", c, s) for i, ((_, c), s) in enumerate(zip(targets, spec))]
    raise ValueError(f"{function}(): the dataset's {label} is {spec!r}, but the model has "
                     f"{len(targets)} of them, named {names}: yield a dict with those keys")


def _unbatched(contract: Contract) -> Contract:
    """The contract of one sample: the batch axis dropped."""
    dims = [a.token for i, a in enumerate(contract.axes) if i != contract.batch]
    return contract_from(" ".join(dims), contract.dtype_marker)


def check_dataset(dataset: Any, model_or_contract: Any, /, **sizes: int) -> dict[str, Any]:
    """Check a ``tf.data`` dataset's ``element_spec`` against a model (or contract).

    Nothing is iterated: the check reads the spec's shapes and dtypes, so it costs
    microseconds whatever the dataset's size. Elements may be ``x``, ``(x, y)`` or ``(x, y,
    weights)``, with dicts or tuples for several inputs. ``model_or_contract`` is a built
    Keras model, a contract for x, or a pair of contracts ``(x, y)``. Raises
    ShapeContractError for an unbatched dataset, a ragged spec where dense batches are
    needed, a wrong rank, size or dtype; returns the sizes bound.
    """
    return _check(dataset, model_or_contract, sizes, batched=True, function="check_dataset")


def _check(dataset: Any, model_or_contract: Any, sizes: dict[str, Any], *, batched: bool,
           function: str) -> dict[str, Any]:
    spec = getattr(dataset, "element_spec", None)
    if spec is None:
        raise TypeError(f"{function}(): expected a tf.data.Dataset, got "
                        f"{type(dataset).__module__}.{type(dataset).__qualname__}")
    xs, ys, fixed, owner = _targets(model_or_contract, sizes, function)
    x_spec, y_spec = _split(spec, len(xs))
    pairs = _pairs(x_spec, xs, "x", function)
    if ys and y_spec is not None:
        pairs += _pairs(y_spec, ys, "y", function)
    bindings = start_bindings(function, fixed, sizes)
    for label, contract, item in pairs:
        try:
            _check_spec(function, label, contract if batched else _unbatched(contract), item,
                        bindings, owner, batched)
        except ShapeContractError as error:
            raise error.with_traceback(None) from None
    return dict(bindings.sizes)


def _check_spec(function: str, label: str, contract: Contract, spec: Any, bindings: Bindings,
                owner: str, batched: bool) -> None:
    what = f"{function}(): the dataset's {label} ({_spec_text(spec)})"
    if not _is_spec(spec):
        raise _error("type", function, label, None, None, "a TensorSpec", type(spec).__name__,
                     None, None, None, contract,
                     f"{what} is not a tensor spec, where {owner} needs {contract}")
    shape = _spec_shape(spec)
    ragged = type(spec).__name__ == "RaggedTensorSpec"
    if ragged:
        hint = ("dataset.map(lambda x, y: (x.to_tensor(), y))" if shape is not None and
                len(shape) == len(contract.axes) else "dataset.padded_batch(batch_size) on "
                "dense variable-length elements, or shapecontract.keras.batch(dataset, model, "
                "batch_size)")
        raise _error("type", function, label, None, None, "a dense TensorSpec", "ragged",
                     None, hint, None, contract,
                     f"{what} is ragged, but {owner} takes dense tensors: pad the sequences "
                     f"with padded_batch, which pads each batch to its longest element")
    if shape is not None and not _rank_fits(contract, len(shape)):
        if batched and len(shape) == len(contract.axes) - 1:
            raise _error(
                "rank", function, label, None, None, len(contract.axes), len(shape), None,
                "shapecontract.keras.batch(dataset, model, batch_size)", None, contract,
                f"{what} holds single samples: the dataset is not batched, and {owner} takes "
                f"batches {contract}; batch it (padded_batch where lengths vary)",
            )
        raise _error("rank", function, label, None, None, len(contract.axes), len(shape), None,
                     None, None, contract,
                     f"{what} has {len(shape)} axes, but {owner} needs {len(contract.axes)}: "
                     f"{contract}")
    if shape is not None:
        conflict = bind_shape(contract, shape, bindings,
                              lambda i: f"the dataset's {label} axis {i}")
        if conflict is not None:
            axis = conflict.axis
            name = f" '{axis.label}'" if axis.kind != "fixed" else ""
            raise _error(
                "size", function, label, axis.label, conflict.index, conflict.expected,
                conflict.actual, conflict.origin, None, None, contract,
                f"{what}: axis {conflict.index}{name} is {conflict.actual} but must be "
                f"{conflict.expected} (set by {conflict.origin})",
            )
    dtype = _spec_dtype(spec)
    if not contract.accepts_dtype(dtype):
        want = contract.preferred_dtype() or "float32"
        raise _error(
            "dtype", function, label, None, None, contract.dtype_marker, dtype, "the contract",
            f"dataset.map(lambda x, y: (tf.cast(x, tf.{want}), y))" if label == "x" else None,
            None, contract, f"{what}: dtype is {dtype} but {owner} needs {contract}",
        )


def batch(dataset: Any, model_or_contract: Any, batch_size: int, /, *,
          drop_remainder: bool = False, **sizes: int) -> Any:
    """Batch a dataset of single samples the way the model needs: checked, padded if need be.

    Each element is checked against the per-sample contract first. Where the time axis is
    variable (in the contract, or in the elements), ``padded_batch`` pads x's time axis: to
    the size the model or ``sizes`` fix, else to the longest element of each batch. The
    batched dataset is checked again with [`check_dataset`][shapecontract.keras.check_dataset]
    and returned.
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch(): batch_size must be a positive int, got {batch_size!r}")
    bound = _check(dataset, model_or_contract, dict(sizes), batched=False, function="batch")
    spec = dataset.element_spec
    xs, _, fixed, _ = _targets(model_or_contract, dict(sizes), "batch")
    x_spec, _ = _split(spec, len(xs))
    variable = any(_varies(c, s) for (_, c), s in zip(xs, _flat(x_spec, len(xs))))
    if variable:
        padded = _padded_shapes(spec, xs, {**{k: v for k, (v, _) in fixed.items()}, **bound})
        out = dataset.padded_batch(batch_size, padded_shapes=padded,
                                   drop_remainder=drop_remainder)
    else:
        out = dataset.batch(batch_size, drop_remainder=drop_remainder)
    _check(out, model_or_contract, dict(sizes), batched=True, function="batch")
    return out


def _flat(x_spec: Any, n: int) -> list[Any]:
    if n > 1 and isinstance(x_spec, Mapping):
        return list(x_spec.values())
    if n > 1 and isinstance(x_spec, tuple):
        return list(x_spec)
    return [x_spec]


def _varies(contract: Contract, spec: Any) -> bool:
    shape = _spec_shape(spec)
    return shape is None or None in shape


def _padded_shapes(spec: Any, xs: list[tuple[str, Contract]], sizes: dict[str, Any]) -> Any:
    """padded_shapes for padded_batch: x's axes at the sizes bound, the rest to each batch's
    longest; every other component of the element to its own longest."""
    import tensorflow as tf

    contracts = iter(c for _, c in xs)

    def x_shape(s: Any) -> Any:
        contract = _unbatched(next(contracts))
        want = contract.shape(**{k: v for k, v in sizes.items() if isinstance(v, int)})
        have = _spec_shape(s) or (None,) * len(want)
        return tf.TensorShape([w if w is not None else h for w, h in zip(want, have)])

    x_spec, y_spec = _split(spec, len(xs))
    x_padded = tf.nest.map_structure(x_shape, x_spec)
    if y_spec is None:
        return x_padded
    rest = tf.nest.map_structure(lambda s: s.shape, spec[1:])
    return (x_padded, *rest)

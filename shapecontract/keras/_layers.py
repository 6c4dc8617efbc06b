"""Keras objects built from a contract: ``keras.Input``, ``InputSpec`` and recurrent layers."""

from __future__ import annotations

from typing import Any

from .._boundary import sizes_in_force
from .._contract import Contract


def _layout(contract: Contract, function: str) -> None:
    """Keras reads (batch, ..., features): refuse a contract laid out otherwise, saying how."""
    rank = contract.rank
    if rank is None:
        raise ValueError(f"{function}(): {contract} has a variadic axis, so its rank is open; "
                         f"Keras needs one axis per dimension")
    if contract.batch is None:
        raise ValueError(
            f"{function}(): {contract} has no batch axis; Keras adds the batch axis to every "
            f"input, so write it first: \"batch {contract.dims}\""
        )
    labels = [a.label for a in contract.axes]
    if contract.batch != 0:
        order = [contract.batch, *(i for i in range(rank) if i != contract.batch)]
        raise ValueError(
            f"{function}(): {contract} has its batch axis '{labels[contract.batch]}' at "
            f"position {contract.batch}, but Keras puts the batch axis first; permute the data "
            f"with keras.ops.transpose(x, {tuple(order)}) and write \"{_reordered(labels, order)}\""
        )
    if contract.time is not None and contract.time == rank - 1 and rank > 2:
        order = [*(i for i in range(rank) if i != contract.time)]
        order.insert(1, contract.time)
        raise ValueError(
            f"{function}(): {contract} has its time axis '{labels[contract.time]}' last, but "
            f"Keras reads (batch, time, features); permute the data with "
            f"keras.ops.transpose(x, {tuple(order)}) and write \"{_reordered(labels, order)}\""
        )
    if contract.feature is not None and contract.feature != rank - 1:
        order = [*(i for i in range(rank) if i != contract.feature), contract.feature]
        raise ValueError(
            f"{function}(): {contract} has its feature axis '{labels[contract.feature]}' at "
            f"position {contract.feature}, but Keras reads features on the last axis; permute "
            f"the data with keras.ops.transpose(x, {tuple(order)}) and write "
            f"\"{_reordered(labels, order)}\""
        )


def _reordered(labels: list[str], order: list[int]) -> str:
    return " ".join(labels[i] for i in order)


def _sizes(contract: Contract, sizes: dict[str, Any], function: str) -> tuple[int | None, ...]:
    return contract.shape(**sizes_in_force(contract, sizes, function))


def Input(contract: Any, /, *, name: str | None = None, **sizes: int) -> Any:
    """A ``keras.Input`` for one sample of the contract: the batch axis dropped.

    Sizes come from the contract's numbers, from ``**sizes`` and from the current
    ``dims()`` block; the rest are None (variable). The dtype is the contract's: float32
    for ``Float``, int64 for ``Int``.

        x = shapecontract.keras.Input(Float[Array, "batch time feat"], time=1440, feat=3)
    """
    import keras

    parsed = Contract.of(contract)
    _layout(parsed, "Input")
    shape = _sizes(parsed, sizes, "Input")
    return keras.Input(shape=shape[1:], dtype=parsed.preferred_dtype() or "float32", name=name)


def InputSpec(contract: Any, /, **sizes: int) -> Any:
    """A ``keras.layers.InputSpec`` that checks the rank and every bound axis of the contract.

    Assign it to a layer's ``input_spec`` and Keras rejects a wrong size at that layer's
    call, naming the axis, before any kernel sees the data.
    """
    import keras

    parsed = Contract.of(contract)
    _layout(parsed, "InputSpec")
    shape = _sizes(parsed, sizes, "InputSpec")
    axes = {i: size for i, size in enumerate(shape) if size is not None}
    return keras.layers.InputSpec(ndim=len(shape), axes=axes or None)


def _recurrent(kind: str, contract: Any, units: int, kwargs: dict[str, Any]) -> Any:
    import keras

    parsed = Contract.of(contract)
    _layout(parsed, kind)
    if parsed.rank != 3 or parsed.time != 1:
        raise ValueError(
            f"{kind}(): a Keras {kind} reads (batch, time, features), but {parsed} "
            + ("has no time axis between batch and features" if parsed.rank == 3 else
               f"has {parsed.rank} axes")
        )
    if not isinstance(units, int) or isinstance(units, bool) or units < 1:
        raise ValueError(f"{kind}(): units must be a positive int, got {units!r}")
    sizes = {k: kwargs.pop(k) for k in list(kwargs) if k in parsed.size_names}
    spec = InputSpec(parsed, **sizes)
    layer = getattr(keras.layers, kind)(units, **kwargs)
    # Keras declares InputSpec(ndim=3) only, so 7 features reach the cell's MatMul; this spec
    # makes the layer itself refuse them, by axis, when it is called.
    layer.input_spec = spec
    return layer


def LSTM(contract: Any, units: int, /, **kwargs: Any) -> Any:
    """A ``keras.layers.LSTM`` whose input spec checks the contract's time and feature axes.

    Keyword arguments named after the contract's axes are sizes (``time=1440, feat=3``);
    the rest go to ``keras.layers.LSTM`` (``return_sequences=True``, ``dropout=0.1``, ...).

        layer = shapecontract.keras.LSTM(Float[Array, "batch time feat"], 64, feat=6)
    """
    return _recurrent("LSTM", contract, units, kwargs)


def GRU(contract: Any, units: int, /, **kwargs: Any) -> Any:
    """A ``keras.layers.GRU`` whose input spec checks the contract, like
    [`LSTM`][shapecontract.keras.LSTM]."""
    return _recurrent("GRU", contract, units, kwargs)


def SimpleRNN(contract: Any, units: int, /, **kwargs: Any) -> Any:
    """A ``keras.layers.SimpleRNN`` whose input spec checks the contract, like
    [`LSTM`][shapecontract.keras.LSTM]."""
    return _recurrent("SimpleRNN", contract, units, kwargs)

"""Real ``torch.nn.LSTM``/``GRU``/``RNN`` modules built from a contract.

``input_size`` comes from the feature axis and ``batch_first`` from the order of the batch
and time axes, so the module reads the data the way the contract lays it out.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from .._boundary import sizes_in_force
from ._layout import Layout, feature_size, recurrent_layout
from ._module import store

if TYPE_CHECKING:
    import torch

_FLOATS = ("float32", "float64", "float16", "bfloat16")


def _options(kind: str) -> list[str]:
    """The keyword arguments the torch module takes besides input and hidden size."""
    import torch

    params = inspect.signature(torch.nn.RNNBase.__init__).parameters
    names = [n for n in params if n not in ("self", "mode", "input_size", "hidden_size")]
    if kind != "LSTM":
        names = [n for n in names if n != "proj_size"]
    if kind == "RNN":
        names.append("nonlinearity")
    return names


def _positive(kind: str, name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{kind}(): {name} must be a positive int, got {value!r}")
    return value


def _dtype(kind: str, layout: Layout, given: Any) -> Any:
    """The module's dtype: the one given, else the contract's if float32 does not meet it."""
    import torch

    contract = layout.contract
    if given is not None:
        if not isinstance(given, torch.dtype):
            raise TypeError(f"{kind}(): dtype must be a torch.dtype, got {given!r}")
        name = str(given).rsplit(".", 1)[-1]
        if not contract.accepts_dtype(name):
            raise ValueError(
                f"{kind}(): dtype={given} contradicts the contract {contract}, which takes "
                f"{contract.preferred_dtype()}; drop dtype= or change the contract's marker"
            )
        return given
    if contract.accepts_dtype("float32"):
        return None  # torch's default
    want = next((d for d in _FLOATS if contract.accepts_dtype(d)), None)
    if want is None:
        raise ValueError(
            f"{kind}(): {contract} holds {contract.dtype_marker} values, but an nn.{kind} "
            f"computes in floating point: write Float[Array, \"{contract.dims}\"] (token ids "
            f"go through an nn.Embedding first)"
        )
    return getattr(torch, want)


def _build(kind: str, contract: Any, hidden_size: Any, kwargs: dict[str, Any]) -> Any:
    import torch

    layout = recurrent_layout(contract, kind)
    _positive(kind, "hidden_size", hidden_size)
    names = layout.contract.size_names
    sizes = {k: kwargs.pop(k) for k in list(kwargs) if k in names}
    options = _options(kind)
    unknown = [k for k in kwargs if k not in options and k != "input_size"]
    if unknown:
        raise TypeError(
            f"{kind}(): {', '.join(repr(k) for k in unknown)} "
            f"{'is' if len(unknown) == 1 else 'are'} neither an axis of {layout.contract} "
            f"({', '.join(names) or 'it names none'}) nor an nn.{kind} argument "
            f"({', '.join(options)})"
        )
    for name, size in sizes.items():
        _positive(kind, f"the size {name}=", size)
    in_force = sizes_in_force(layout.contract, sizes, kind)
    features = feature_size(layout, in_force)
    axis = layout.feature_axis
    if features is None:
        example = "feat=6" if axis.kind != "named" else f"{axis.name}=6"
        raise ValueError(
            f"{kind}(): the feature axis '{axis.label}' of {layout.contract} has no size, so "
            f"input_size is unknown; pass it as {kind}(contract, {hidden_size}, {example}), "
            f"write it in the contract, or bind it with dims({example})"
        )
    given = kwargs.pop("input_size", None)
    if given is not None and given != features:
        raise ValueError(
            f"{kind}(): input_size={given!r} contradicts the contract {layout.contract}, whose "
            f"feature axis '{axis.label}' is {features}; drop input_size= (the contract sets it)"
        )
    batch_first = kwargs.pop("batch_first", None)
    wanted = bool(layout.batch_first)
    if batch_first is not None and layout.batched and batch_first != wanted:
        raise ValueError(
            f"{kind}(): batch_first={batch_first!r} contradicts the contract {layout.contract}, "
            f"which lays the data out {layout.describe()}: drop batch_first= (the contract sets "
            f"it), or write the contract in the order of the data"
        )
    if batch_first is None or layout.batched:
        batch_first = wanted
    dtype = _dtype(kind, layout, kwargs.pop("dtype", None))
    if dtype is not None:
        kwargs["dtype"] = dtype
    module = getattr(torch.nn, kind)(features, hidden_size, batch_first=batch_first, **kwargs)
    # Only the sizes given by hand: a dims() block in force now need not hold later.
    store(module, layout, {k: v for k, v in sizes.items() if isinstance(v, int)})
    return module


def LSTM(contract: Any, hidden_size: int, /, **kwargs: Any) -> torch.nn.LSTM:
    """A real ``torch.nn.LSTM`` whose input size and layout come from the contract.

    ``input_size`` is the size of the feature axis (the last one): a number in the contract,
    a keyword size named after it, or a ``dims()`` size. ``batch_first`` is True for
    ``"batch time feat"`` and False for ``"time batch feat"``; passing a ``batch_first`` that
    contradicts the contract is an error. Keyword arguments named after the contract's axes
    are sizes; the rest go to ``nn.LSTM`` (``num_layers``, ``bidirectional``, ``proj_size``,
    ``dropout``, ``device``, ``dtype``, ...).

        lstm = shapecontract.torch.LSTM(Float[Array, "batch time feat"], 64, feat=6)
        # nn.LSTM(6, 64, batch_first=True)

    The module remembers its contract: [`preflight`][shapecontract.torch.preflight],
    [`guard`][shapecontract.torch.guard] and [`contract_of`][shapecontract.torch.contract_of]
    use its axis names and the sizes given here.
    """
    module: torch.nn.LSTM = _build("LSTM", contract, hidden_size, kwargs)
    return module


def GRU(contract: Any, hidden_size: int, /, **kwargs: Any) -> torch.nn.GRU:
    """A real ``torch.nn.GRU`` from a contract, like [`LSTM`][shapecontract.torch.LSTM]."""
    module: torch.nn.GRU = _build("GRU", contract, hidden_size, kwargs)
    return module


def RNN(contract: Any, hidden_size: int, /, **kwargs: Any) -> torch.nn.RNN:
    """A real ``torch.nn.RNN`` from a contract, like [`LSTM`][shapecontract.torch.LSTM]
    (``nonlinearity=`` too)."""
    module: torch.nn.RNN = _build("RNN", contract, hidden_size, kwargs)
    return module

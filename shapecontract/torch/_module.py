"""What a recurrent module expects: its input, output and hidden-state contracts.

Read from the module's own attributes (``input_size``, ``hidden_size``, ``num_layers``,
``bidirectional``, ``proj_size``, ``batch_first``) and its weights' dtype, never from data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._boundary import contract_from
from .._contract import Contract
from ._layout import Layout, PlainContract, recurrent_layout
from ._scripted import read_scripted, scripted_kind

if TYPE_CHECKING:
    import torch

# What the builders leave on a module: the contract it was built from and the sizes given.
# Plain strings, not a Contract: a module is pickled with its __dict__, and a Contract's
# accepted-dtype cache is keyed by id(), which means nothing in another process.
_STORED = "_shapecontract_input"

_MARKERS = {"float32": "Float32", "float64": "Float64", "float16": "Float16",
            "bfloat16": "BFloat16"}


@dataclass(frozen=True)
class Stored:
    source: PlainContract
    sizes: tuple[tuple[str, int], ...]


def store(module: Any, layout: Layout, sizes: dict[str, int]) -> None:
    setattr(module, _STORED, Stored(PlainContract.of(layout.contract),
                                    tuple(sorted(sizes.items()))))


@dataclass(frozen=True)
class RecurrentContracts:
    """The four contracts of a recurrent module, as a user would write them.

    All four are batched; drop the batch axis for unbatched input.

    Attributes:
        input: what ``forward`` takes: ``Float32[Array, "batch time 6"]`` when
            ``batch_first``, else ``"time batch 6"``.
        output: what it returns first; the last axis is
            ``directions * (proj_size or hidden_size)``.
        hidden: the shape of ``h0``/``h_n``, which is
            ``(num_layers * directions, batch, proj_size or hidden_size)`` whatever
            ``batch_first`` says.
        cell: that of an LSTM's ``c0``/``c_n`` (``hidden_size`` last); None for GRU and RNN.
    """

    input: Contract
    output: Contract
    hidden: Contract
    cell: Contract | None


@dataclass(frozen=True)
class Recurrent:
    """A recurrent module found in what the user passed, with its sizes read once."""

    module: Any
    kind: str  # LSTM, GRU or RNN
    owner: str  # "nn.LSTM(6, 64)", or "Forecaster.lstm: nn.LSTM(6, 64)"
    input_size: int
    hidden_size: int
    out_size: int  # proj_size for a projected LSTM, else hidden_size
    num_layers: int
    directions: int
    batch_first: bool
    marker: str
    stored: Stored | None

    @property
    def states(self) -> int:
        return self.num_layers * self.directions

    @property
    def layers_origin(self) -> str:
        direction = "direction" if self.directions == 1 else "directions"
        return f"{self.owner}: num_layers={self.num_layers} x {self.directions} {direction}"

    def user_layout(self, function: str) -> Layout | None:
        """The layout of the contract the module was built from, if a builder built it."""
        if self.stored is None:
            return None
        return recurrent_layout(self.stored.source.contract(), function)


def _kind(module: Any) -> str:
    import torch

    for kind in ("LSTM", "GRU", "RNN"):
        if isinstance(module, getattr(torch.nn, kind)):
            return kind
    return scripted_kind(module) or type(module).__name__


def _describe(module: Any) -> str:
    kind = scripted_kind(module)
    if kind is not None:  # a TorchScript nn.LSTM: its own repr says only original_name=LSTM
        return f"nn.{kind}({read_scripted(module, 'contract_of').extra_repr()})"
    if _script_name(module) is not None:
        return f"{_class_name(module)} (TorchScript)"
    cls = type(module)
    prefix = "nn." if cls.__module__.startswith("torch.nn") else ""
    return f"{prefix}{cls.__name__}({module.extra_repr()})"


def _script_name(module: Any) -> str | None:
    """The class a TorchScript module was made from (``original_name``), else None."""
    if type(module).__name__ not in ("RecursiveScriptModule", "TopLevelTracedModule"):
        return None
    name = getattr(module, "original_name", None)
    return name if isinstance(name, str) else None


def _class_name(module: Any) -> str:
    return _script_name(module) or type(module).__name__


def find_recurrent(module: Any, function: str) -> Recurrent:
    """The recurrent module itself, or the first submodule (followed down) that is one."""
    import torch

    if not isinstance(module, torch.nn.Module):
        raise TypeError(
            f"{function}(): expected a torch.nn.Module (an nn.LSTM, nn.GRU or nn.RNN, or a "
            f"module whose first submodule is one), got {type(module).__module__}."
            f"{type(module).__qualname__}"
        )
    path = [_class_name(module)]
    found = module
    while not isinstance(found, torch.nn.RNNBase) and scripted_kind(found) is None:
        first = next(iter(found.named_children()), None)
        if first is None:
            raise ValueError(
                f"{function}(): {_describe(module)} is not a recurrent module and its first "
                f"submodule is not one either ({' -> '.join(path)}); pass the nn.LSTM, nn.GRU or "
                f"nn.RNN itself"
            )
        path.append(first[0])
        found = first[1]
    owner = _describe(found)
    if found is not module:
        owner = f"{'.'.join(path)}: {owner}"
    weight = next(iter(found.parameters()), None)
    dtype = str(weight.dtype).rsplit(".", 1)[-1] if weight is not None else "float32"
    # A TorchScript module (torch.jit.script/trace, or torch.jit.load) keeps its sizes apart.
    sizes: Any = found if scripted_kind(found) is None else read_scripted(found, function)
    proj = int(getattr(sizes, "proj_size", 0) or 0)
    stored = getattr(found, _STORED, None)
    return Recurrent(
        module=found, kind=_kind(found), owner=owner, input_size=int(sizes.input_size),
        hidden_size=int(sizes.hidden_size), out_size=proj or int(sizes.hidden_size),
        num_layers=int(sizes.num_layers), directions=2 if sizes.bidirectional else 1,
        batch_first=bool(sizes.batch_first), marker=_MARKERS.get(dtype, "Float"),
        stored=stored if isinstance(stored, Stored) else None,
    )


def _input_tokens(rnn: Recurrent) -> list[str]:
    """The input contract's tokens: the builder's own names where it has them."""
    layout = rnn.user_layout("contract_of")
    if layout is not None and layout.batch_first is not None:
        tokens = [a.token for a in layout.contract.axes]
        tokens[-1] = str(rnn.input_size)
        return tokens
    return ["batch", "time", str(rnn.input_size)] if rnn.batch_first else \
        ["time", "batch", str(rnn.input_size)]


def contracts_of(module: torch.nn.Module) -> RecurrentContracts:
    """The input, output, hidden-state and cell-state contracts of a recurrent module.

    ``module`` is an ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN``, or a module whose first submodule
    is one (an ``nn.Sequential``, a model that starts with its LSTM). Fixed sizes are numbers;
    ``batch`` and ``time`` stay names.

        >>> contracts_of(nn.LSTM(6, 64, num_layers=2, batch_first=True)).hidden
        Contract(Float32[Array, "2 batch 64"], ...)
    """
    return _contracts(module, "contracts_of")


def _contracts(module: Any, function: str) -> RecurrentContracts:
    rnn = find_recurrent(module, function)
    tokens = _input_tokens(rnn)
    marker = rnn.marker
    out = [*tokens[:-1], str(rnn.directions * rnn.out_size)]
    batch = tokens[0] if rnn.batch_first else tokens[1]
    hidden = contract_from(f"{rnn.states} {batch} {rnn.out_size}", marker)
    cell = contract_from(f"{rnn.states} {batch} {rnn.hidden_size}", marker) \
        if rnn.kind == "LSTM" else None
    return RecurrentContracts(
        input=contract_from(" ".join(tokens), marker),
        output=contract_from(" ".join(out), marker),
        hidden=hidden,
        cell=cell,
    )


def contract_of(module: torch.nn.Module, *, output: bool = False) -> Contract:
    """The contract a recurrent module's input meets (``output=True``: its output's).

    ``contract_of(nn.LSTM(6, 64))`` is ``Float32[Array, "time batch 6"]``;
    with ``batch_first=True`` it is ``"batch time 6"``. A module built by
    [`shapecontract.torch.LSTM`][shapecontract.torch.LSTM] keeps the axis names it was built
    with. For the hidden and cell states, see
    [`contracts_of`][shapecontract.torch.contracts_of]. TorchScript modules (scripted or
    traced, saved and loaded with ``torch.jit.load``) are read too; TorchScript keeps no axis
    names, so theirs read ``"batch time 6"``.
    """
    if not isinstance(output, bool):
        raise TypeError(f"contract_of(): output must be True or False, got {output!r}")
    found = _contracts(module, "contract_of")
    return found.output if output else found.input

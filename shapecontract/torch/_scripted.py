"""Recurrent modules in TorchScript: their sizes, read without running them.

``torch.jit.script`` keeps an ``nn.LSTM``'s constants (``input_size``, ``batch_first``, ...) as
attributes of the scripted module. ``torch.jit.trace`` keeps none of them: the sizes are read
from the weights, and ``batch_first`` from the constant the traced ``aten::lstm`` call was
given. Both survive ``save`` and ``torch.jit.load``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("LSTM", "GRU", "RNN")
_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
# The graph ops of the recurrent modules; their ``.input`` overload takes
# (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first).
_OPS = ("aten::lstm", "aten::gru", "aten::rnn_tanh", "aten::rnn_relu")
_BATCH_FIRST = 8


@dataclass(frozen=True)
class ScriptedRecurrent:
    """What an ``nn.LSTM``/``GRU``/``RNN`` was built with, read from its TorchScript form."""

    kind: str
    input_size: int
    hidden_size: int
    num_layers: int
    bidirectional: bool
    batch_first: bool
    proj_size: int
    bias: bool

    def extra_repr(self) -> str:
        """The arguments as ``nn.LSTM``'s own ``repr`` shows them: ``6, 64, batch_first=True``."""
        parts = [str(self.input_size), str(self.hidden_size)]
        if self.proj_size:
            parts.append(f"proj_size={self.proj_size}")
        if self.num_layers != 1:
            parts.append(f"num_layers={self.num_layers}")
        if not self.bias:
            parts.append("bias=False")
        if self.batch_first:
            parts.append("batch_first=True")
        if self.bidirectional:
            parts.append("bidirectional=True")
        return ", ".join(parts)


def scripted_kind(module: Any) -> str | None:
    """``"LSTM"``, ``"GRU"`` or ``"RNN"`` for a scripted or traced recurrent module, else None."""
    import torch

    if not isinstance(module, torch.jit.ScriptModule):
        return None
    name = getattr(module, "original_name", None)
    return name if name in KINDS else None


def read_scripted(module: Any, function: str) -> ScriptedRecurrent:
    """The sizes of a scripted or traced recurrent module (see :func:`scripted_kind`)."""
    kind = scripted_kind(module)
    if kind is None:
        raise TypeError(f"{function}(): not a TorchScript LSTM, GRU or RNN: {module!r}")
    if hasattr(module, "input_size"):  # torch.jit.script keeps the constructor's constants
        return ScriptedRecurrent(
            kind=kind, input_size=int(module.input_size), hidden_size=int(module.hidden_size),
            num_layers=int(module.num_layers), bidirectional=bool(module.bidirectional),
            batch_first=bool(module.batch_first), proj_size=int(module.proj_size or 0),
            bias=bool(module.bias),
        )
    return _read_traced(module, kind, function)


def _read_traced(module: Any, kind: str, function: str) -> ScriptedRecurrent:
    weights = dict(module.named_parameters())
    first = weights.get("weight_ih_l0")
    batch_first = _traced_batch_first(module)
    if first is None or batch_first is None:
        raise ValueError(
            f"{function}(): the traced {kind} has no weight_ih_l0 or no {kind} call with "
            f"batch_first in its graph (was it traced on a PackedSequence?), so its layout "
            f"is unknown; script it instead: torch.jit.script(module)"
        )
    projection = weights.get("weight_hr_l0")
    return ScriptedRecurrent(
        kind=kind, input_size=int(first.shape[1]),
        hidden_size=int(first.shape[0]) // _GATES[kind],
        num_layers=sum(1 for name in weights if name.startswith("weight_ih_l")
                       and not name.endswith("_reverse")),
        bidirectional="weight_ih_l0_reverse" in weights, batch_first=batch_first,
        proj_size=int(projection.shape[0]) if projection is not None else 0,
        bias="bias_ih_l0" in weights,
    )


def _traced_batch_first(module: Any) -> bool | None:
    """The batch_first a traced module's recurrent op was traced with, None if not found."""
    for node in module.graph.nodes():
        if node.kind() in _OPS and ".input(" in node.schema():
            value = node.inputsAt(_BATCH_FIRST)
            if value.node().kind() == "prim::Constant":
                return bool(value.toIValue())
    return None

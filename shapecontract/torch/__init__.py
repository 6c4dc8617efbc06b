"""PyTorch adapters: recurrent modules built from a contract, checked before and as they run.

Importing this module does not import torch; each function imports it when called.

    from shapecontract import Array, Float
    import shapecontract.torch as sct

    contract = Float[Array, "batch time feat"]
    lstm = sct.LSTM(contract, 64, feat=6)      # nn.LSTM(6, 64, batch_first=True)
    loader = DataLoader(data, batch_size=32, collate_fn=sct.pad_collate(contract, feat=6))
    sct.guard(lstm)                            # every call checked, PackedSequence too
    for x, y, lengths in loader:
        out, (h, c) = lstm(sct.pack(x, lengths, contract))

- ``LSTM``/``GRU``/``RNN(contract, hidden_size, **kwargs)``: real torch modules, with
  ``input_size`` and ``batch_first`` taken from the contract.
- ``contract_of(module, output=False)`` and ``contracts_of(module)``: what a recurrent module
  (or a module that starts with one) takes and returns, hidden and cell states included.
- ``preflight(module, x, hx=None, contract=None, **sizes)`` and ``guard(module, contract=None,
  **sizes)``: x and the state against the module, before the first step or on every call.
- ``pad_collate(contract, padding_value=0.0, ...)`` and ``pack(x, lengths, contract)``:
  variable-length batches, checked sample by sample.

``@check`` in torch code: it works on ``nn.Module.forward`` like on any method. Inside
``torch.compile`` the checked wrapper costs a graph break (dynamo cannot trace the read of the
current ``dims()`` block) and the check then runs while dynamo traces, on the fake tensors'
shapes; a call whose shapes break the contract makes dynamo recompile, and the check raises
ShapeContractError as in eager code, ``dynamic=True`` included (the error is built outside
the graph). Not supported: ``fullgraph=True``, where that graph break is an error whose
message quotes the wrapper's line saying why; call the checked function, or the guarded
module, outside the fullgraph region.
"""

from ._collate import PadCollate, pack, pad_collate
from ._layers import GRU, LSTM, RNN
from ._module import RecurrentContracts, contract_of, contracts_of
from ._preflight import guard, preflight

__all__ = ["GRU", "LSTM", "RNN", "PadCollate", "RecurrentContracts", "contract_of",
           "contracts_of", "guard", "pack", "pad_collate", "preflight"]

"""The PyTorch side of ``shapecontract demo``: rows 6 to 10 of what the frameworks do today.

Each comparison runs one mistake with plain torch, then through shapecontract. Three of the
five are silent in torch: it returns a result of the wrong meaning, and training goes on.
Importing this module imports torch (the demo imports it only when it gets here).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from torch.utils.data import DataLoader, Dataset

from .._demo import Comparison
from . import guard, pad_collate, preflight

FEATURES, HIDDEN = 6, 64


def _shape(t: Any) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


# -- 6: batch-first data into a time-major LSTM -------------------------------------------------


def _batch_first_prepare() -> dict[str, Any]:
    torch.manual_seed(0)
    return {"lstm": nn.LSTM(FEATURES, HIDDEN), "x": torch.randn(32, 20, FEATURES)}


def _batch_first_torch(s: dict[str, Any]) -> str:
    out, (h, _) = s["lstm"](s["x"])
    return (f"output {_shape(out)}, h_n {_shape(h)}: the 32 samples were read as 32 time steps "
            f"of a batch of 20 sequences, and training would go on")


def _batch_first_caught(s: dict[str, Any]) -> None:
    preflight(s["lstm"], s["x"], contract="batch time feat")


# -- 7: a batch of vectors, run as one sequence -------------------------------------------------


def _vectors_prepare() -> dict[str, Any]:
    torch.manual_seed(0)
    return {"lstm": nn.LSTM(FEATURES, HIDDEN), "x": torch.randn(32, FEATURES)}


def _vectors_torch(s: dict[str, Any]) -> str:
    out, (h, _) = s["lstm"](s["x"])
    return (f"output {_shape(out)}, h_n {_shape(h)}: the 32 samples ran as ONE unbatched "
            f"sequence of 32 steps, each sample's state leaking into the next")


def _vectors_caught(s: dict[str, Any]) -> None:
    preflight(s["lstm"], s["x"])


# -- 8: seven features into an LSTM built for six -----------------------------------------------


def _features_prepare() -> dict[str, Any]:
    torch.manual_seed(0)
    return {"lstm": nn.LSTM(FEATURES, HIDDEN, batch_first=True),
            "x": torch.randn(8, 20, FEATURES + 1)}


def _features_torch(s: dict[str, Any]) -> str:
    out, _ = s["lstm"](s["x"])
    return f"output {_shape(out)}"


def _guarded(s: dict[str, Any]) -> None:
    # A guarded twin of the module, made while preparing: registering the hook is set-up
    # (it loads torch's compiler, to stay out of compiled graphs), the call is what is timed.
    twin = nn.LSTM(FEATURES, HIDDEN, batch_first=True)
    guard(twin)
    s["guarded"] = twin


def _features_caught(s: dict[str, Any]) -> None:
    s["guarded"](s["x"])


def _features_prepare_guarded() -> dict[str, Any]:
    s = _features_prepare()
    _guarded(s)
    return s


# -- 9: the same, packed: torch skips its check -------------------------------------------------


def _packed_prepare() -> dict[str, Any]:
    torch.manual_seed(0)
    padded = torch.randn(3, 5, FEATURES + 1)
    x = pack_padded_sequence(padded, torch.tensor([5, 4, 2]), batch_first=True)
    s = {"lstm": nn.LSTM(FEATURES, HIDDEN, batch_first=True), "x": x}
    _guarded(s)
    return s


# -- 10: variable-length sequences through the default collate ----------------------------------


def _collate_prepare() -> list[torch.Tensor]:
    torch.manual_seed(0)
    lengths = (5, 9, 7, 6, 8, 4)
    samples = [torch.randn(n, FEATURES) for n in lengths]
    samples[3] = torch.randn(lengths[3], FEATURES + 1)  # one recording with an extra channel
    return samples


class _Recordings(Dataset[torch.Tensor]):
    def __init__(self, samples: list[torch.Tensor]) -> None:
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.samples[i]


def _collate_torch(samples: list[torch.Tensor]) -> str:
    batch = next(iter(DataLoader(_Recordings(samples), batch_size=6)))
    return f"batch {_shape(batch)}"


def _collate_caught(samples: list[torch.Tensor]) -> None:
    loader = DataLoader(_Recordings(samples), batch_size=6,
                        collate_fn=pad_collate("batch time feat"))
    next(iter(loader))


COMPARISONS = (
    Comparison("PyTorch", "6. Batch-first data into a time-major LSTM",
               "(32 samples, 20 steps, 6 features) into nn.LSTM(6, 64), whose batch_first "
               "defaults to False", _batch_first_prepare, _batch_first_torch,
               _batch_first_caught),
    Comparison("PyTorch", "7. A batch of vectors into an LSTM",
               "(32, 6): 32 samples of one step each, with no time axis", _vectors_prepare,
               _vectors_torch, _vectors_caught),
    Comparison("PyTorch", "8. Seven features into an LSTM built for six",
               "an extra one-hot column: (8, 20, 7) into nn.LSTM(6, 64, batch_first=True)",
               _features_prepare_guarded, _features_torch, _features_caught),
    Comparison("PyTorch", "9. Seven features, packed",
               "the same extra column, in a PackedSequence: torch skips its input check",
               _packed_prepare, _features_torch, _features_caught),
    Comparison("PyTorch", "10. Sequences of different lengths through a DataLoader",
               "6 recordings of 4-9 steps, one of them (sample 3) with 7 channels instead of "
               "6, batched by the default collate", _collate_prepare, _collate_torch,
               _collate_caught),
)

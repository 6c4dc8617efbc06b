"""Per-batch cost of pad_collate and guard, against an LSTM forward and backward step.

    python benchmarks/loader.py [--quick] [--json PATH]

For each batch size below, a map-style dataset of (sequence, label) pairs of random lengths
is batched as a DataLoader batches it: its ``collate_fn`` is called on the list of samples.
Timed, per batch:

* ``collate, unchecked``: what one writes without shapecontract (``pad_sequence``, the
  labels through ``default_collate``, the lengths as a tensor);
* ``pad_collate``: ``shapecontract.torch.pad_collate("batch time feat", feat=F)``, which
  checks every sample and then does the same work;
* ``guard``: the forward pre-hook that ``shapecontract.torch.guard`` registers on the LSTM
  (built by ``shapecontract.torch.LSTM`` from the same contract), called as torch calls it;
* ``LSTM forward + backward``: the padded batch through the LSTM, a linear head on the last
  hidden state, MSE loss, backward; no optimizer step, and no packing, which on the CPU makes
  the step several times slower: the cheapest step, so the largest percentages. The JSON
  file also holds the step and guard on the packed batch.

Each time is the minimum over 5 runs of N calls, N chosen so that a run lasts at least
0.05 s (0.2 s for the LSTM step); ``--quick`` runs the first batch only, with shorter runs.
torch runs on one thread, on the CPU.
Before timing, pad_collate and guard are shown to refuse a sample with one feature too many.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import _measure
import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import DataLoader, Dataset, default_collate

import shapecontract
import shapecontract.torch as sct

NAME = "loader"
REPEAT = 5
# One thread: on a small machine shared with other work, torch's second OpenMP thread waits
# on a busy core and single calls swing tenfold. More threads (or a GPU) make the step faster,
# and so these percentages larger.
THREADS = 1
CONTRACT = "batch time feat"
PACKAGES = ("numpy", "torch", "shapecontract")
HEADER = ("batch", "collate, unchecked", "pad_collate", "guard", "LSTM forward + backward",
          "pad_collate / step", "pad_collate's check / step", "guard / step")

Sample = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class Setup:
    batch: int
    min_steps: int
    max_steps: int
    features: int
    hidden: int

    @property
    def label(self) -> str:
        return (f"{self.batch} x {self.min_steps}-{self.max_steps} steps x {self.features} "
                f"features, hidden {self.hidden}")


SETUPS = (Setup(32, 50, 200, 6, 64), Setup(64, 100, 400, 16, 128))


class Recordings(Dataset[Sample]):
    """Sequences of random lengths, each with one target value."""

    def __init__(self, setup: Setup, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        lengths = rng.integers(setup.min_steps, setup.max_steps + 1, size=setup.batch)
        self.samples = [(torch.randn(int(n), setup.features), torch.randn(1)) for n in lengths]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> Sample:
        return self.samples[i]


def unchecked_collate(samples: Sequence[Sample]) -> tuple[torch.Tensor, Any, torch.Tensor]:
    """The collate_fn one writes without shapecontract: the same work, no check."""
    xs = [x for x, _ in samples]
    lengths = torch.tensor([x.shape[0] for x in xs], dtype=torch.int64)
    return pad_sequence(xs, batch_first=True), default_collate([y for _, y in samples]), lengths


def training_step(lstm: nn.LSTM, head: nn.Linear, x: Any, y: torch.Tensor) -> None:
    """Forward and backward on one batch: the LSTM, a linear head on the last hidden state,
    MSE. ``x`` is the padded batch or the same batch packed."""
    lstm.zero_grad(set_to_none=True)
    head.zero_grad(set_to_none=True)
    _, (h, _) = lstm(x)
    loss = nn.functional.mse_loss(head(h[-1]), y)
    loss.backward()  # type: ignore[no-untyped-call]


def guard_hook(module: nn.Module) -> Callable[..., Any]:
    """Guard ``module`` and return the pre-hook it registered, to time it alone. torch keeps
    forward pre-hooks in ``_forward_pre_hooks`` under the handle's id."""
    handle = sct.guard(module)
    hook: Callable[..., Any] = module._forward_pre_hooks[handle.id]
    return hook


def _refuses(func: Callable[..., Any], *args: Any) -> bool:
    try:
        func(*args)
    except shapecontract.ShapeContractError:
        return True
    return False


def verify(setup: Setup, collate: Callable[..., Any], hook: Callable[..., Any],
           guarded: nn.LSTM, dataset: Recordings) -> None:
    """Exit unless the batch a real DataLoader makes is the one timed, and both checks check."""
    samples = [dataset[i] for i in range(len(dataset))]
    loaded = next(iter(DataLoader(dataset, batch_size=setup.batch, collate_fn=collate)))
    if not all(torch.equal(a, b) for a, b in zip(loaded, unchecked_collate(samples))):
        raise SystemExit("pad_collate's batch differs from the unchecked collate's")
    wide = torch.randn(1, setup.min_steps, setup.features + 1)
    if not _refuses(collate, [*samples[:-1], (wide[0], samples[-1][1])]):
        raise SystemExit("pad_collate accepted a sample with one feature too many")
    packed = pack_padded_sequence(wide, torch.tensor([setup.min_steps]), batch_first=True)
    for x in (wide, packed):
        if not (_refuses(hook, guarded, (x,), {}) and _refuses(guarded, x)):
            raise SystemExit(f"guard accepted {type(x).__name__} with one feature too many")


def measure(setup: Setup, min_seconds: float) -> dict[str, float]:
    """Milliseconds per batch for each column, and the percentages of the step."""
    torch.manual_seed(0)
    dataset = Recordings(setup)
    samples = [dataset[i] for i in range(len(dataset))]  # what the DataLoader hands collate_fn
    collate = sct.pad_collate(CONTRACT, feat=setup.features)
    lstm = sct.LSTM(CONTRACT, setup.hidden, feat=setup.features)
    guarded = sct.LSTM(CONTRACT, setup.hidden, feat=setup.features)
    hook = guard_hook(guarded)
    head = nn.Linear(setup.hidden, 1)
    verify(setup, collate, hook, guarded, dataset)
    x, y, lengths = collate(samples)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)

    def ms(func: Callable[..., Any], *args: Any, scale: float = 1) -> float:
        return 1e3 * _measure.per_call_seconds(func, args, repeat=REPEAT,
                                               min_seconds=min_seconds * scale)

    row = {"collate, unchecked": ms(unchecked_collate, samples),
           "pad_collate": ms(collate, samples),
           "guard": ms(hook, guarded, (x,), {}),
           "guard, packed": ms(hook, guarded, (packed,), {}),
           "LSTM forward + backward": ms(training_step, lstm, head, x, y, scale=4),
           "LSTM forward + backward, packed": ms(training_step, lstm, head, packed, y,
                                                 scale=4)}
    step = row["LSTM forward + backward"]
    row["pad_collate / step"] = 100 * row["pad_collate"] / step
    row["pad_collate's check / step"] = \
        100 * (row["pad_collate"] - row["collate, unchecked"]) / step
    row["guard / step"] = 100 * row["guard"] / step
    return row


def table(results: dict[str, dict[str, float]]) -> str:
    rows = [[label, *(f"{row[c]:.3f} ms" for c in HEADER[1:5]),
             *(f"{row[c]:.2f} %" for c in HEADER[5:])]
            for label, row in results.items()]
    return _measure.markdown_table(HEADER, rows)


def main() -> None:
    args = _measure.arguments(__doc__.splitlines()[0] if __doc__ else NAME,
                              "the first batch only, runs of at least 5 ms")
    setups = SETUPS[:1] if args.quick else SETUPS
    min_seconds = 0.005 if args.quick else 0.05
    info = _measure.machine(PACKAGES)
    torch.set_num_threads(THREADS)
    info["torch_threads"] = torch.get_num_threads()
    results = {s.label: measure(s, min_seconds) for s in setups}

    print(f"Per-batch cost, minimum of {REPEAT} runs; torch threads: {info['torch_threads']}; "
          f"{_measure.describe(info)}\n")
    print(table(results))
    settings = {"unit": "milliseconds per batch; percentages of the LSTM step",
                "repeat": REPEAT, "min_seconds": min_seconds, "contract": CONTRACT,
                "setups": [asdict(s) for s in setups]}
    path = _measure.write_json(NAME, args.json, info, settings, results)
    print(f"\nResults: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()

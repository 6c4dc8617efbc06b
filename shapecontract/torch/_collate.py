"""Variable-length batches: a checked DataLoader ``collate_fn`` and a checked ``pack``.

The default collate stacks samples and fails on the first two lengths that differ, naming
no sample. ``pad_collate`` checks every sample against the contract first, naming the one
that breaks it, then pads the time axis and returns the lengths. ``pack`` checks what
``pack_padded_sequence`` takes on trust: that every length fits in the padded time axis.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._array import describe, framework_of, is_array, shape_of
from .._boundary import check_values, contract_from, sizes_in_force, start_bindings
from .._contract import Contract
from .._match import _error, _where
from ._layout import Layout, PlainContract, recurrent_layout

if TYPE_CHECKING:
    import torch
    from torch.nn.utils.rnn import PackedSequence


def _batched_layout(contract: Any, function: str) -> Layout:
    return recurrent_layout(contract, function, unbatched=False)


class PadCollate:
    """A DataLoader ``collate_fn`` made by [`pad_collate`][shapecontract.torch.pad_collate];
    picklable, for worker processes.

    Holds the contract as a PlainContract, which crosses into a worker process intact.
    """

    def __init__(self, source: PlainContract, padding_value: float, lengths: bool,
                 packed: bool, dtype: Any, sizes: dict[str, int]) -> None:
        self.source = source
        self.padding_value = padding_value
        self.lengths = lengths
        self.packed = packed
        self.dtype = dtype
        self.sizes = sizes

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.sizes.items())
        return (f'pad_collate("{self.source.dims}", {self.padding_value!r}, '
                f"lengths={self.lengths}, packed={self.packed}{extra})")

    def _layout(self) -> Layout:
        return _batched_layout(self.source.contract(), "pad_collate")

    def __call__(self, samples: Sequence[Any]) -> Any:
        import torch
        from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
        from torch.utils.data import default_collate

        if not isinstance(samples, Sequence) or isinstance(samples, (str, bytes)) or \
                not samples:
            raise TypeError(f"pad_collate(): expected a non-empty list of samples (what a "
                            f"DataLoader passes its collate_fn), got {describe(samples)}")
        layout = self._layout()
        per_sample = layout.per_sample()
        pairs = not is_array(samples[0])
        xs: list[Any] = []
        ys: list[Any] = []
        for i, sample in enumerate(samples):
            x, y = _split(sample, i, pairs)
            xs.append(x)
            ys.append(y)
        self._check(per_sample, xs, pairs)
        tensors = [x if framework_of(x) == "torch" else torch.as_tensor(x) for x in xs]
        batch_first = bool(layout.batch_first)
        padded = pad_sequence(tensors, batch_first=batch_first,
                              padding_value=self.padding_value)
        if self.dtype is not None:
            padded = padded.to(self.dtype)
        lengths = torch.tensor([t.shape[0] for t in tensors], dtype=torch.int64)
        x_out: Any = padded
        if self.packed:
            x_out = pack_padded_sequence(padded, lengths, batch_first=batch_first,
                                         enforce_sorted=False)
        with_lengths = self.lengths and not self.packed
        if not pairs:
            return (x_out, lengths) if with_lengths else x_out
        y_out = _collate_labels(ys, default_collate)
        return (x_out, y_out, lengths) if with_lengths else (x_out, y_out)

    def _check(self, per_sample: Contract, xs: list[Any], pairs: bool) -> None:
        """Each sample against the per-sample contract; sizes other than the length carry
        over from the sample that first bound them, so a stray feature count is named."""
        if _alike(xs, _free_length(per_sample, self.sizes)):
            xs = xs[:1]  # checking sample 0 checks them all
        time_name = per_sample.axes[0].name if per_sample.axes[0].kind == "named" else None
        fixed: dict[str, tuple[Any, str]] = {}
        for i, x in enumerate(xs):
            label = f"sample[{i}][0]" if pairs else f"sample[{i}]"
            bound = check_values("pad_collate", [(label, per_sample, x)], fixed=fixed,
                                 sizes=self.sizes)
            shape = shape_of(x) or ()
            if shape and shape[0] == 0:
                time = per_sample.axes[0].label
                raise _error(
                    "size", "pad_collate", label, time, 0, "at least 1", 0,
                    None, None, x, per_sample,
                    f"{_where('pad_collate', label)}: axis 0 '{time}'"
                    f"{' (time)' if time != 'time' else ''} is 0, an empty sequence, which "
                    f"pack_padded_sequence and the "
                    f"recurrent layers refuse; filter such samples out of the dataset; got "
                    f"{describe(x)}",
                ).with_traceback(None)
            for k, axis in enumerate(per_sample.axes):
                name = axis.name
                if axis.kind == "named" and name and name != time_name and \
                        name not in fixed and name in bound and name not in self.sizes:
                    fixed[name] = (bound[name], f"{label} axis {k}")


def _free_length(per_sample: Contract, sizes: dict[str, int]) -> bool:
    """Whether a sample's length may be anything: axis 0 is a name used nowhere else in the
    contract, and neither the sizes given nor the current ``dims()`` block set it."""
    first = per_sample.axes[0]
    if first.kind != "named" or first.name is None:
        return False
    rest = [name for axis in per_sample.axes[1:] for name in (axis.name, *axis.names_used)]
    return first.name not in rest and first.name not in start_bindings(
        "pad_collate", {}, sizes).sizes


def _alike(xs: list[Any], free_length: bool) -> bool:
    """Whether every sample has sample 0's type, dtype, rank and sizes (its length aside, if
    free, though never 0): then sample 0's check holds for all. About 0.3 µs a sample, where
    the full check costs about 9; any difference takes the full check, which names the
    sample."""
    first = shape_of(xs[0]) if is_array(xs[0]) else None
    if not first:
        return False
    kind, dtype, start = type(xs[0]), xs[0].dtype, 1 if free_length else 0
    for x in xs[1:]:
        if type(x) is not kind or x.dtype != dtype:
            return False
        shape = shape_of(x)
        if shape is None or len(shape) != len(first) or shape[start:] != first[start:] or \
                shape[0] == 0:
            return False
    return True


def _split(sample: Any, index: int, pairs: bool) -> tuple[Any, Any]:
    if not pairs:  # the first sample was an array; the check names any that is not
        return sample, None
    if isinstance(sample, (tuple, list)) and len(sample) == 2:
        return sample[0], sample[1]
    raise TypeError(
        f"pad_collate(): sample[{index}] is {describe(sample)}; pad_collate takes samples that "
        f"are arrays (the sequence) or (x, y) pairs"
    )


def _collate_labels(ys: list[Any], default_collate: Any) -> Any:
    shapes = [shape_of(y) if is_array(y) else None for y in ys]
    first = shapes[0]
    for i, shape in enumerate(shapes):
        if shape != first:
            raise ValueError(
                f"pad_collate(): the labels differ in shape: sample[0][1] is "
                f"{describe(ys[0])}, sample[{i}][1] is {describe(ys[i])}; pad_collate pads x "
                f"only, so every label must have one shape"
            )
    return default_collate(ys)


def pad_collate(contract: Any, padding_value: float = 0.0, /, *, lengths: bool = True,
                packed: bool = False, dtype: torch.dtype | None = None,
                **sizes: int) -> PadCollate:
    """A DataLoader ``collate_fn`` for sequences of different lengths, checked sample by sample.

    ``contract`` is the contract of the batch it makes: ``"batch time feat"`` pads to
    ``(batch, time, feat)`` (``batch_first=True``), ``"time batch feat"`` to ``(time, batch,
    feat)``, so one contract builds the LSTM and its loader alike. Each sample must meet it
    with the batch axis dropped, ``"time feat"``; a sample that does not raises
    ShapeContractError naming its index (``sample[3]``) and who set the size it breaks (the
    first sample, a size given here, a ``dims()`` block). Samples are tensors, numpy arrays
    (converted with ``torch.as_tensor``) or ``(x, y)`` pairs whose labels share one shape.

    Returns, per batch: ``(x, lengths)`` (or ``(x, y, lengths)`` for pairs), with ``lengths`` a
    CPU int64 tensor, as ``pack_padded_sequence`` wants; ``x`` alone (or ``(x, y)``) with
    ``lengths=False``; a ``PackedSequence`` in place of ``(x, lengths)`` with ``packed=True``.
    ``dtype`` converts x (``torch.float32`` for numpy's float64, say). Empty sequences are
    refused: no recurrent layer takes them.

        loader = DataLoader(dataset, batch_size=32,
                            collate_fn=pad_collate("batch time feat", feat=6))
    """
    import torch

    layout = _batched_layout(contract, "pad_collate")
    if not isinstance(padding_value, (int, float)) or isinstance(padding_value, bool):
        raise TypeError(f"pad_collate(): padding_value must be a number, got {padding_value!r}")
    for name, flag in (("lengths", lengths), ("packed", packed)):
        if not isinstance(flag, bool):
            raise TypeError(f"pad_collate(): {name} must be True or False, got {flag!r}")
    if dtype is not None and not isinstance(dtype, torch.dtype):
        raise TypeError(f"pad_collate(): dtype must be a torch.dtype, got {dtype!r}")
    sizes_in_force(layout.per_sample(), sizes, "pad_collate")
    return PadCollate(PlainContract.of(layout.contract), float(padding_value), lengths, packed,
                      dtype, dict(sizes))


def pack(x: torch.Tensor, lengths: Any, contract: Any, /, *, enforce_sorted: bool = False,
         **sizes: int) -> PackedSequence:
    """``pack_padded_sequence``, with the checks it leaves out.

    ``x`` must meet the (batched) contract, which also says ``batch_first``; ``lengths``
    holds one length per sequence (a 1-D integer tensor or a list of ints), each between 1
    and the padded time length. torch accepts a length longer than the padded time axis and
    fails much later, or not at all; here the first bad length is named by its index.
    Unlike torch, ``enforce_sorted`` defaults to False: pad_collate's batches are unsorted.
    Lengths are read on the CPU, where torch wants them (it copies them there itself).
    """
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    layout = _batched_layout(contract, "pack")
    sizes_in_force(layout.contract, sizes, "pack")
    c = layout.contract
    batch_token = c.axes[c.batch].token if c.batch is not None else "batch"
    if not is_array(lengths):
        try:
            lengths = torch.as_tensor(lengths, dtype=torch.int64)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"pack(): lengths must be a 1-D integer tensor or a list of ints, "
                            f"got {describe(lengths)}") from None
    # One axis, and it is the batch: not the feature axis a 1-D contract would otherwise get.
    counts = dataclasses.replace(contract_from(batch_token, "Int"), batch=0, feature=None)
    check_values("pack", [("x", c, x), ("lengths", counts, lengths)], sizes=sizes)
    if framework_of(x) != "torch":
        raise TypeError(f"pack(): x must be a torch.Tensor, got {describe(x)}")
    steps = (shape_of(x) or ())[layout.time_index]
    # torch moves lengths to the CPU itself; they are read here to check them, as it never does.
    on_cpu = torch.as_tensor(lengths).to("cpu", torch.int64)
    if steps is not None:
        bad = ((on_cpu < 1) | (on_cpu > steps)).nonzero()
        if bad.numel():
            i = int(bad[0, 0])
            value = int(on_cpu[i])
            why = (f"is {value}, but x has only {steps} steps on its time axis "
                   f"'{layout.time}': pack_padded_sequence would take it and read past the "
                   f"padding, and the recurrent layer would fail later or run on garbage"
                   if value > steps else
                   f"is {value}: every sequence needs at least one step")
            raise _error(
                "size", "pack", "lengths", None, None, f"1 to {steps}", value,
                f"x axis {layout.time_index} '{layout.time}'", None, None, None,
                f"pack() argument 'lengths': lengths[{i}] {why}",
            ).with_traceback(None)
    return pack_padded_sequence(x, on_cpu, batch_first=bool(layout.batch_first),
                                enforce_sorted=enforce_sorted)

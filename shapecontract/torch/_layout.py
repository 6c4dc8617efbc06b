"""How a contract lays out a recurrent layer's input: which axis is batch, time, feature.

torch's recurrent layers read ``(time, batch, feature)``, or ``(batch, time, feature)`` with
``batch_first=True``, or ``(time, feature)`` for one unbatched sequence. A contract names its
axes; this module turns those names into ``batch_first``, and refuses a contract that cannot
be read either way, saying what to write instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._boundary import contract_from
from .._contract import BATCH_NAMES, TIME_NAMES, Contract
from .._grammar import Axis

_ROLE_NAMES = (f"batch: {', '.join(sorted(BATCH_NAMES))}; "
               f"time: {', '.join(sorted(TIME_NAMES))}")


@dataclass(frozen=True)
class Layout:
    """A contract read as recurrent input.

    ``batch_first`` is None for an unbatched ``"time feat"`` contract. ``batch``, ``time`` and
    ``feature`` are the axes' labels as the contract writes them.
    """

    contract: Contract
    batch_first: bool | None
    batch: str | None
    time: str
    feature: str

    @property
    def batched(self) -> bool:
        return self.batch_first is not None

    @property
    def time_index(self) -> int:
        return 0 if self.batch_first is not True else 1

    @property
    def feature_axis(self) -> Axis:
        return self.contract.axes[-1]

    def describe(self) -> str:
        """``(batch, time, feature)`` with the contract's own labels."""
        if self.batch_first is None:
            return f"({self.time}, {self.feature})"
        if self.batch_first:
            return f"({self.batch}, {self.time}, {self.feature})"
        return f"({self.time}, {self.batch}, {self.feature})"

    def per_sample(self) -> Contract:
        """The contract of one sample: the batch axis dropped, so time comes first."""
        if self.batch_first is None:
            return self.contract
        tokens = [a.token for i, a in enumerate(self.contract.axes) if i != self.contract.batch]
        return contract_from(" ".join(tokens), self.contract.dtype_marker)


@dataclass(frozen=True)
class PlainContract:
    """A contract as its text and the labels of its role axes.

    What goes into another process (a module's ``__dict__``, a DataLoader worker) is this,
    not a Contract, whose accepted-dtype cache is keyed by ``id()`` and means nothing there.
    """

    dims: str
    marker: str
    roles: tuple[str | None, str | None, str | None]  # batch, time, feature

    @classmethod
    def of(cls, contract: Contract) -> PlainContract:
        def label(index: int | None) -> str | None:
            return None if index is None else contract.axes[index].label

        roles = (label(contract.batch), label(contract.time), label(contract.feature))
        return cls(contract.dims, contract.dtype_marker, roles)

    def contract(self, marker: str | None = None) -> Contract:
        """The Contract again, with the same roles; ``marker`` swaps its dtype marker."""
        batch, time, feature = self.roles
        return Contract.of(contract_from(self.dims, marker or self.marker), batch=batch,
                           time=time, feature=feature)


def parse_contract(contract: Any, function: str) -> Contract:
    """``Contract.of``, with a TypeError that names the adapter the contract was given to."""
    try:
        return Contract.of(contract)
    except TypeError as error:
        raise TypeError(f"{function}(): {error}") from None


def recurrent_layout(contract: Any, function: str, *, unbatched: bool = True) -> Layout:
    """Read a contract as recurrent input, or raise ValueError saying what to write."""
    parsed = parse_contract(contract, function)
    want = ('"batch time feat" (batch_first=True) or "time batch feat" (batch_first=False)'
            + (', or "time feat" for one unbatched sequence' if unbatched else ""))
    if parsed.rank is None:
        raise ValueError(
            f"{function}(): {parsed} has a variadic axis, so its rank is open; a torch "
            f"recurrent layer reads exactly 3 axes: write {want}"
        )
    labels = [a.label for a in parsed.axes]
    if parsed.rank == 2:
        if parsed.batch is not None and parsed.time is None:
            one = ' (or "time feat" for one sequence)' if unbatched else ""
            raise ValueError(
                f"{function}(): {parsed} has no time axis: it is a batch of vectors, which "
                f"torch runs as ONE sequence, reading the batch as time, without an error; "
                f'write "{labels[0]} time {labels[1]}" and give x.unsqueeze(1), sequences of '
                f"length 1{one}"
            )
        if parsed.time == 0 and unbatched:
            return Layout(parsed, None, None, labels[0], labels[1])
        if parsed.time == 0:
            raise ValueError(
                f"{function}(): {parsed} is one sequence; {function} takes the contract of the "
                f'batch: write "batch {parsed.dims}" (batch_first=True) or "{labels[0]} batch '
                f'{labels[1]}" (batch_first=False)'
            )
        raise ValueError(f"{function}(): {parsed} has 2 axes; {function} needs {want}")
    if parsed.rank != 3:
        raise ValueError(
            f"{function}(): {parsed} has {parsed.rank} axes; a torch recurrent layer reads "
            f"{want}"
        )
    if parsed.feature is not None and parsed.feature != 2:
        order = [i for i in range(3) if i != parsed.feature] + [parsed.feature]
        perm = ", ".join(str(i) for i in order)
        raise ValueError(
            f"{function}(): {parsed} has its feature axis '{labels[parsed.feature]}' at "
            f"position {parsed.feature}, but torch recurrent layers read features on the last "
            f"axis; give x.permute({perm}) and write \"{' '.join(labels[i] for i in order)}\""
        )
    if parsed.feature != 2 or parsed.batch is None or parsed.time is None or \
            {parsed.batch, parsed.time} != {0, 1}:
        raise ValueError(
            f"{function}(): {parsed} does not say which of its first two axes is the batch and "
            f"which is time (features come last); write {want}, naming the axes so ("
            f"{_ROLE_NAMES}), or pass Contract.of(contract, batch=..., time=...)"
        )
    batch_first = parsed.batch == 0
    return Layout(parsed, batch_first, labels[parsed.batch], labels[parsed.time], labels[2])


def feature_size(layout: Layout, sizes: Mapping[str, Any]) -> int | None:
    """The feature axis's size: a number in the contract, a size given, or None."""
    return layout.contract.shape(**sizes)[-1]

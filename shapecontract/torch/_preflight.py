"""``preflight`` and ``guard``: the input and hidden state of a recurrent module, checked
against the module before it runs.

Only ``.shape``, ``.dtype`` and ``.device`` are read, so the checks work on ``meta`` tensors
and never wait on a CUDA device. The one value read is ``batch_sizes[0]`` of a
``PackedSequence`` that comes with a hidden state: torch keeps ``batch_sizes`` on the CPU and
reads that same element itself, and it is the only place a packed batch states its size.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._array import describe, is_array, shape_of
from .._boundary import check_values, contract_from, sizes_in_force, with_details
from .._contract import Contract
from .._errors import ShapeContractError
from .._match import _error, _where
from ._layout import Layout, PlainContract, recurrent_layout
from ._module import Recurrent, find_recurrent

if TYPE_CHECKING:
    import torch
    from torch.utils.hooks import RemovableHandle

Fixed = dict[str, tuple[Any, str]]

_STATE_NOTE = ("hidden states are (num_layers * directions, batch, hidden) whatever "
               "batch_first says")
_PACKED_NOTE = ("torch skips its own input check for a PackedSequence: unchecked, this "
                "surfaces later as a matrix multiply error that names no axis")


def _fresh(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    taken.add(name)
    return name


@dataclass(frozen=True)
class Plan:
    """What one recurrent module asks of its input and hidden state: built once, run per call.

    ``layout`` is the data's layout as the user's contract gives it (the module's own layout
    where no contract was given); ``mismatch`` is True where that contract puts batch and time
    the other way round from the module's ``batch_first``.
    """

    rnn: Recurrent
    function: str
    x_label: str
    hx_label: str | None
    layout: Layout
    declared: bool  # the layout is a contract's (given, or the builder's), not just the module's
    batch_name: str  # the batch axis of the states, shared with x's
    x_contract: Contract
    extra_feature: Contract | None  # for a feature axis that is no plain name
    data_contract: Contract
    h_contract: Contract
    c_contract: Contract | None
    fixed: Fixed
    sizes: Mapping[str, Any]

    @property
    def mismatch(self) -> bool:
        return self.layout.batched and self.layout.batch_first != self.rnn.batch_first

    def run(self, x: Any, hx: Any = None) -> dict[str, Any]:
        """Check one call's input and hidden state; the sizes bound, or ShapeContractError."""
        import torch

        packed = isinstance(x, torch.nn.utils.rnn.PackedSequence)
        fixed = dict(self.fixed)
        values: list[tuple[str, Contract, Any]] = []
        if packed:
            values.append((f"{self.x_label}.data", self.data_contract, x.data))
            values.append((f"{self.x_label}.batch_sizes", contract_from("_", "Int64"),
                           x.batch_sizes))
            batch = self._packed_batch(x, hx)
            if batch is not None:
                fixed.setdefault(self.batch_name, batch)
        else:
            values.append((self.x_label, self.x_contract, x))
            if self.extra_feature is not None:
                values.append((self.x_label, self.extra_feature, x))
        unbatched = not packed and not self.layout.batched
        if hx is not None and self.hx_label is not None:
            values.extend(self._states(hx, unbatched))
        try:
            bound = check_values(self.function, values, fixed=fixed, sizes=self.sizes)
        except ShapeContractError as error:
            raise self._explain(error, x, values, fixed, packed) from None
        if self.mismatch and not packed:
            raise self._layout_error(x)
        return {k: v for k, v in bound.items() if k in self.x_contract.names}

    def _packed_batch(self, x: Any, hx: Any) -> tuple[int, str] | None:
        bs = x.batch_sizes
        if hx is None or bs.device.type != "cpu" or bs.ndim != 1 or bs.shape[0] == 0:
            return None
        # torch reads this same element (on the CPU, where it keeps batch_sizes) as max_batch_size.
        return int(bs[0]), f"the PackedSequence {self.x_label}: batch_sizes[0]"

    def _states(self, hx: Any, unbatched: bool) -> list[tuple[str, Contract, Any]]:
        h, c = self.h_contract, self.c_contract
        if unbatched:  # one sequence: the states lose their batch axis too
            h = _unbatched_state(h)
            c = _unbatched_state(c) if c is not None else None
        label = self.hx_label or "hx"
        if c is None:
            if isinstance(hx, (tuple, list)):
                kind = self.rnn.kind
                raise _error(
                    "type", self.function, label, None, None, "a tensor", type(hx).__name__,
                    None, f"{label}[0]" if len(hx) == 1 else None, None, h,
                    f"{_where(self.function, label)}: an nn.{kind} takes its state as one "
                    f"tensor h0 {h.dims.replace(' ', ', ').join('()')}, not a "
                    f"{type(hx).__name__} (a pair (h0, c0) is what an nn.LSTM takes); got "
                    f"{describe(hx)}",
                ).with_traceback(None)
            return [(label, h, hx)]
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            what = describe(hx) if is_array(hx) else type(hx).__name__
            raise _error(
                "type", self.function, label, None, None, "a tuple (h0, c0)", what, None,
                f"({label}, torch.zeros_like({label}))" if is_array(hx) else None, None, h,
                f"{_where(self.function, label)}: an nn.LSTM takes its state as a tuple "
                f"(h0, c0) of two tensors, got {what}",
            ).with_traceback(None)
        return [(f"{label}[0]", h, hx[0]), (f"{label}[1]", c, hx[1])]

    def _explain(self, error: ShapeContractError, x: Any,
                 values: list[tuple[str, Contract, Any]], fixed: Fixed,
                 packed: bool) -> ShapeContractError:
        """The core's error, with what only the module knows: its layout, torch's habits."""
        rnn = self.rnn
        argument = error.argument or ""
        details: list[str] = []
        hint = error.hint
        shape = shape_of(x) if not packed and is_array(x) else None
        on_states = self.hx_label is not None and argument.startswith(self.hx_label)
        if shape is not None and len(shape) == 3 and error.kind == "size" and (
                (argument == self.x_label and error.axis_index in (0, 1))
                or (on_states and error.axis_index == 1)) and self._swap_fits(x, values, fixed):
            if self.declared:
                # The contract says how the data is laid out: the data is what is wrong.
                hint = f"{self.x_label}.permute(1, 0, 2)"
                details.append(f"{self.x_label} looks laid out the other way round: the "
                               f'contract "{self.layout.contract.dims}" says '
                               f"{self.layout.describe()}")
            else:
                hint = (f"build the {rnn.kind} with batch_first={not rnn.batch_first} "
                        f"(or {self.x_label}.permute(1, 0, 2))")
                details.append(f"{rnn.owner} has batch_first={rnn.batch_first}: it reads "
                               f"{self.x_label} as {self._module_reading()}")
        elif argument == self.x_label and shape is not None:
            if error.kind == "rank" and len(shape) == 2 and self.layout.batched:
                details.append(
                    f"{rnn.owner} would take a 2-D {self.x_label} as ONE unbatched sequence of "
                    f"{shape[0]} steps, without an error; if it is one sequence, pass "
                    f'contract="{self.layout.time} {self.layout.feature}"'
                )
        elif packed and argument == f"{self.x_label}.data":
            details.append(_PACKED_NOTE)
        elif on_states:
            details.append(_STATE_NOTE)
        return with_details(error, details, hint=hint).with_traceback(None)

    def _module_reading(self) -> str:
        return "(batch, time, feature)" if self.rnn.batch_first else "(time, batch, feature)"

    def _swap_fits(self, x: Any, values: list[tuple[str, Contract, Any]],
                   fixed: Fixed) -> bool:
        """Whether x would pass with its first two axes swapped: the batch_first mistake."""
        import torch

        shape = [s for s in shape_of(x) or () if s is not None]
        if len(shape) != 3:
            return False
        probe = torch.empty((shape[1], shape[0], shape[2]), device="meta")
        swapped = [(label, contract_from(c.dims), probe if v is x else v)
                   for label, c, v in values]
        try:
            check_values(self.function, swapped, fixed=fixed, sizes=self.sizes)
        except ShapeContractError:
            return False
        return True

    def _layout_error(self, x: Any) -> ShapeContractError:
        rnn, layout = self.rnn, self.layout
        shape = shape_of(x) or (None, None, None)
        b = shape[0 if layout.batch_first else 1]
        t = shape[1 if layout.batch_first else 0]
        per = f": {b} sequences of {t} steps would run as {t} sequences of {b} steps" \
            if None not in (b, t) and b != t else ""
        other = "time batch" if layout.batch_first else "batch time"
        return _error(
            "layout", self.function, self.x_label, layout.batch, self.layout.contract.batch,
            f"batch_first={layout.batch_first}", f"batch_first={rnn.batch_first}",
            f"the contract {layout.contract}", f"build the {rnn.kind} with "
            f"batch_first={layout.batch_first} (or pass {self.x_label}.permute(1, 0, 2) with "
            f'the contract "{other} {layout.feature}")', x, self.x_contract,
            f"{_where(self.function, self.x_label)}: the contract \"{layout.contract.dims}\" "
            f"lays it out {layout.describe()}, but {rnn.owner} has batch_first="
            f"{rnn.batch_first} and reads it as {self._module_reading()}{per}, without an "
            f"error; got {describe(x)}",
        ).with_traceback(None)


def _state(dims: str, marker: str) -> Contract:
    """A hidden-state contract: axis 1 is the batch, and no axis is time (no padding hints)."""
    return dataclasses.replace(contract_from(dims, marker), batch=1, time=None, feature=2)


def _unbatched_state(contract: Contract) -> Contract:
    dims = " ".join(a.token for i, a in enumerate(contract.axes) if i != 1)
    return dataclasses.replace(contract_from(dims, contract.dtype_marker), batch=None,
                               time=None, feature=1)


def _module_layout(rnn: Recurrent) -> Layout:
    dims = "batch time feat" if rnn.batch_first else "time batch feat"
    return recurrent_layout(contract_from(dims, rnn.marker), "preflight")


def make_plan(module: Any, contract: Any, sizes: Mapping[str, Any], *, function: str,
              x_label: str, hx_label: str | None, given_to: str | None = None) -> Plan:
    """Everything about the module and contract that does not change from call to call.

    ``given_to`` names the adapter the sizes were given to where that is not ``function``
    (``guard()``, whose checks run as ``LSTM.forward``).
    """
    adapter = given_to or function
    rnn = find_recurrent(module, adapter)
    fixed: Fixed = {}
    given = dict(sizes)
    declared = True
    if contract is not None:
        layout = recurrent_layout(contract, adapter)
    else:
        stored = rnn.user_layout(adapter)
        layout = stored if stored is not None else _module_layout(rnn)
        declared = stored is not None
        if stored is not None and rnn.stored is not None:
            built = f'shapecontract.torch.{rnn.kind}("{stored.contract.dims}", ...)'
            for name, size in rnn.stored.sizes:
                fixed[name] = (size, f"{name}={size} given to {built}")
    # The user's contract, holding the module's dtype: the weights decide what it takes.
    x_contract = PlainContract.of(layout.contract).contract(rnn.marker)
    sizes_in_force(x_contract, given, adapter)  # refuses names the contract lacks
    if given_to is not None:
        for name, size in given.items():
            held = fixed.get(name)
            if held is not None and held[0] != size:
                raise ValueError(f"{given_to}(): {name}={size!r} contradicts {held[1]}")
            fixed[name] = (size, f"{name}={size!r} given to {given_to}()")
        given = {}
    taken = set(x_contract.names)
    feature = layout.feature_axis
    origin = f"{rnn.owner} input_size"
    extra: Contract | None = None
    if feature.kind == "named" and feature.name is not None:
        held = fixed.get(feature.name)
        if held is not None and held[0] != rnn.input_size:
            raise ValueError(f"{adapter}(): {held[1]} contradicts {origin}={rnn.input_size}")
        fixed[feature.name] = (rnn.input_size, origin)
    elif feature.kind == "fixed":
        if feature.size != rnn.input_size:
            raise ValueError(
                f"{adapter}(): the contract {layout.contract} gives {feature.size} features, "
                f"but {rnn.owner} takes input_size={rnn.input_size}"
            )
    else:
        name = _fresh("input_size", taken)
        extra = contract_from(f"... {name}")
        fixed[name] = (rnn.input_size, origin)
    feat_token = feature.name if feature.kind == "named" else str(rnn.input_size)
    data = contract_from(f"_ {feat_token}", rnn.marker)
    layers = _fresh("layers", taken)
    hidden = _fresh("hidden", taken)
    fixed[layers] = (rnn.states, rnn.layers_origin)
    fixed[hidden] = (rnn.hidden_size, f"{rnn.owner} hidden_size")
    out = hidden
    if rnn.out_size != rnn.hidden_size:
        out = _fresh("proj", taken)
        fixed[out] = (rnn.out_size, f"{rnn.owner} proj_size")
    batch = layout.contract.axes[layout.contract.batch].token \
        if layout.contract.batch is not None else _fresh("batch", taken)
    h = _state(f"{layers} {batch} {out}", rnn.marker)
    c = _state(f"{layers} {batch} {hidden}", rnn.marker) if rnn.kind == "LSTM" else None
    return Plan(rnn, function, x_label, hx_label, layout, declared, batch, x_contract, extra, data,
                h, c, fixed, given)


def preflight(module: torch.nn.Module, x: Any, hx: Any = None, /, *, contract: Any = None,
              **sizes: int) -> dict[str, Any]:
    """Check ``x`` and ``hx`` against a recurrent module before it runs; the sizes bound.

    ``module`` is an ``nn.LSTM``/``nn.GRU``/``nn.RNN`` or a module whose first submodule is
    one; ``x`` a tensor or a ``PackedSequence``; ``hx`` the initial state (``(h0, c0)`` for an
    LSTM), whose shape is ``(num_layers * directions, batch, hidden)`` whatever
    ``batch_first`` says. Raises ShapeContractError, with a fix, for a wrong feature count or
    dtype, hidden states of the wrong shape, and the two mistakes torch runs without a word:

    * data laid out batch-first into a time-major module (or the other way round). A
      ``(32, 20, 6)`` tensor fits ``(time, batch, feature)`` as well as ``(batch, time,
      feature)``, so this is caught where something says which axis is the batch: a
      ``contract="batch time feat"``, a size such as ``batch=32``, a ``dims()`` block, or the
      contract the module was built from by [`LSTM`][shapecontract.torch.LSTM];
    * a 2-D batch of vectors, which torch runs as one unbatched sequence: refused unless
      ``contract="time feat"`` says that one sequence is meant.

    Only shapes and dtypes are read, never values: ``meta`` tensors work, and nothing waits
    on a CUDA device.
    """
    plan = make_plan(module, contract, sizes, function="preflight", x_label="x",
                     hx_label="hx")
    return plan.run(x, hx)


def guard(module: torch.nn.Module, /, contract: Any = None, **sizes: int) -> RemovableHandle:
    """Check every call of ``module`` as [`preflight`][shapecontract.torch.preflight] does,
    ``PackedSequence`` included.

    Registers a forward pre-hook and returns its handle: ``handle.remove()`` stops the
    checks. On a module that wraps its recurrent layer, the first argument of ``forward`` is
    checked, as what goes into that layer; on the recurrent module itself, ``hx`` too.
    ``contract`` and ``sizes`` mean what they mean to
    [`preflight`][shapecontract.torch.preflight] and hold for every call
    (``guard(model, batch=32)`` catches batch-first data in a time-major model; the last,
    smaller batch of a loader would break it too). Errors name ``LSTM.forward`` (or the
    wrapping module's ``forward``) and its first parameter.

    Inside ``torch.compile`` the check runs eagerly, on the real tensors' shapes, at a graph
    break before the module, so dynamic shapes and recompiles change nothing. The first call
    of ``guard`` loads torch's compiler (about a second, once) to set that up.

        handle = shapecontract.torch.guard(lstm)
        lstm(packed)      # ShapeContractError naming the packed data's feature axis
        handle.remove()
    """
    import torch

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"guard(): expected a torch.nn.Module, got "
                        f"{type(module).__module__}.{type(module).__qualname__}")
    if isinstance(module, torch.jit.ScriptModule):
        raise TypeError(
            f"guard(): {type(module).__name__} is a TorchScript module, which runs no Python "
            f"hooks (torch refuses register_forward_pre_hook on it); check each batch with "
            f"shapecontract.torch.preflight(module, x) before calling it, or guard the "
            f"module before scripting it"
        )
    params = list(inspect.signature(module.forward).parameters)
    x_label = params[0] if params else "input"
    rnn = find_recurrent(module, "guard")
    own = rnn.module is module
    plan = make_plan(module, contract, sizes, function=f"{type(module).__name__}.forward",
                     x_label=x_label, hx_label="hx" if own else None, given_to="guard")

    def hook(_: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        x = args[0] if args else kwargs.get(x_label)
        hx = (args[1] if len(args) > 1 else kwargs.get("hx")) if own else None
        plan.run(x, hx)

    # Traced by dynamo, the check would run on fake tensors and its error path would be
    # compiled too; disabled, it runs on every call as in eager mode.
    checked = torch.compiler.disable(hook)  # type: ignore[no-untyped-call]
    return module.register_forward_pre_hook(checked, with_kwargs=True)

"""``shapecontract inspect MODEL``: a saved model's contracts, as annotations to paste."""

from __future__ import annotations

import argparse
from typing import Any

from ._load_model import LoadedModel, load_model
from ._loading import Unreadable, one_line


def run(args: argparse.Namespace) -> int:
    loaded = load_model(args.model)
    lines = _keras_lines(loaded.model) if loaded.framework == "keras" else \
        _torch_lines(loaded)
    header, rows = lines
    print(f"{loaded.path}: {header}")
    width = max(len(label) for label, _, _ in rows) + 1
    contract_width = max(len(contract) for _, contract, _ in rows)
    for label, contract, note in rows:
        text = f"  {label + ':':<{width}} {contract}"
        if note:
            text = f"{text:<{width + contract_width + 4}}  # {note}"
        print(text)
    return 0


Row = tuple[str, str, str]  # label, contract, note


def _keras_lines(model: Any) -> tuple[str, list[Row]]:
    from .keras._model import (
        ModelError,
        describe_model,
        input_signatures,
        output_signatures,
        signature_contract,
    )

    try:
        inputs = input_signatures(model)
        outputs = output_signatures(model)
    except (ModelError, TypeError) as exc:
        raise Unreadable(f"cannot read a contract from {describe_model(model)}: "
                         f"{one_line(exc)}") from None
    rows: list[Row] = [(_label("input", s.name, len(inputs)), str(signature_contract(s)), "")
                       for s in inputs]
    if outputs is None:
        rows.append(("output", "unknown", "a subclassed model states its output only "
                     "once called"))
    else:
        names = list(getattr(model, "output_names", None) or [s.name for s in outputs])
        rows += [(_label("output", name, len(outputs)), str(signature_contract(s)), "")
                 for name, s in zip(names, outputs)]
    return f"Keras model '{model.name}' ({type(model).__name__})", rows


def _label(role: str, name: str, count: int) -> str:
    return f"{role} {name!r}" if count > 1 else role


def _torch_lines(loaded: LoadedModel) -> tuple[str, list[Row]]:
    from .torch._module import contracts_of, find_recurrent

    try:
        rnn = find_recurrent(loaded.model, "inspect")
        found = contracts_of(loaded.model)
    except (TypeError, ValueError) as exc:
        raise Unreadable(f"cannot read a contract from {loaded.describe()}: "
                         f"{one_line(exc)}") from None
    header = loaded.describe()
    wrapped = rnn.module is not loaded.model
    if wrapped:
        header += f", read from its first recurrent layer {rnn.owner}"
    layer = rnn.owner.split(":", 1)[0]
    output_note = f"{layer}'s output; what follows it is known only by running the module" \
        if wrapped else ""
    rows: list[Row] = [
        ("input", str(found.input), ""),
        ("output", str(found.output), output_note),
        ("hidden", str(found.hidden), "h0 and h_n: (num_layers * directions, batch, hidden)"),
    ]
    if found.cell is not None:
        rows.append(("cell", str(found.cell), "c0 and c_n"))
    return header, rows

"""``shapecontract check MODEL DATA [--y LABELS]``: preflight on data files, by the model's
framework. Exit status 0 when the data fits, 1 on a mismatch (the diagnosis on stdout)."""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Any

import numpy as np

from ._errors import ShapeContractError
from ._load_data import DataFile, Loaded
from ._load_model import LoadedModel, load_model
from ._loading import Unreadable, one_line


def run(args: argparse.Namespace) -> int:
    loaded = load_model(args.model)
    data = DataFile(args.data, "DATA")
    sizes = _sizes(args.size or [])
    if loaded.framework == "keras":
        return _keras(loaded, data, args, sizes)
    return _torch(loaded, data, args, sizes)


def _sizes(given: list[tuple[str, int]]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for name, size in given:
        if sizes.setdefault(name, size) != size:
            raise Unreadable(f"--size {name}={size} contradicts --size {name}={sizes[name]}")
    return sizes


def _labels(data: DataFile, value: str | None, x_key: str | None) -> Loaded | None:
    """--y as a file, else as a key of DATA's .npz; without --y, labels saved beside x."""
    if value is None:
        return data.y(x_key)
    keys = data.keys or []
    if value in keys and not pathlib.Path(value).exists():
        return data.get(value)
    try:
        return DataFile(value, "--y").labels()
    except Unreadable:
        if keys and not pathlib.Path(value).exists():
            raise Unreadable(f"--y {value}: no such file, and {data.path} has no key "
                             f"{value!r} (its keys: {', '.join(keys)})") from None
        raise


def _keras_labels(data: DataFile, value: str | None, x_key: str | None,
                  outputs: list[str]) -> Loaded | None:
    """The labels for a Keras model: one array, or one per output of a model with several."""
    if len(outputs) <= 1:
        return _labels(data, value, x_key)
    by_name = data.named(outputs) if value is None else None
    if by_name is not None:
        return by_name
    if value is None and data.y(x_key) is None:
        return None  # no labels anywhere: x alone is checked
    arrays = ", ".join(f"{n}=..." for n in outputs)
    raise Unreadable(f"the model has {len(outputs)} outputs ({', '.join(outputs)}): save the "
                     f"labels in DATA's .npz keyed by their names (np.savez(path, x=..., "
                     f"{arrays}))")


def _keras(loaded: LoadedModel, data: DataFile, args: argparse.Namespace,
           sizes: dict[str, int]) -> int:
    from .keras._model import ModelError, input_signatures, output_signatures
    from .keras._model import signature_contract as contract
    from .keras._preflight import preflight

    model = loaded.model
    try:
        inputs = input_signatures(model)
        outputs = output_signatures(model) or []
    except (ModelError, TypeError) as exc:
        raise Unreadable(f"cannot read a contract from {loaded.describe()}: "
                         f"{one_line(exc)}") from None
    names = list(getattr(model, "output_names", None) or [s.name for s in outputs])
    x, x_key = data.x(args.key, [s.name for s in inputs])
    y = _keras_labels(data, args.y, x_key, names)
    try:
        bound = preflight(model, x.value, None if y is None else y.value, **sizes)
    except ShapeContractError as error:
        return _mismatch(loaded, error, x, y, sizes)
    except (ModelError, ValueError, TypeError) as exc:
        raise Unreadable(one_line(exc)) from None
    rows = [("x", x, " / ".join(str(contract(s)) for s in inputs))]
    if y is not None:
        rows.append(("y", y, " / ".join(str(contract(s)) for s in outputs) or
                     "the batch size of x (the model states no output)"))
    _fits(loaded, rows, bound)
    return 0


def _torch(loaded: LoadedModel, data: DataFile, args: argparse.Namespace,
           sizes: dict[str, int]) -> int:
    import torch

    from .torch._module import contract_of
    from .torch._preflight import preflight

    if args.y is not None:
        raise Unreadable("--y: labels are checked against a Keras model's output; a torch "
                         "module states no output to hold them to (check x alone)")
    x, _ = data.x(args.key, [])
    tensor = torch.from_numpy(np.ascontiguousarray(x.value))
    try:
        wanted = str(contract_of(loaded.model))
        bound = preflight(loaded.model, tensor, **sizes)
    except ShapeContractError as error:
        return _mismatch(loaded, error, x, None, sizes)
    except (ValueError, TypeError) as exc:
        raise Unreadable(one_line(exc)) from None
    _fits(loaded, [("x", x, wanted)], bound)
    return 0


def _array_text(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_array_text(v)}" for k, v in value.items()) + "}"
    return f"{value.dtype}[{', '.join(str(s) for s in value.shape)}]"


def _fits(loaded: LoadedModel, rows: list[tuple[str, Loaded, str]],
          bound: dict[str, Any]) -> None:
    batch = bound.get("batch")
    sizes = f" (batch={batch})" if isinstance(batch, int) else ""
    print(f"fits: the data meets {loaded.describe()} from {loaded.path}{sizes}")
    shapes = [_array_text(item.value) for _, item, _ in rows]
    width = max(map(len, shapes))
    where_width = max(len(item.where) for _, item, _ in rows)
    for (label, item, wanted), shape in zip(rows, shapes):
        print(f"  {label}  {shape:<{width}}  from {item.where:<{where_width}}  for {wanted}")


def _mismatch(loaded: LoadedModel, error: ShapeContractError, x: Loaded,
              y: Loaded | None, sizes: dict[str, int]) -> int:
    given = f"x = {x.where}" + (f", y = {y.where}" if y is not None else "")
    print(f"does not fit: {loaded.describe()} from {loaded.path} ({given})")
    text = str(error)
    for name, size in sizes.items():  # the user gave them as options, not to preflight()
        text = text.replace(f"{name}={size} passed to preflight()", f"--size {name}={size}")
    print(text)
    what = error.argument or "the data"
    print(f"shapecontract check: {what} does not fit {loaded.path}", file=sys.stderr)
    return 1

"""Read the data for ``shapecontract check``: ``.npy``, ``.npz`` and ``.csv`` files.

- ``.npy``: the array, as saved. Object arrays (a ragged list saved as is) are refused: they
  need pickle to load.
- ``.npz``: x is the key given with ``--key``; else the first of ``x``, ``X``, ``inputs``,
  ``input``, ``features`` that is there; else ``arr_0`` (``np.savez(path, x, y)``); else the
  only array that is not a label key. Labels are the first of ``y``, ``Y``, ``labels``,
  ``targets``, ``target`` (``arr_1`` where x is ``arr_0``). A model with several inputs takes
  the keys named after its inputs.
- ``.csv`` (or any text file): a 2-D float32 table, read with numpy. A first line with a cell
  that is not a number is a header and skipped; the delimiter is ``,``, else ``;``, else a tab,
  else blanks.

Files are told apart by content: an ``.npz`` named ``.csv`` is still an ``.npz``.
"""

from __future__ import annotations

import pathlib
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._loading import Unreadable, existing, one_line, sniff

X_KEYS = ("x", "X", "inputs", "input", "features")
Y_KEYS = ("y", "Y", "labels", "targets", "target")
_UNREADABLE = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error)


@dataclass(frozen=True)
class Loaded:
    """One array, or several by name (a model's inputs), and where they came from."""

    value: Any  # an ndarray, or a dict of them
    where: str  # "train.npz['x']", "readings.csv (header skipped)"


class DataFile:
    """A data file, opened: one array, or an .npz's arrays by key (read when asked for)."""

    def __init__(self, path: str, role: str) -> None:
        self.path = existing(path, role)
        self.role = role
        self.kind, self.words = sniff(self.path)
        self._npz: Any = None
        if self.kind == "npz":
            try:
                self._npz = np.load(self.path, allow_pickle=False)
            except _UNREADABLE as exc:
                raise self._unreadable(exc) from None
        elif self.kind not in ("npy", "text"):
            raise Unreadable(f"{role} {path} is {self.words}, not data shapecontract reads "
                             f"(.npy, .npz or .csv)")

    @property
    def keys(self) -> list[str] | None:
        """The .npz's keys, in the order they were saved; None for a single array."""
        return list(self._npz.files) if self._npz is not None else None

    def _unreadable(self, exc: BaseException, key: str | None = None) -> Unreadable:
        where = f"{self.path}[{key!r}]" if key is not None else str(self.path)
        text = one_line(exc)
        if "allow_pickle" in text:
            return Unreadable(
                f"{self.role} {where} holds Python objects (a list of sequences of different "
                f"lengths, saved as is?), which only pickle can read: pad them to one array "
                f"first (keras.utils.pad_sequences(seqs, dtype=\"float32\", padding=\"post\"))"
            )
        return Unreadable(f"{self.role} {where}: cannot read it as {self.words}: {text}")

    def get(self, key: str) -> Loaded:
        """One array of the .npz by key."""
        keys = self.keys
        if keys is None:
            raise Unreadable(f"{self.role} {self.path} is {self.words}, which holds one array "
                             f"and no keys (--key {key} names an .npz key)")
        if key not in keys:
            raise Unreadable(f"{self.role} {self.path} has no key {key!r}; its keys: "
                             f"{', '.join(keys) or 'none'}")
        try:
            array = self._npz[key]
        except _UNREADABLE as exc:
            raise self._unreadable(exc, key) from None
        return Loaded(array, f"{self.path}[{key!r}]")

    def single(self) -> Loaded:
        """The array of a .npy or .csv file."""
        if self.kind == "npy":
            try:
                return Loaded(np.load(self.path, allow_pickle=False), str(self.path))
            except _UNREADABLE as exc:
                raise self._unreadable(exc) from None
        return _read_table(self.path, self.role)

    def x(self, key: str | None, input_names: list[str]) -> tuple[Loaded, str | None]:
        """x and the key it came from (None for a single-array file)."""
        keys = self.keys
        if keys is None:
            if key is not None:
                self.get(key)  # raises: a single array has no keys
            if len(input_names) > 1:
                raise self._several(input_names, "holds one array")
            return self.single(), None
        if key is not None:
            if len(input_names) > 1:
                raise Unreadable(f"--key {key}: the model has {len(input_names)} inputs, "
                                 f"which take the keys named after them")
            return self.get(key), key
        if len(input_names) > 1:
            parts = self.named(input_names)
            if parts is None:
                missing = [n for n in input_names if n not in keys]
                noun = "key" if len(missing) == 1 else "keys"
                raise self._several(input_names, f"has no {noun} {', '.join(map(repr, missing))}"
                                                 f" (its keys: {', '.join(keys)})")
            return parts, None
        chosen = _x_key(keys)
        if chosen is None:
            raise Unreadable(
                f"{self.role} {self.path} holds {', '.join(keys) or 'no arrays'}, and none is "
                f"obviously x (x, X, inputs, or the only array): name it with --key"
            )
        return self.get(chosen), chosen

    def named(self, names: list[str]) -> Loaded | None:
        """The arrays keyed by a model's input (or output) names, if the .npz has them all."""
        keys = self.keys
        if keys is None or any(n not in keys for n in names):
            return None
        parts = {n: self.get(n).value for n in names}
        return Loaded(parts, f"{self.path}[{', '.join(map(repr, names))}]")

    def _several(self, input_names: list[str], what: str) -> Unreadable:
        arrays = ", ".join(f"{n}=..." for n in input_names)
        return Unreadable(f"{self.role} {self.path} {what}, but the model has "
                          f"{len(input_names)} inputs: save one array per input, keyed by "
                          f"its name (np.savez(path, {arrays}))")

    def y(self, x_key: str | None) -> Loaded | None:
        """The labels saved beside x in an .npz, or None."""
        keys = self.keys
        if keys is None:
            return None
        for key in Y_KEYS:
            if key in keys and key != x_key:
                return self.get(key)
        if x_key == "arr_0" and "arr_1" in keys:
            return self.get("arr_1")
        return None

    def labels(self) -> Loaded:
        """The array of a file given as the labels (--y): its only array, or its y key."""
        keys = self.keys
        if keys is None:
            return self.single()
        for key in Y_KEYS:
            if key in keys:
                return self.get(key)
        if len(keys) == 1:
            return self.get(keys[0])
        raise Unreadable(f"{self.role} {self.path} holds {', '.join(keys)}, and none is "
                         f"obviously the labels (y, labels, targets, or the only array)")


def _x_key(keys: list[str]) -> str | None:
    for key in X_KEYS:
        if key in keys:
            return key
    if "arr_0" in keys:
        return "arr_0"
    rest = [k for k in keys if k not in Y_KEYS]
    return rest[0] if len(rest) == 1 else None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_table(path: pathlib.Path, role: str) -> Loaded:
    try:
        with path.open(encoding="utf-8-sig") as f:
            first = f.readline().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable(f"{role} {path}: cannot read it as text: {one_line(exc)}") from None
    delimiter = next((d for d in (",", ";", "\t") if d in first), None)
    cells = [c.strip() for c in first.split(delimiter)]
    header = any(c and not _is_number(c) for c in cells)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data": said below
            table = np.loadtxt(path, delimiter=delimiter, skiprows=1 if header else 0,
                               dtype=np.float32, ndmin=2, encoding="utf-8-sig")
    except ValueError as exc:
        where = _first_bad_line(path, delimiter, header) or one_line(exc)
        raise Unreadable(f"{role} {path}: not a table of numbers: {where}") from None
    if table.size == 0:
        raise Unreadable(f"{role} {path}: no rows of numbers")
    note = " (header row skipped)" if header else ""
    return Loaded(table, f"{path}{note}")


def _first_bad_line(path: pathlib.Path, delimiter: str | None, header: bool) -> str | None:
    """Where a table breaks, by line of the file (numpy counts rows from 0 after the header
    in one message and from 1 in another)."""
    width: int | None = None
    with path.open(encoding="utf-8-sig") as f:
        for number, line in enumerate(f, 1):
            if (number == 1 and header) or not line.strip():
                continue
            cells = [c.strip() for c in line.strip().split(delimiter)]
            bad = next((c for c in cells if not _is_number(c)), None)
            if bad is not None:
                return f"line {number}: {bad!r} is not a number"
            if width is not None and len(cells) != width:
                return f"line {number} has {len(cells)} columns, the lines before {width}"
            width = len(cells)
    return None

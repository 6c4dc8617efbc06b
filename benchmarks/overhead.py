"""Per-call cost of shape checking, in microseconds, for numpy, torch and tensorflow inputs.

    python benchmarks/overhead.py [--quick] [--json PATH]

Every variant wraps the same function, which returns its first argument, with one contract
written in each checker's syntax. Two contracts are measured:

* two arrays, ``f(x: "batch time feat", y: "batch 1") -> "batch time feat"`` on float32
  inputs of shapes (8, 20, 3) and (8, 1), as in the README;
* one to eight arrays, ``f(x0: "batch time feat", ..., xN: "batch time feat") ->
  "batch time feat"``, all (8, 20, 3), to show the cost of each further argument (the
  ``per extra array`` rows are the least-squares slope over the eight counts).

Before any timing, each checker is shown to check: the shape checkers must refuse the last
argument with an axis missing and, where there are two or more arrays, with a batch size
that disagrees with the first; beartype alone must refuse a list; the unchecked and disabled
variants must accept all of these. Each cell is the minimum over 5 runs of N calls, N chosen
so a run lasts at least 0.05 s (the minimum is the figure least disturbed by other work on a
shared machine). ``ratio`` is (jaxtyping + beartype) / shapecontract.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import _measure
import beartype
import beartype.roar
import jaxtyping
import numpy as np

import shapecontract

NAME = "overhead"
REPEAT = 5
MAX_ARRAYS = 8
SIZES = {"batch": 8, "time": 20, "feat": 3}
COLUMNS = ("no checking", "beartype alone", "jaxtyping + beartype", "check_shapes",
           "shapecontract", "shapecontract disabled")
PACKAGES = ("numpy", "torch", "tensorflow", "jaxtyping", "beartype", "check_shapes",
            "shapecontract")


@dataclass(frozen=True)
class Signature:
    """A contract: each parameter's dims and the result's, in jaxtyping's syntax."""

    params: tuple[tuple[str, str], ...]
    result: str

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.params]

    def shapes(self) -> list[tuple[int, ...]]:
        return [_shape(dims) for _, dims in self.params]

    def check_shapes_specs(self) -> list[str]:
        """The same contract in check_shapes' syntax: ``"x: [batch, time, feat]"``."""
        pairs = [*self.params, ("return", self.result)]
        return [f"{name}: [{', '.join(dims.split())}]" for name, dims in pairs]


def _shape(dims: str) -> tuple[int, ...]:
    return tuple(SIZES[d] if d in SIZES else int(d) for d in dims.split())


TWO_ARRAYS = Signature((("x", "batch time feat"), ("y", "batch 1")), "batch time feat")


def arrays(count: int) -> Signature:
    return Signature(tuple((f"x{i}", "batch time feat") for i in range(count)),
                     "batch time feat")


@dataclass(frozen=True)
class Framework:
    plain_type: type  # the hint beartype alone checks, and jaxtyping's array type
    convert: Callable[[np.ndarray], Any]  # a numpy array to this framework's array


def frameworks() -> dict[str, Framework]:
    import tensorflow as tf
    import torch

    return {
        "numpy": Framework(np.ndarray, lambda a: a),
        "torch": Framework(torch.Tensor, torch.from_numpy),
        "tensorflow": Framework(tf.Tensor, tf.constant),
    }


# -- one function per column ---------------------------------------------------------------------


def _function(signature: Signature, hint: Callable[[str], Any]) -> Callable[..., Any]:
    """A fresh function of the signature's parameters that returns the first, annotated with
    ``hint(dims)``. beartype reads the parameters from the code object, so they must be real
    ones, not ``*args``: the function is written out and compiled."""
    names = signature.names
    namespace: dict[str, Any] = {}
    exec(f"def f({', '.join(names)}):\n    return {names[0]}", namespace)
    func: Callable[..., Any] = namespace["f"]
    func.__annotations__ = {**{name: hint(dims) for name, dims in signature.params},
                            "return": hint(signature.result)}
    return func


@contextmanager
def _environ(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


def _shapecontract(signature: Signature, disabled: bool) -> Callable[..., Any]:
    def hint(dims: str) -> Any:
        return shapecontract.Float[shapecontract.Array, dims]

    # check reads SHAPECONTRACT_DISABLE when it decorates, so the variable is set around that.
    with _environ("SHAPECONTRACT_DISABLE", "1" if disabled else "0"):
        return shapecontract.check(_function(signature, hint))


def variants(signature: Signature, plain: type) -> dict[str, Callable[..., Any]]:
    """One function per column, decorated as that column says."""
    import check_shapes

    jaxtyped = jaxtyping.jaxtyped(typechecker=beartype.beartype)

    def untyped(_: str) -> Any:
        return plain

    def jaxtyping_hint(dims: str) -> Any:
        return jaxtyping.Float[plain, dims]

    by_check_shapes = check_shapes.check_shapes(*signature.check_shapes_specs())
    return {
        "no checking": _function(signature, untyped),
        "beartype alone": beartype.beartype(_function(signature, untyped)),
        "jaxtyping + beartype": jaxtyped(_function(signature, jaxtyping_hint)),
        "check_shapes": by_check_shapes(_function(signature, untyped)),
        "shapecontract": _shapecontract(signature, disabled=False),
        "shapecontract disabled": _shapecontract(signature, disabled=True),
    }


# -- proof that each column checks what it claims to -------------------------------------------


def _shape_errors() -> dict[str, type[Exception]]:
    """The error each shape checker raises for a bad shape; nothing else counts as a refusal."""
    from check_shapes.exceptions import ShapeMismatchError

    return {"jaxtyping + beartype": jaxtyping.TypeCheckError,
            "check_shapes": ShapeMismatchError,
            "shapecontract": shapecontract.ShapeContractError}


def bad_shapes(signature: Signature) -> list[tuple[str, list[tuple[int, ...]]]]:
    """Calls that break the contract in the last argument: one axis short, and (with two
    arrays or more) a batch size that disagrees with the first argument's."""
    shapes = signature.shapes()
    last = shapes[-1]
    bad = [("an axis missing", [*shapes[:-1], last[:-1]])]
    if len(shapes) > 1:
        bad.append(("batch size disagrees", [*shapes[:-1], (last[0] - 1, *last[1:])]))
    return bad


def _outcome(func: Callable[..., Any], args: Sequence[Any]) -> Exception | None:
    try:
        func(*args)
    except Exception as exc:  # any error is an outcome to compare with the expected one
        return exc
    return None


def verify(funcs: dict[str, Callable[..., Any]], signature: Signature,
           framework: Framework) -> None:
    """Exit unless each column refuses what it must and accepts what it should."""
    def make(shapes: Sequence[tuple[int, ...]]) -> list[Any]:
        return [framework.convert(np.ones(s, dtype=np.float32)) for s in shapes]

    good = make(signature.shapes())
    checkers = _shape_errors()
    for name, func in funcs.items():
        if _outcome(func, good) is not None:
            raise SystemExit(f"{name} refused a call that meets the contract")
        for why, shapes in bad_shapes(signature):
            error = _outcome(func, make(shapes))
            if name in checkers and not isinstance(error, checkers[name]):
                raise SystemExit(f"{name} accepted a call with {why}: it is not checking")
            if name not in checkers and error is not None:
                raise SystemExit(f"{name} refused a call with {why}: it checks shapes")
    wrong_type = [*good[:-1], [1.0]]  # beartype alone checks types, not shapes
    if not isinstance(_outcome(funcs["beartype alone"], wrong_type),
                      beartype.roar.BeartypeCallHintViolation):
        raise SystemExit("beartype alone accepted a list for an array: it is not checking")


# -- measuring ---------------------------------------------------------------------------------


def measure(signature: Signature, framework: Framework, min_seconds: float) -> dict[str, float]:
    """Microseconds per call for each column, and the ratio."""
    funcs = variants(signature, framework.plain_type)
    verify(funcs, signature, framework)
    rng = np.random.default_rng(0)
    args = tuple(framework.convert(rng.standard_normal(s, dtype=np.float32))
                 for s in signature.shapes())
    row = {name: 1e6 * _measure.per_call_seconds(func, args, repeat=REPEAT,
                                                 min_seconds=min_seconds)
           for name, func in funcs.items()}
    row["ratio"] = row["jaxtyping + beartype"] / row["shapecontract"]
    return row


def slope(rows: dict[int, dict[str, float]]) -> dict[str, float]:
    """Least-squares microseconds per further array, for each column, and their ratio."""
    counts = np.array(sorted(rows), dtype=float)
    out = {c: float(np.polyfit(counts, [rows[int(n)][c] for n in counts], 1)[0])
           for c in COLUMNS}
    out["ratio"] = out["jaxtyping + beartype"] / out["shapecontract"]
    return out


def _cells(row: dict[str, float]) -> list[str]:
    return [f"{row[c]:.2f}" for c in COLUMNS] + [f"{row['ratio']:.1f}x"]


def two_arrays_table(results: dict[str, dict[str, float]]) -> str:
    rows = [[name, *_cells(row)] for name, row in results.items()]
    return _measure.markdown_table(["framework", *COLUMNS, "ratio"], rows)


def per_array_table(counts: dict[str, dict[int, dict[str, float]]],
                    slopes: dict[str, dict[str, float]]) -> str:
    rows: list[list[str]] = []
    for name, by_count in counts.items():
        rows += [[name, str(n), *_cells(row)] for n, row in by_count.items()]
        rows.append([name, "per extra array", *_cells(slopes[name])])
    return _measure.markdown_table(["framework", "arrays", *COLUMNS, "ratio"], rows, "ll"
                                   + "r" * (len(COLUMNS) + 1))


def main() -> None:
    args = _measure.arguments(__doc__.splitlines()[0] if __doc__ else NAME,
                              "runs of at least 5 ms, not 50 ms")
    min_seconds = 0.005 if args.quick else 0.05
    with _measure.quiet_frameworks():
        import check_shapes  # noqa: F401  (imports tensorflow and torch)

        fws = frameworks()
    info = _measure.machine(PACKAGES)

    two = {name: measure(TWO_ARRAYS, fw, min_seconds) for name, fw in fws.items()}
    counts = {name: {n: measure(arrays(n), fw, min_seconds) for n in range(1, MAX_ARRAYS + 1)}
              for name, fw in fws.items()}
    slopes = {name: slope(by_count) for name, by_count in counts.items()}

    print(f"Per-call cost in µs, minimum of {REPEAT} runs of at least {min_seconds} s each; "
          f"{_measure.describe(info)}\n")
    print('Two arrays: f(x: "batch time feat", y: "batch 1") -> "batch time feat"\n')
    print(two_arrays_table(two))
    print('\nOne to eight arrays: f(x0: "batch time feat", ..., xN: "batch time feat") -> '
          '"batch time feat"\n')
    print(per_array_table(counts, slopes))
    settings = {"unit": "microseconds per call", "repeat": REPEAT, "min_seconds": min_seconds,
                "sizes": SIZES, "dtype": "float32", "columns": list(COLUMNS),
                "ratio": "jaxtyping + beartype / shapecontract",
                "check_shapes_specs": TWO_ARRAYS.check_shapes_specs()}
    results = {"two_arrays": two,
               "per_array_count": {name: {str(n): row for n, row in by_count.items()}
                                   for name, by_count in counts.items()},
               "per_extra_array": slopes}
    path = _measure.write_json(NAME, args.json, info, settings, results)
    print(f"\nResults: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Per-call cost of shape checking, in microseconds, for numpy, torch and tensorflow inputs.

    python benchmarks/overhead.py [--quick] [--json PATH]

Every variant wraps the same function, ``return x``, with the signature

    f(x: Float[Array, "batch time feat"], y: Float[Array, "batch 1"])
        -> Float[Array, "batch time feat"]

called on float32 inputs of shapes (8, 20, 3) and (8, 1). Each cell is the minimum over
5 repeats of N calls (``timeit``), divided by N; ``ratio`` is
(jaxtyping + beartype) / shapecontract.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import beartype
import jaxtyping
import numpy as np

import shapecontract

X_DIMS, Y_DIMS = "batch time feat", "batch 1"
X_SHAPE, Y_SHAPE = (8, 20, 3), (8, 1)
REPEAT = 5
COLUMNS = ("no checking", "beartype alone", "jaxtyping + beartype", "shapecontract",
           "shapecontract disabled")
PACKAGES = ("numpy", "torch", "tensorflow", "jaxtyping", "beartype", "shapecontract")


@dataclass(frozen=True)
class Framework:
    plain_type: type  # the hint beartype alone checks, and jaxtyping's array type
    convert: Callable[[np.ndarray], Any]  # a numpy array to this framework's array


def frameworks() -> dict[str, Framework]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before the import, to keep output clean
    import tensorflow as tf
    import torch

    return {
        "numpy": Framework(np.ndarray, lambda a: a),
        "torch": Framework(torch.Tensor, torch.from_numpy),
        "tensorflow": Framework(tf.Tensor, tf.constant),
    }


def _function(x_hint: Any, y_hint: Any, return_hint: Any) -> Callable[..., Any]:
    """A fresh ``f(x, y) -> x`` carrying the given annotations, for a decorator to read."""

    def f(x: Any, y: Any) -> Any:
        return x

    f.__annotations__ = {"x": x_hint, "y": y_hint, "return": return_hint}
    return f


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


def _shapecontract(disabled: bool) -> Callable[..., Any]:
    sc, array = shapecontract.Float, shapecontract.Array
    # check reads SHAPECONTRACT_DISABLE when it decorates, so the variable is set around that.
    with _environ("SHAPECONTRACT_DISABLE", "1" if disabled else "0"):
        return shapecontract.check(_function(sc[array, X_DIMS], sc[array, Y_DIMS],
                                             sc[array, X_DIMS]))


def variants(plain: type) -> dict[str, Callable[..., Any]]:
    """One function per column, decorated as that column says."""
    jt = jaxtyping.Float
    jaxtyped = jaxtyping.jaxtyped(typechecker=beartype.beartype)
    return {
        "no checking": _function(plain, plain, plain),
        "beartype alone": beartype.beartype(_function(plain, plain, plain)),
        "jaxtyping + beartype": jaxtyped(_function(jt[plain, X_DIMS], jt[plain, Y_DIMS],
                                                   jt[plain, X_DIMS])),
        "shapecontract": _shapecontract(disabled=False),
        "shapecontract disabled": _shapecontract(disabled=True),
    }


def _rejects(func: Callable[..., Any], *args: Any) -> bool:
    try:
        func(*args)
    except Exception:
        return True
    return False


def per_call_us(func: Callable[..., Any], args: tuple[Any, ...], number: int) -> float:
    func(*args)  # the first call may take a slow path that fills caches
    times = timeit.repeat("f(*args)", globals={"f": func, "args": args}, number=number,
                          repeat=REPEAT)
    return min(times) / number * 1e6


def measure(framework: Framework, number: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    x, y, bad_y = (framework.convert(rng.standard_normal(shape, dtype=np.float32))
                   for shape in (X_SHAPE, Y_SHAPE, (X_SHAPE[0] - 1, 1)))
    funcs = variants(framework.plain_type)
    for name in ("jaxtyping + beartype", "shapecontract"):
        if not _rejects(funcs[name], x, bad_y):
            raise SystemExit(f"{name} accepted a mismatched batch size: it is not checking")
    if _rejects(funcs["shapecontract disabled"], x, bad_y):
        raise SystemExit("shapecontract disabled still checks")
    row = {name: per_call_us(func, (x, y), number) for name, func in funcs.items()}
    row["ratio"] = row["jaxtyping + beartype"] / row["shapecontract"]
    return row


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu_name(),
        "arch": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "versions": {name: str(sys.modules[name].__version__) for name in PACKAGES},
        "date": datetime.date.today().isoformat(),
    }


def table(results: dict[str, dict[str, float]]) -> str:
    header = ["framework", *COLUMNS, "ratio"]
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    for name, row in results.items():
        cells = [f"{row[c]:.2f}" for c in COLUMNS] + [f"{row['ratio']:.1f}x"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2000 calls per repeat, not 20000")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    args = parser.parse_args(argv)
    number = 2000 if args.quick else 20000

    results = {name: measure(fw, number) for name, fw in frameworks().items()}
    info = machine()
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    print(f"Per-call cost in µs (min of {REPEAT} x {number} calls) on {info['cpu']} "
          f"({info['arch']}, {info['cpus']} CPUs), Python {info['python']}; {versions}; "
          f"{info['date']}\n")
    print(table(results))
    if args.json:
        payload = {**info, "unit": "microseconds per call", "repeat": REPEAT,
                   "number": number, "results": results}
        with open(args.json, "w") as out:
            json.dump(payload, out, indent=2)
            out.write("\n")


if __name__ == "__main__":
    main()

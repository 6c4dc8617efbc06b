"""What every benchmark script shares: timing, the machine's description, tables, JSON.

The scripts are run as ``python benchmarks/<name>.py``, which puts this folder on
``sys.path``; they import this module as ``_measure``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import sys
import timeit
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shapecontract._quiet import native_stderr_silenced

RESULTS = Path(__file__).resolve().parent / "results"

# Distribution names to try for each package, first installed one wins.
_DISTRIBUTIONS = {
    "tensorflow": ("tensorflow", "tensorflow-cpu"),
    "check_shapes": ("check-shapes",),
}


def per_call_seconds(func: Callable[..., Any], args: tuple[Any, ...] = (), *, repeat: int,
                     min_seconds: float, max_number: int = 1_000_000) -> float:
    """Seconds per call of ``func(*args)``: the minimum over ``repeat`` runs of N calls.

    N is chosen so that one run lasts at least ``min_seconds``: the minimum of several runs
    long enough to dwarf the timer is the figure least disturbed by other work on a shared
    machine. The first call is made, untimed, beforehand: it may fill caches.
    """
    func(*args)
    timer = timeit.Timer("f(*args)", globals={"f": func, "args": args})
    number = 1
    while True:
        took = timer.timeit(number)
        if took >= min_seconds or number >= max_number:
            break
        # Aim past the target from what this run took, at least doubling.
        guess = int(number * min_seconds / max(took, 1e-9) * 1.2)
        number = min(max_number, max(number * 2, guess))
    times = [took, *timer.repeat(repeat=repeat - 1, number=number)]
    return min(times) / number


def seconds(func: Callable[[], Any]) -> float:
    """Wall-clock seconds of one call."""
    return timeit.Timer(func).timeit(1)


def _version(package: str) -> str:
    for distribution in _DISTRIBUTIONS.get(package, (package,)):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "not installed"


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(packages: Sequence[str]) -> dict[str, Any]:
    """The machine, the software and the date, as each results file records them."""
    try:
        load = list(os.getloadavg())  # how busy the shared machine was when the run began
    except OSError:
        load = []
    return {
        "cpu": _cpu_name(),
        "arch": platform.machine(),
        "cpus": os.cpu_count(),
        "os": platform.platform(terse=True),
        "load_average": load,
        "python": platform.python_version(),
        "versions": {name: _version(name) for name in packages},
        "date": datetime.date.today().isoformat(),
    }


def describe(info: dict[str, Any]) -> str:
    """One line naming the machine and the software, printed above each table."""
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    return (f"{info['cpu']} ({info['arch']}, {info['cpus']} CPUs), Python {info['python']}; "
            f"{versions}; {info['date']}")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]],
                   align: str | None = None) -> str:
    """A markdown table; ``align`` holds "l" or "r" per column (default: the first column
    left, the others right)."""
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def duration(value: float) -> str:
    """Seconds for a table cell: ms below a second, to keep small numbers readable."""
    if value >= 1:
        return f"{value:.2f} s"
    ms = value * 1000
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms"


def arguments(description: str, quick_help: str) -> argparse.Namespace:
    """Each script's options: ``--quick`` for a smoke run, ``--json`` for where results go."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--json", metavar="PATH", type=Path,
                        help="where to write the results (default: benchmarks/results/"
                             "<name>.json)")
    return parser.parse_args()


def write_json(name: str, path: Path | None, info: dict[str, Any], settings: dict[str, Any],
               results: Any) -> Path:
    """The results file: which benchmark, the machine, the settings and the results."""
    target = path or RESULTS / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "date": info["date"], "machine": info,
               "settings": settings, "results": results}
    target.write_text(json.dumps(payload, indent=2) + "\n")
    return target


@contextmanager
def quiet_frameworks() -> Iterator[None]:
    """Import TensorFlow (and what imports it) inside this block: its C++ start-up lines go
    to file descriptor 2 whatever Python sets, so fd 2 is silenced, and its Python logger is
    told to keep retracing warnings to itself afterwards."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with native_stderr_silenced():
        yield
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        tf.get_logger().setLevel("ERROR")

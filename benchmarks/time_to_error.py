"""Seconds until each seed mistake is reported: by the framework, and by shapecontract.

    python benchmarks/time_to_error.py [--quick] [--json PATH]

The mistakes are the ``COMPARISONS`` rows of ``shapecontract.keras._demo`` and
``shapecontract.torch._demo`` (those of ``shapecontract demo``), run through
``shapecontract._demo.run_comparison``: building the model and the data is not timed; the
framework's clock runs while the user's own call (``model.fit``, ``lstm(x)``, the first batch
of a DataLoader) runs until it raises, or, where it raises nothing, until it returns, having
trained on the wrong data ("never"); shapecontract's clock runs while the same data goes
through its check. Each time is the median of 5 runs (1 with ``--quick``), every run in a
fresh model: the first run of a process also pays the framework's one-time start-up. torch
runs on one thread, on the CPU.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

import _measure

from shapecontract._demo import Comparison, Outcome, run_comparison

NAME = "time_to_error"
DEMOS = ("shapecontract.keras._demo", "shapecontract.torch._demo")
PACKAGES = ("numpy", "tensorflow", "keras", "torch", "shapecontract")
# One torch thread: on a small machine shared with other work, torch's second OpenMP thread
# waits on a busy core, and a 1 ms LSTM call sometimes takes half a second.
TORCH_THREADS = 1
HEADER = ("framework", "mistake", "framework raises after", "shapecontract raises after",
          "framework's error")


@dataclass
class Timings:
    """Every run of one comparison."""

    comparison: Comparison
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def first(self) -> Outcome:
        return self.outcomes[0]

    def framework_seconds(self) -> list[float]:
        return [o.framework_seconds for o in self.outcomes]

    def shapecontract_seconds(self) -> list[float]:
        return [o.seconds for o in self.outcomes]

    def caught(self) -> bool:
        return all(o.error is not None for o in self.outcomes)


def comparisons() -> list[Comparison]:
    """Every framework's rows, as the demo modules hold them now."""
    with _measure.quiet_frameworks():
        import keras  # noqa: F401  (imports tensorflow, while its start-up lines are silenced)

        modules = [importlib.import_module(name) for name in DEMOS]
    import torch

    torch.set_num_threads(TORCH_THREADS)
    return [c for module in modules for c in module.COMPARISONS]


def run(rows: list[Comparison], repeat: int) -> list[Timings]:
    timings = [Timings(c) for c in rows]
    with warnings.catch_warnings():
        # Keras warns about arguments the demo's mistakes pass it; the timing is the point.
        warnings.simplefilter("ignore")
        for _ in range(repeat):  # whole passes, so a row's runs are spread over the run
            for t in timings:
                t.outcomes.append(run_comparison(t.comparison))
    return timings


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _framework_cell(t: Timings) -> str:
    took = _measure.duration(statistics.median(t.framework_seconds()))
    return took if t.first.framework_raised else f"never (ran silently for {took})"


def _error_type(t: Timings) -> str:
    if not t.first.framework_raised:
        return "none"
    return t.first.framework_said.split(":", 1)[0]


def table(timings: list[Timings]) -> str:
    rows = [[t.comparison.framework, _cell(t.comparison.title), _framework_cell(t),
             _measure.duration(statistics.median(t.shapecontract_seconds()))
             if t.caught() else "did not raise", _error_type(t)]
            for t in timings]
    return _measure.markdown_table(HEADER, rows, "llrrl")


def _summary(values: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "min": min(values), "runs": values}


def as_json(t: Timings) -> dict[str, Any]:
    first = t.first
    return {
        "framework": t.comparison.framework,
        "title": t.comparison.title,
        "mistake": t.comparison.mistake,
        "framework_raised": first.framework_raised,
        "framework_said": first.framework_said,
        "framework_seconds": _summary(t.framework_seconds()),
        "shapecontract_raised": t.caught(),
        "shapecontract_said": str(first.error).splitlines()[0] if first.error else None,
        "shapecontract_seconds": _summary(t.shapecontract_seconds()),
    }


def main() -> int:
    args = _measure.arguments(__doc__.splitlines()[0] if __doc__ else NAME,
                              "one run of each mistake, not 5")
    repeat = 1 if args.quick else 5
    rows = comparisons()
    info = _measure.machine(PACKAGES)
    timings = run(rows, repeat)

    print(f"Time from the user's call to the first error, median of {repeat} run(s); "
          f"{_measure.describe(info)}\n")
    print(table(timings))
    settings = {"unit": "seconds", "repeat": repeat, "statistic": "median",
                "torch_threads": TORCH_THREADS,
                "demo_modules": list(DEMOS)}
    path = _measure.write_json(NAME, args.json, info, settings,
                               [as_json(t) for t in timings])
    print(f"\nResults: {path}", file=sys.stderr)
    missed = [t.comparison.title for t in timings if not t.caught()]
    if missed:
        print(f"shapecontract raised nothing for: {', '.join(missed)}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

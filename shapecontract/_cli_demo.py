"""``shapecontract demo``: each mistake with the framework's own error (or its silence)
beside shapecontract's, and the time each took to speak."""

from __future__ import annotations

import argparse
import importlib
import textwrap
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._cli_progress import import_framework

if TYPE_CHECKING:
    from ._errors import ShapeContractError


@dataclass(frozen=True)
class Framework:
    title: str  # as printed: "Keras", "PyTorch"
    package: str  # what to import first, with a progress line
    demo: str  # the module with a COMPARISONS tuple


FRAMEWORKS = {
    "keras": Framework("Keras", "keras", "shapecontract.keras._demo"),
    "torch": Framework("PyTorch", "torch", "shapecontract.torch._demo"),
}


def run(args: argparse.Namespace) -> int:
    from ._demo import SCENARIOS, run_scenario

    chosen = list(FRAMEWORKS) if args.framework == "all" else [args.framework]
    print("shapecontract demo: the seed article's three LSTM shape mistakes, caught at the "
          "function that made them.\n")
    missed = 0
    for scenario in SCENARIOS:
        print(f"{scenario.title}\n   mistake: {scenario.mistake}")
        start = time.perf_counter()
        error = run_scenario(scenario)
        took = time.perf_counter() - start
        missed += _show_error(error, took)
    for name in chosen:
        missed += _framework_demo(FRAMEWORKS[name])
    return 1 if missed else 0


def _framework_demo(framework: Framework) -> int:
    """Run one framework's comparisons; the number shapecontract missed."""
    from ._demo import run_comparison

    title = framework.title
    print(f"{title}: the same mistakes, and the silent ones, beside what {title} itself "
          f"says.", flush=True)
    try:
        import_framework(title, framework.package)
        comparisons = importlib.import_module(framework.demo).COMPARISONS
    except ImportError as exc:
        print(f"   skipped: {exc.name or framework.package} is not installed\n")
        return 0
    print()
    missed = 0
    for comparison in comparisons:
        print(f"{comparison.title}\n   mistake: {comparison.mistake}", flush=True)
        outcome = run_comparison(comparison)
        silent = "" if outcome.framework_raised else " NOTHING."
        print(f"   {title}, after {_took(outcome.framework_seconds)}:{silent}")
        for line in textwrap.wrap(outcome.framework_said, 96):
            print(f"      {line}")
        missed += _show_error(outcome.error, outcome.seconds)
    return missed


def _show_error(error: ShapeContractError | None, took: float) -> int:
    if error is None:
        print("   shapecontract said nothing: this is a bug, please report it.\n")
        return 1
    print(f"   shapecontract, after {_took(took)}, at {error.function}():")
    for line in str(error).splitlines():
        print(f"      {line}")
    print(flush=True)
    return 0


def _took(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"

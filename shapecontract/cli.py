"""The ``shapecontract`` command."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import textwrap
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._errors import ShapeContractError


# Modules with a COMPARISONS tuple: each framework's own view of the mistakes.
_FRAMEWORK_DEMOS = (("Keras", "shapecontract.keras._demo"),
                    ("PyTorch", "shapecontract.torch._demo"))


def _demo(args: argparse.Namespace) -> int:
    from ._demo import SCENARIOS, run_scenario

    print("shapecontract demo: the seed article's three LSTM shape mistakes, caught at the "
          "function that made them.\n")
    missed = 0
    for scenario in SCENARIOS:
        print(f"{scenario.title}\n   mistake: {scenario.mistake}")
        start = time.perf_counter()
        error = run_scenario(scenario)
        took = time.perf_counter() - start
        missed += _show_error(error, took)
    for framework, module in _FRAMEWORK_DEMOS:
        missed += _framework_demo(framework, module)
    return 1 if missed else 0


def _framework_demo(framework: str, module: str) -> int:
    """Run one framework's comparisons; the number shapecontract missed."""
    from ._demo import run_comparison

    print(f"{framework}: the same mistakes, and the silent ones, beside what "
          f"{framework} itself says.")
    print(f"   (importing {framework}...)", flush=True)
    try:
        comparisons = importlib.import_module(module).COMPARISONS
    except ImportError as exc:
        print(f"   skipped: {exc.name or framework} is not installed\n")
        return 0
    print()
    missed = 0
    for comparison in comparisons:
        print(f"{comparison.title}\n   mistake: {comparison.mistake}")
        outcome = run_comparison(comparison)
        if outcome.framework_raised:
            print(f"   {framework}, after {_took(outcome.framework_seconds)}:")
        else:
            print(f"   {framework}, after {_took(outcome.framework_seconds)}: NOTHING.")
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
    print()
    return 0


def _took(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shapecontract",
        description="Shape contracts for ML code: checked at the function boundary.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="run the built-in scenarios and show what shapecontract says",
        description="Run the seed article's shape mistakes through checked preprocessing "
                    "functions and print the error raised at the boundary of each.",
    )
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except BrokenPipeError:
        # The reader went away (`shapecontract demo | head`): stop quietly, as cat does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return code


if __name__ == "__main__":
    sys.exit(main())

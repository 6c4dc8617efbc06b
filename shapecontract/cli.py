"""The ``shapecontract`` command."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence


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
        if error is None:
            missed += 1
            print("   shapecontract said nothing: this is a bug, please report it.\n")
            continue
        print(f"   shapecontract, after {took:.3f} s, at {error.function}():")
        for line in str(error).splitlines():
            print(f"      {line}")
        print()
    return 1 if missed else 0


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

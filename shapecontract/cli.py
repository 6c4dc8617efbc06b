"""The ``shapecontract`` command: the parser, and dispatch to one module per command.

Importing this module imports no framework: ``demo``, ``inspect`` and ``check`` import Keras
or torch only once they know they need it (``shapecontract._cli_*``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import textwrap
from collections.abc import Sequence

from ._loading import Unreadable

_FORMATS = """\
MODEL is told by its content, not its name: a Keras .keras file (model.save("m.keras")), a
TorchScript file (torch.jit.script(m).save(path) or torch.jit.trace(...).save(path)), or a
module saved with torch.save(module), whose class must be importable (the current directory
is searched). Loading a torch.save file unpickles it, which runs code from the file: only
open files you trust. A torch module is read from its first recurrent layer (nn.LSTM, nn.GRU,
nn.RNN)."""

_DATA = """\
DATA: a .npy array; a .npz archive, where x is --key, else the first of x, X, inputs, input,
features, else arr_0 (np.savez(path, x, y)), else its only array that is not a label, and the
labels saved beside it (y, Y, labels, targets, target, or arr_1 after arr_0) are checked too;
or a .csv file, read as a 2-D float32 table (a first line with a cell that is not a number is
a header; the delimiter is ",", ";", a tab or blanks). A Keras model with several inputs
(or outputs) takes the .npz keys named after them. --y is a file of labels (its only array,
or its y key) or a key of DATA's .npz; labels are checked against a Keras model's output,
never a torch module's.

exit status: 0 the data fits; 1 it does not (the diagnosis on stdout); 2 a file cannot be
read or used (a missing file, a corrupt array, an unknown model format, an .npz with no
obvious x, a size name the model does not have), with a one-line reason on stderr."""


def _wrap(text: str) -> str:
    """A description for the raw formatter, which keeps the epilogs' lines as written."""
    return textwrap.fill(text, 92)


def _size(text: str) -> tuple[str, int]:
    match = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*=\s*(\d+)\s*", text)
    if match is None or int(match.group(2)) < 1:
        raise argparse.ArgumentTypeError(
            f"expected NAME=N with N a positive integer (time=1440), got {text!r}")
    return match.group(1), int(match.group(2))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shapecontract",
        description="Shape contracts for ML code, checked at the function boundary.",
        epilog="Run 'shapecontract COMMAND --help' for a command's options.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    raw = argparse.RawDescriptionHelpFormatter

    demo = commands.add_parser(
        "demo", help="show each shape mistake: the framework's error (or silence) beside "
                     "shapecontract's",
        description="Run the seed article's LSTM shape mistakes through checked "
                    "preprocessing functions, then each framework's mistakes (the silent "
                    "ones too) twice: as the framework sees them, and through shapecontract. "
                    "Prints what each said and how long it took to say it. The frameworks "
                    "import with a progress line on stderr.",
    )
    demo.add_argument("--framework", choices=("keras", "torch", "all"), default="all",
                      help="whose mistakes to show after the seed's (default: all)")

    inspect = commands.add_parser(
        "inspect", help="print the input and output contracts of a saved model",
        description=_wrap("Print what a saved model takes and returns, as the annotations "
                          "to write on the functions that feed it: Float[Array, \"batch 1440 "
                          "6\"]. For a torch module: the input, output, hidden and cell "
                          "state of its first recurrent layer."),
        epilog=_FORMATS + "\n\nexit status: 0 printed; 2 the model cannot be read, with a "
                          "one-line reason on stderr.",
        formatter_class=raw,
    )
    inspect.add_argument("model", metavar="MODEL", help="a .keras, TorchScript or "
                                                        "torch.save(module) file")

    check = commands.add_parser(
        "check", help="check data files against a saved model before training (preflight)",
        description=_wrap("Hold DATA (and labels) to what MODEL expects, before fit or "
                          "the first step: rank, time length, features, dtype, batch size, "
                          "labels against the output. Runs shapecontract.keras.preflight or "
                          "shapecontract.torch.preflight, by the model's framework."),
        epilog=_FORMATS + "\n\n" + _DATA,
        formatter_class=raw,
    )
    check.add_argument("model", metavar="MODEL", help="a .keras, TorchScript or "
                                                      "torch.save(module) file")
    check.add_argument("data", metavar="DATA", help="x: a .npy, .npz or .csv file")
    check.add_argument("--y", metavar="LABELS",
                       help="the labels: a .npy/.npz/.csv file, or a key of DATA's .npz")
    check.add_argument("--key", metavar="KEY", help="which array of DATA's .npz is x")
    check.add_argument("--size", metavar="NAME=N", type=_size, action="append",
                       help="a size the data must have, by axis name (batch=32, time=1440); "
                            "repeatable")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = importlib.import_module(f"shapecontract._cli_{args.command}")
    try:
        code: int = command.run(args)
    except Unreadable as exc:
        sys.stdout.flush()
        print(f"shapecontract {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`shapecontract demo | head`): stop quietly, as cat does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return code


if __name__ == "__main__":
    sys.exit(main())

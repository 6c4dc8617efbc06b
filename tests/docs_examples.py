"""Read the code examples out of the documentation's Markdown pages, and run them.

- ```python blocks run in order, in one namespace, as a reader would paste them into one
  session. A python block followed (blank lines aside) by a ```text block must print exactly
  that text; one followed by anything else must print nothing.
- ```console blocks are terminal sessions: each ``$ command`` line runs, in one bash process
  per block, in the same working directory as the page's python blocks (so a python block
  can write the files a command reads), with this interpreter's ``bin`` directory first on
  PATH; the lines after a command are what it prints (stdout and stderr, as a terminal shows
  them).
- A python block may end by raising, as a script ends: where its ```text block shows the
  exception as Python prints it under a traceback (``shapecontract.ShapeContractError: ...``
  and the lines after it), that is compared too; any other exception fails the test.
- Every other fence (```bash, ```yaml, ```text on its own, ...) is shown, not run.

Each python block is compiled as a file named ``example.py`` (in a directory named after the
page and line, for tracebacks) with its own line numbers, so a ``dims()`` block that a shown
error quotes reads ``dims(steps=1440) at example.py:4``: line 4 of the example above it.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import os
import re
import subprocess
import sys
import traceback
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")

# What truly varies from run to run, and nothing else: object addresses, durations (a
# decimal number of seconds or milliseconds: the unit varies too, "950.2 ms" or "1.05 s"), and
# the terminal styling (bold) that Keras puts around its messages.
_VARIES = (
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "0x..."),
    (re.compile(r"\b\d+\.\d+ (ms|µs|s)\b"), "<duration>"),
    (re.compile(r"\x1b\[[0-9;]*m"), ""),
)


@dataclass(frozen=True)
class Block:
    """One fenced block: its language, its code, and the line its code starts on."""

    lang: str
    code: str
    line: int  # 1-based line, in the page, of the block's first line of code
    output: str | None = None  # the ```text block right after it, for a python block
    output_line: int | None = None


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced block of a Markdown text, in order, indentation (admonitions) removed."""
    lines = text.splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence = match["indent"], match["fence"]
        lang = (match["info"].split() or [""])[0].lstrip(".").lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                break
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else
                        lines[j].lstrip())
            j += 1
        else:
            raise ValueError(f"line {i + 1}: the {fence} block that starts here never ends")
        out.append(Block(lang, "\n".join(body) + "\n" if body else "", i + 2))
        i = j + 1
    return out


def examples(text: str) -> list[Block]:
    """The blocks that run, in order: python blocks, each with the text block that shows
    its output, and console blocks."""
    lines = text.splitlines()
    blocks = fenced_blocks(text)
    found: list[Block] = []
    for k, block in enumerate(blocks):
        if block.lang == "console":
            found.append(block)
        if block.lang not in ("python", "py"):
            continue
        nxt = blocks[k + 1] if k + 1 < len(blocks) else None
        closing = block.line - 1 + block.code.count("\n")  # the closing fence's 0-based index
        between = lines[closing + 1: nxt.line - 2] if nxt is not None else []
        if nxt is not None and nxt.lang == "text" and not any(s.strip() for s in between):
            found.append(Block(block.lang, block.code, block.line, nxt.code, nxt.line))
        else:
            found.append(block)
    return found


def normalise(text: str) -> str:
    """The text with what varies replaced, trailing spaces and outer blank lines dropped."""
    for pattern, replacement in _VARIES:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


@dataclass(frozen=True)
class Mismatch:
    page: str
    line: int
    what: str
    expected: str | None  # None: the page shows no output for it
    actual: str

    def __str__(self) -> str:
        where = f"{self.page}:{self.line}"
        if self.expected is None:
            return (f"{where}: the python block printed output that the page does not show "
                    f"(add a ```text block after it):\n{self.actual}")
        return (f"{where}: {self.what} printed something else than the page shows.\n"
                f"--- the page shows:\n{self.expected}\n--- it printed:\n{self.actual}")


def _run_python(block: Block, page: str, namespace: dict[str, object]) -> list[Mismatch]:
    filename = str(ROOT / f"{page}:{block.line}" / "example.py")
    linecache.cache[filename] = (len(block.code), None, block.code.splitlines(True), filename)
    code = compile(block.code, filename, "exec", dont_inherit=True)
    buffer = io.StringIO()
    raised = ""
    try:
        with contextlib.redirect_stdout(buffer):
            exec(code, namespace)
    except Exception as exc:
        raised = "".join(traceback.format_exception_only(exc))
        name = raised.partition(":")[0]  # as Python prints it: "shapecontract.ShapeContractError"
        if block.output is None or f"{name}:" not in block.output:
            raise
    actual = normalise(buffer.getvalue() + raised)
    if block.output is None:
        return [Mismatch(page, block.line, "the python block", None, actual)] if actual else []
    expected = normalise(block.output)
    if actual != expected:
        return [Mismatch(page, block.line, "the python block", expected, actual)]
    return []


_MARK = "@@docs-examples: command done@@"


def console_commands(code: str) -> list[tuple[int, str, str]]:
    """(line offset, command, expected output) for each ``$ command`` of a console block."""
    out: list[tuple[int, str, list[str]]] = []
    for offset, line in enumerate(code.splitlines()):
        if line.startswith("$ "):
            out.append((offset, line[2:], []))
        elif out:
            out[-1][2].append(line)
        elif line.strip():
            raise ValueError(f"a console block starts with output, not a '$ ' command: {line}")
    return [(offset, command, "\n".join(lines)) for offset, command, lines in out]


def _run_console(block: Block, page: str) -> list[Mismatch]:
    commands = console_commands(block.code)
    # One shell for the block, so `echo $?` reads the status of the command before it; each
    # command in a subshell, so an `exit` ends that command only.
    script = "".join(f"({command}\n)\n__status=$?\nprintf '\\n{_MARK}\\n'\n(exit $__status)\n"
                     for _, command, _ in commands)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(["bash", "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, timeout=300)
    printed = result.stdout.split(f"\n{_MARK}\n")
    printed += [""] * (len(commands) - len(printed))
    mismatches = []
    for (offset, command, expected), actual in zip(commands, printed):
        if normalise(actual) != normalise(expected):
            mismatches.append(Mismatch(page, block.line + offset, f"`{command}`",
                                       normalise(expected), normalise(actual)))
    return mismatches


def run_page(path: Path) -> list[Mismatch]:
    """Run every python and console block of a page, in order, in the current directory;
    the blocks whose output differs from the page. An exception in a python block
    propagates, its traceback pointing at the page and line."""
    page = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    # Named like the file its blocks are compiled as: messages that name a function's module
    # (beartype's) read "example.window()".
    name = "example"
    module = types.ModuleType(name)
    saved = sys.modules.get(name)
    sys.modules[name] = module  # dataclasses and pickling look their module up
    mismatches: list[Mismatch] = []
    try:
        for block in examples(path.read_text(encoding="utf-8")):
            if block.lang == "console":
                mismatches += _run_console(block, page)
            else:
                mismatches += _run_python(block, page, module.__dict__)
    finally:
        if saved is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = saved
    return mismatches


def pages() -> Iterator[Path]:
    """The documentation's Markdown pages, in order."""
    yield from sorted(DOCS.rglob("*.md"))

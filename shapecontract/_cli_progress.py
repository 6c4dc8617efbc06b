"""A progress line on stderr while a framework imports (seconds, not milliseconds).

On a terminal the line updates with the seconds spent from a background thread, then is
replaced by ``Keras imported in 4.1 s``; elsewhere (a pipe, a log file) it is one line when
the import starts and one when it ends. Only stderr is written, and only while the main thread
is inside the import, so stdout is never interleaved with it.

The line is written to a duplicate of stderr's file descriptor, taken before the import
silences descriptor 2 (TensorFlow's native start-up lines go there): the progress stays
visible, TensorFlow's lines do not.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import threading
import time
from collections.abc import Iterator
from types import ModuleType
from typing import TextIO

_TICK = 0.1


@contextlib.contextmanager
def _stderr_copy() -> Iterator[TextIO]:
    """A stream on a duplicate of stderr's descriptor; sys.stderr itself where it has none
    (pytest's capture, an IDE console)."""
    try:
        fd = os.dup(sys.stderr.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        yield sys.stderr
        return
    stream = os.fdopen(fd, "w", buffering=1, encoding="utf-8", errors="replace")
    try:
        yield stream
    finally:
        stream.close()


def _is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def importing(name: str, *, transient: bool = False) -> Iterator[None]:
    """Show that ``name`` is importing while the block runs.

    ``transient``: for commands whose output is something else (``inspect``, ``check``): the
    line is shown on a terminal only, and erased at the end instead of kept.
    """
    tty = _is_tty()
    if transient and not tty:
        yield
        return
    sys.stdout.flush()
    start = time.perf_counter()
    with _stderr_copy() as out:
        if not tty:
            out.write(f"importing {name}...\n")
            out.flush()
            yield
            out.write(f"{name} imported in {time.perf_counter() - start:.1f} s\n")
            out.flush()
            return
        done = threading.Event()

        def tick() -> None:
            while not done.wait(_TICK):
                out.write(f"\rimporting {name}... {time.perf_counter() - start:.1f} s")
                out.flush()

        out.write(f"importing {name}...")
        out.flush()
        ticker = threading.Thread(target=tick, name="shapecontract-progress", daemon=True)
        ticker.start()
        ok = False
        try:
            yield
            ok = True
        finally:
            done.set()
            ticker.join()
            took = time.perf_counter() - start
            out.write("\r\x1b[K" + (f"{name} imported in {took:.1f} s\n"
                                     if ok and not transient else ""))
            out.flush()


def import_framework(name: str, module: str, *, transient: bool = False) -> ModuleType:
    """Import ``module`` (``keras``, ``torch``) with a progress line and TensorFlow's native
    start-up lines silenced; ImportError if it is not installed."""
    from ._quiet import quiet

    already = sys.modules.get(module)
    if already is not None:
        return already
    with importing(name, transient=transient), quiet():
        return importlib.import_module(module)

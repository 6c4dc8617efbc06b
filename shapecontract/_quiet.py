"""Keeping a framework's own noise (TensorFlow's C++ log lines, Keras's warnings) out of the
command's output while it loads or runs. Nothing here imports a framework."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Silence file descriptor 2 while a framework loads: TensorFlow's C++ start-up lines
    ignore a TF_CPP_MIN_LOG_LEVEL set from Python and would land mid-output."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No Python warnings and no native lines on stderr while a framework loads a file or
    runs a user's mistake (Keras warns about optimizer variables it skips; TensorFlow logs
    from C++, tf.data's "Local rendezvous is aborting" among them)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with warnings.catch_warnings(), native_stderr_silenced():
        warnings.simplefilter("ignore")
        yield

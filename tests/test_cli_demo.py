"""``shapecontract demo``: the framework choice, and the progress line while a framework
imports (updated on a terminal, two plain lines elsewhere, never on stdout)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from shapecontract import _cli_progress
from shapecontract._cli_progress import importing
from shapecontract.cli import main


def test_torch_only(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    assert main(["demo", "--framework", "torch"]) == 0
    out = capsys.readouterr().out
    # The seed's numpy scenarios come first for every choice.
    assert out.index("1. Flattened sensor array\n") < out.index("PyTorch: the same mistakes")
    assert "Keras:" not in out
    torch_side = out[out.index("PyTorch: the same mistakes"):]
    assert torch_side.count("   PyTorch, after ") == 5
    assert torch_side.count(": NOTHING.") == 2  # rows 6 and 7
    assert torch_side.count("   shapecontract, after ") == 5
    assert "(importing" not in out


def test_keras_only_shows_rows_1b_and_2b(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("keras")
    assert main(["demo", "--framework", "keras"]) == 0
    out = capsys.readouterr().out
    assert "PyTorch:" not in out
    keras_side = out[out.index("Keras: the same mistakes"):]
    assert keras_side.count("   Keras, after ") == 10
    assert "1b. Flattened sensor array, labels flattened too" in keras_side
    assert "2b. Sequences of different lengths, from a generator, batched" in keras_side
    assert "Cannot batch tensors with different shapes in component 0" in \
        " ".join(keras_side.split())


def test_unknown_framework_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "--framework", "jax"])
    assert info.value.code == 2
    assert "invalid choice: 'jax'" in capsys.readouterr().err


# -- the progress line ---------------------------------------------------------------------------


def test_progress_off_a_terminal_is_two_lines_on_stderr(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_cli_progress, "_is_tty", lambda: False)
    with importing("Thing"):
        time.sleep(0.05)
    out, err = capsys.readouterr()
    assert out == ""
    assert re.fullmatch(r"importing Thing...\nThing imported in \d+\.\d s\n", err), err
    with importing("Thing", transient=True):
        pass
    assert capsys.readouterr() == ("", "")


def test_progress_on_a_terminal_updates_then_is_replaced(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_cli_progress, "_is_tty", lambda: True)
    with importing("Thing"):
        time.sleep(0.45)
    out, err = capsys.readouterr()
    assert out == ""
    ticks = re.findall(r"\rimporting Thing\.\.\. (\d+\.\d) s", err)
    assert len(ticks) >= 2 and ticks == sorted(ticks, key=float), err
    assert err.startswith("importing Thing...\r")
    assert re.search(r"\r\x1b\[KThing imported in \d+\.\d s\n\Z", err), err
    with pytest.raises(ImportError), importing("Thing", transient=True):
        raise ImportError("no Thing")
    out, err = capsys.readouterr()
    assert err == "importing Thing...\r\x1b[K"  # erased, whatever happened


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_real_terminal_sees_the_progress_and_stdout_never_does() -> None:
    pytest.importorskip("torch")
    import pty

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    proc = subprocess.Popen([sys.executable, "-m", "shapecontract", "demo", "--framework",
                             "torch"], stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    terminal = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        terminal += chunk
    out, _ = proc.communicate(timeout=300)
    os.close(master)
    assert proc.returncode == 0
    seen = terminal.decode()
    assert seen.startswith("importing PyTorch...")
    assert "\x1b[KPyTorch imported in " in seen
    assert seen.count("\n") == 1, seen  # the one line, and nothing from torch itself
    assert b"importing" not in out and b"\r" not in out

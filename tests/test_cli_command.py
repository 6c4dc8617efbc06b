"""The command as a user runs it: ``shapecontract ...`` and ``python -m shapecontract ...`` in
a fresh process, with TensorFlow's native start-up lines nowhere in the output."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from shapecontract.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning",
                                        "ignore:Converting a tensor to a Python boolean")
SCRIPT = pathlib.Path(sys.executable).with_name("shapecontract")


def run(*argv: str, cwd: pathlib.Path | None = None) -> subprocess.CompletedProcess[str]:
    # No TF_CPP_MIN_LOG_LEVEL: the command must keep TensorFlow quiet by itself.
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-m", "shapecontract", *argv], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env=env)


def test_python_m_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: shapecontract [-h] COMMAND ...")
    for command in ("demo", "inspect", "check"):
        assert f"    {command} " in result.stdout


@pytest.mark.skipif(not SCRIPT.exists(), reason="the console script is not installed")
def test_the_console_script() -> None:
    result = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "COMMAND" in result.stdout


@pytest.mark.parametrize("command, usage", [
    ("demo", "usage: shapecontract demo [-h] [--framework {keras,torch,all}]"),
    ("inspect", "usage: shapecontract inspect [-h] MODEL"),
    ("check", "usage: shapecontract check [-h] [--y LABELS] [--key KEY] [--size NAME=N] "
              "MODEL DATA"),
])
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: str,
                                usage: str) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith(usage)
    if command != "demo":
        assert "told by its content" in out
    if command == "check":
        assert "exit status: 0 the data fits; 1 it does not" in out


def test_no_command_is_a_usage_error() -> None:
    result = run()
    assert result.returncode == 2
    assert "the following arguments are required: COMMAND" in result.stderr


def test_check_exit_status_in_a_fresh_process(tmp_path: pathlib.Path) -> None:
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((20, 3)), keras.layers.LSTM(4),
                              keras.layers.Dense(1)], name="forecaster")
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "forecaster.keras")
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "good.npz", x=rng.random((8, 20, 3)), y=rng.random((8, 1)))
    np.save(tmp_path / "swapped.npy", rng.random((8, 3, 20)))

    fits = run("check", "forecaster.keras", "good.npz", cwd=tmp_path)
    assert (fits.returncode, fits.stderr) == (0, "")
    assert fits.stdout.startswith("fits: the data meets Keras model 'forecaster'")

    mismatch = run("check", "forecaster.keras", "swapped.npy", cwd=tmp_path)
    assert mismatch.returncode == 1
    assert "fix: x.transpose(0, 2, 1)" in mismatch.stdout
    assert mismatch.stderr == "shapecontract check: x does not fit forecaster.keras\n"

    missing = run("check", "forecaster.keras", "nothing.npy", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr == "shapecontract check: DATA nothing.npy: no such file\n"


def test_inspect_in_a_fresh_process(tmp_path: pathlib.Path) -> None:
    torch = pytest.importorskip("torch")
    lstm = torch.nn.LSTM(6, 64, num_layers=2, batch_first=True)
    torch.jit.trace(lstm, torch.zeros(2, 5, 6)).save(str(tmp_path / "lstm.pt"))
    result = run("inspect", "lstm.pt", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[1] == '  input:  Float32[Array, "batch time 6"]'

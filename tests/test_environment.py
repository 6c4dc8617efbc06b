"""What needs a fresh process: the import, the disable switch, the command."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import textwrap


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=120, env={**os.environ, **env},
    )


def test_import_pulls_in_no_framework() -> None:
    result = run("""
        import sys
        import shapecontract
        from shapecontract import Array, Float, check
        @check
        def f(x: Float[Array, "n"]) -> Float[Array, "n"]:
            return x
        import numpy
        f(numpy.zeros(3))
        print(sorted(m for m in ("torch", "tensorflow", "keras", "jax") if m in sys.modules))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_adapter_modules_import_no_framework_until_used() -> None:
    result = run("""
        import sys
        import shapecontract.keras
        import shapecontract.torch
        print(sorted(m for m in ("torch", "tensorflow", "keras", "jax") if m in sys.modules))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_command_module_imports_no_framework() -> None:
    result = run("""
        import sys
        import shapecontract.cli
        shapecontract.cli.build_parser().parse_args(["check", "m.keras", "x.npy"])
        print(sorted(m for m in ("torch", "tensorflow", "keras", "jax") if m in sys.modules))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_disable_switch_returns_the_function_itself() -> None:
    code = """
        import numpy
        from shapecontract import Array, Float, check
        def f(x: Float[Array, "n 3"]) -> Float[Array, "n 3"]:
            return x
        g = check(f)
        print(g is f)
        g(numpy.zeros((2, 4)))
        print("no error")
    """
    off = run(code, SHAPECONTRACT_DISABLE="1")
    assert off.returncode == 0, off.stderr
    assert off.stdout.split() == ["True", "no", "error"]
    on = run(code, SHAPECONTRACT_DISABLE="0")
    assert on.returncode == 1
    assert on.stdout.split() == ["False"]
    assert "ShapeContractError" in on.stderr


def test_demo_command_shows_each_seed_mistake() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shapecontract", "demo"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "fix: readings.reshape(100, 1440, 3)" in out
    assert "keras.utils.pad_sequences(readings, maxlen=1440" in out
    assert "one_hot_sites() return value: axis 1 'sites' (feature) is 4 but must be 3" in out
    # The Keras side: its own words (or silence) beside preflight's, for each mistake.
    keras_side = out[out.index("Keras: the same mistakes"):out.index("PyTorch: the same")]
    assert keras_side.count("   Keras, after ") == 10
    assert keras_side.count(": NOTHING.") == 4  # rows 4, 11, 12 and 13 train silently
    assert keras_side.count("shapecontract, after ") == 10
    assert "Dimensions must be equal, but are 7 and 6" in " ".join(keras_side.split())
    assert "preflight() argument 'x': axis 1 'time' is 1000 but must be 1440" in keras_side
    assert "\x1b[" not in out and "oneDNN" not in result.stderr


def test_command_help() -> None:
    result = subprocess.run([sys.executable, "-m", "shapecontract", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "demo" in result.stdout


def test_user_code_type_checks_under_mypy_strict(tmp_path: pathlib.Path) -> None:
    """The annotations are jaxtyping's to a static checker: mypy --strict accepts them."""
    user = tmp_path / "user_code.py"
    user.write_text(textwrap.dedent("""
        import numpy as np
        from shapecontract import Array, Float, check, check_shape, dims

        @check
        def window(readings: Float[Array, "rows sensors"], *, steps: int
                   ) -> Float[Array, "machines steps sensors"]:
            return readings.reshape(-1, steps, readings.shape[1])

        def run() -> dict[str, object]:
            with dims(steps=4, sensors=3):
                out = window(np.zeros((8, 3)), steps=4)
                return check_shape(out, Float[Array, "m s c"])
    """))
    root = pathlib.Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(user)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(root)},
    )
    assert result.returncode == 0, result.stdout + result.stderr

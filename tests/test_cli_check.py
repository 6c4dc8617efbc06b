"""``shapecontract check MODEL DATA``: preflight on data files, with real saved models.

Exit status 0 when the data fits, 1 on a mismatch (the diagnosis on stdout), 2 when a file
cannot be read or used (one line on stderr, no traceback).
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from shapecontract.cli import main

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")

rng = np.random.default_rng(0)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def unreadable(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = cli(capsys, *argv)
    assert code == 2, out + err
    assert out == ""
    assert err.startswith("shapecontract check: ")
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def data(*shape: int) -> np.ndarray:
    return rng.random(shape, dtype=np.float32)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    root = tmp_path_factory.mktemp("check")
    model = keras.Sequential([keras.Input((1440, 3)), keras.layers.LSTM(4),
                              keras.layers.Dense(1)], name="forecaster")
    model.compile(optimizer="adam", loss="mse")
    model.save(root / "forecaster.keras")
    sensors = keras.Input((20, 3), name="sensors")
    site = keras.Input((2,), name="site")
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([keras.layers.LSTM(4)(sensors),
                                                             site]))
    keras.Model([sensors, site], out, name="plant").save(root / "plant.keras")
    readings = keras.Input((20, 3))
    hidden = keras.layers.LSTM(4)(readings)
    keras.Model(readings, [keras.layers.Dense(1, name="level")(hidden),
                           keras.layers.Dense(2, name="alarm")(hidden)],
                name="monitor").save(root / "monitor.keras")
    lstm = nn.LSTM(6, 64, batch_first=True)
    torch.jit.script(lstm).save(str(root / "lstm.pt"))
    torch.jit.script(nn.LSTM(6, 64)).save(str(root / "time_major.pt"))
    return root


@pytest.fixture
def cwd(root: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
        ) -> pathlib.Path:
    """Run in a fresh directory holding links to the module's models."""
    for name in ("forecaster.keras", "plant.keras", "monitor.keras", "lstm.pt",
                 "time_major.pt"):
        (tmp_path / name).symlink_to(root / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- Keras ---------------------------------------------------------------------------------------


def test_data_that_fits_exits_0_and_says_so_with_the_shapes(
        capsys: pytest.CaptureFixture[str], cwd: pathlib.Path) -> None:
    np.savez("train.npz", x=data(8, 1440, 3), y=data(8, 1))
    code, out, err = cli(capsys, "check", "forecaster.keras", "train.npz")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "fits: the data meets Keras model 'forecaster' (Sequential) from forecaster.keras "
        "(batch=8)",
        "  x  float32[8, 1440, 3]  from train.npz['x']  for Float[Array, \"batch 1440 3\"]",
        "  y  float32[8, 1]        from train.npz['y']  for Float[Array, \"batch 1\"]",
    ]


def test_a_mismatch_exits_1_with_the_diagnosis(capsys: pytest.CaptureFixture[str],
                                               cwd: pathlib.Path) -> None:
    np.savez("short.npz", x=data(8, 1000, 3), y=data(8, 1))
    code, out, err = cli(capsys, "check", "forecaster.keras", "short.npz")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == ("does not fit: Keras model 'forecaster' (Sequential) from "
                        "forecaster.keras (x = short.npz['x'], y = short.npz['y'])")
    assert lines[1].startswith("preflight() argument 'x': axis 1 'time' is 1000 but must be "
                               "1440 (set by model 'forecaster' input (None, 1440, 3))")
    assert lines[1].endswith("fix: np.pad(x, ((0, 0), (0, 440), (0, 0))) (or fix the "
                             "windowing)")
    assert err == "shapecontract check: x does not fit forecaster.keras\n"


def test_the_flat_csv_export_gets_the_reshape(capsys: pytest.CaptureFixture[str],
                                              cwd: pathlib.Path) -> None:
    np.savetxt("readings.csv", data(2 * 1440, 3), delimiter=",", header="a,b,c",
               comments="")
    code, out, _ = cli(capsys, "check", "forecaster.keras", "readings.csv")
    assert code == 1
    assert "(x = readings.csv (header row skipped))" in out
    assert "has 2 axes (2880, 3)" in out and "fix: x.reshape(2, 1440, 3)" in out


def test_csv_without_a_header_and_with_semicolons(capsys: pytest.CaptureFixture[str],
                                                  cwd: pathlib.Path) -> None:
    np.savetxt("plain.csv", data(4, 3), delimiter=";")
    code, out, _ = cli(capsys, "check", "forecaster.keras", "plain.csv")
    assert code == 1
    assert "(x = plain.csv)" in out and "has 2 axes (4, 3)" in out


def test_labels_from_another_file_or_by_key(capsys: pytest.CaptureFixture[str],
                                            cwd: pathlib.Path) -> None:
    x = data(8, 1440, 3)
    np.save("x.npy", x)
    np.save("labels.npy", data(8, 20, 1))
    code, out, _ = cli(capsys, "check", "forecaster.keras", "x.npy", "--y", "labels.npy")
    assert code == 1
    assert "y = labels.npy" in out
    assert "the labels have a time axis but the model outputs one value per sequence" in out
    np.savez("both.npz", readings=x, target=data(8, 1), other=data(8, 1))
    code, out, _ = cli(capsys, "check", "forecaster.keras", "both.npz", "--key", "readings",
                       "--y", "other")
    assert code == 0
    assert "from both.npz['readings']" in out and "from both.npz['other']" in out


def test_np_savez_positional_arrays_are_x_then_y(capsys: pytest.CaptureFixture[str],
                                                 cwd: pathlib.Path) -> None:
    np.savez("positional.npz", data(8, 1440, 3), data(9, 1))
    code, out, _ = cli(capsys, "check", "forecaster.keras", "positional.npz")
    assert code == 1
    assert "y = positional.npz['arr_1']" in out
    assert "argument 'y': axis 0 'batch' is 9 but must be 8" in out


def test_several_inputs_take_the_keys_named_after_them(capsys: pytest.CaptureFixture[str],
                                                       cwd: pathlib.Path) -> None:
    np.savez("plant.npz", sensors=data(8, 20, 3), site=data(8, 3), y=data(8, 1))
    code, out, _ = cli(capsys, "check", "plant.keras", "plant.npz")
    assert code == 1
    assert "argument 'x['site']': axis 1 'site_feat' (feature) is 3 but must be 2" in out
    np.savez("plant.npz", sensors=data(8, 20, 3), site=data(8, 2), y=data(8, 1))
    code, out, _ = cli(capsys, "check", "plant.keras", "plant.npz")
    assert code == 0, out
    np.savez("plant.npz", readings=data(8, 20, 3), place=data(8, 2))
    err = unreadable(capsys, "check", "plant.keras", "plant.npz")
    assert "plant.npz has no keys 'sensors', 'site' (its keys: readings, place), but the " \
           "model has 2 inputs: save one array per input, keyed by its name " \
           "(np.savez(path, sensors=..., site=...))" in err
    np.save("one.npy", data(8, 20, 3))
    assert "one.npy holds one array, but the model has 2 inputs" in unreadable(
        capsys, "check", "plant.keras", "one.npy")


def test_several_outputs_take_the_label_keys_named_after_them(
        capsys: pytest.CaptureFixture[str], cwd: pathlib.Path) -> None:
    np.savez("monitor.npz", x=data(8, 20, 3), level=data(8, 1), alarm=data(8, 3))
    code, out, _ = cli(capsys, "check", "monitor.keras", "monitor.npz")
    assert code == 1
    assert "y = monitor.npz['level', 'alarm']" in out
    assert "argument 'y['alarm']': axis 1 'out1_feat' (feature) is 3 but must be 2" in out
    np.savez("monitor.npz", x=data(8, 20, 3), level=data(8, 1), alarm=data(8, 2))
    code, out, _ = cli(capsys, "check", "monitor.keras", "monitor.npz")
    assert code == 0
    assert 'for Float[Array, "batch 1"] / Float[Array, "batch 2"]' in out
    np.savez("monitor.npz", x=data(8, 20, 3), y=data(8, 1))
    err = unreadable(capsys, "check", "monitor.keras", "monitor.npz")
    assert "the model has 2 outputs (level, alarm): save the labels in DATA's .npz keyed " \
           "by their names (np.savez(path, x=..., level=..., alarm=...))" in err
    np.savez("monitor.npz", x=data(8, 20, 3))
    assert cli(capsys, "check", "monitor.keras", "monitor.npz")[0] == 0


def test_sizes_by_hand(capsys: pytest.CaptureFixture[str], cwd: pathlib.Path) -> None:
    np.savez("train.npz", x=data(8, 1440, 3), y=data(8, 1))
    code, out, _ = cli(capsys, "check", "forecaster.keras", "train.npz", "--size", "batch=16")
    assert code == 1 and "axis 0 'batch' is 8 but must be 16 (set by --size batch=16)" in out
    err = unreadable(capsys, "check", "forecaster.keras", "train.npz", "--size", "tme=3")
    assert "'tme' is not a name in" in err and "its names: " in err
    err = unreadable(capsys, "check", "forecaster.keras", "train.npz", "--size", "batch=8",
                     "--size", "batch=9")
    assert "--size batch=9 contradicts --size batch=8" in err


# -- torch ---------------------------------------------------------------------------------------


def test_torch_module_fits_and_mismatches(capsys: pytest.CaptureFixture[str],
                                          cwd: pathlib.Path) -> None:
    np.save("x.npy", data(32, 20, 6))
    code, out, _ = cli(capsys, "check", "lstm.pt", "x.npy")
    assert code == 0
    assert out.splitlines()[1] == ("  x  float32[32, 20, 6]  from x.npy  for "
                                   "Float32[Array, \"batch time 6\"]")
    np.save("seven.npy", data(32, 20, 7))
    code, out, _ = cli(capsys, "check", "lstm.pt", "seven.npy")
    assert code == 1
    assert "axis 2 'feat' (feature) is 7 but must be 6 (set by nn.LSTM(6, 64, " \
           "batch_first=True) input_size)" in out
    np.save("double.npy", np.zeros((32, 20, 6)))
    code, out, _ = cli(capsys, "check", "lstm.pt", "double.npy")
    assert code == 1 and "dtype is float64" in out and "fix: x.float()" in out


def test_torch_batch_first_data_caught_with_the_batch_size(
        capsys: pytest.CaptureFixture[str], cwd: pathlib.Path) -> None:
    # framework-behaviour.md row 6: torch runs this silently; the batch size says which axis.
    np.save("x.npy", data(32, 20, 6))
    assert cli(capsys, "check", "time_major.pt", "x.npy")[0] == 0
    code, out, _ = cli(capsys, "check", "time_major.pt", "x.npy", "--size", "batch=32")
    assert code == 1
    assert "axis 1 'batch' is 20 but must be 32" in out
    assert "fix: build the LSTM with batch_first=True (or x.permute(1, 0, 2))" in out


def test_torch_modules_take_no_labels(capsys: pytest.CaptureFixture[str],
                                      cwd: pathlib.Path) -> None:
    np.save("x.npy", data(32, 20, 6))
    np.save("y.npy", data(32, 1))
    err = unreadable(capsys, "check", "lstm.pt", "x.npy", "--y", "y.npy")
    assert "a torch module states no output to hold them to" in err


# -- files that cannot be used -------------------------------------------------------------------


def test_unreadable_data_exits_2_with_one_line(capsys: pytest.CaptureFixture[str],
                                               cwd: pathlib.Path) -> None:
    assert "DATA missing.npy: no such file" in unreadable(
        capsys, "check", "forecaster.keras", "missing.npy")
    pathlib.Path("broken.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
    assert "DATA broken.npy: cannot read it as a numpy .npy array" in unreadable(
        capsys, "check", "forecaster.keras", "broken.npy")
    np.save("ragged.npy", np.array([np.zeros((3, 3)), np.zeros((5, 3))], dtype=object))
    assert "holds Python objects" in unreadable(capsys, "check", "forecaster.keras",
                                                "ragged.npy")
    np.savez("many.npz", a=data(2, 3), b=data(2, 3))
    err = unreadable(capsys, "check", "forecaster.keras", "many.npz")
    assert "holds a, b, and none is obviously x" in err and "--key" in err
    assert "has no key 'c'; its keys: a, b" in unreadable(
        capsys, "check", "forecaster.keras", "many.npz", "--key", "c")
    assert "no such file, and many.npz has no key 'labels'" in unreadable(
        capsys, "check", "forecaster.keras", "many.npz", "--key", "a", "--y", "labels")
    pathlib.Path("table.csv").write_text("a,b\n1,2\n3,oops\n")
    assert "DATA table.csv: not a table of numbers: line 3: 'oops' is not a number" in \
        unreadable(capsys, "check", "forecaster.keras", "table.csv")
    pathlib.Path("table.csv").write_text("1,2,3\n\n4,5\n")
    assert "line 3 has 2 columns, the lines before 3" in unreadable(
        capsys, "check", "forecaster.keras", "table.csv")
    np.save("x.npy", data(2, 3))
    assert "x.npy is a numpy .npy array: data, not a model" in unreadable(
        capsys, "check", "x.npy", "x.npy")
    assert "MODEL table.csv is a text file, not a saved model" in unreadable(
        capsys, "check", "table.csv", "x.npy")


def test_bad_size_syntax_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", "m.keras", "x.npy", "--size", "time"])
    assert info.value.code == 2
    assert "expected NAME=N with N a positive integer (time=1440), got 'time'" in \
        capsys.readouterr().err

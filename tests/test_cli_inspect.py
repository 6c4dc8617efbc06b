"""``shapecontract inspect MODEL``: real models saved in tmp_path, read back by the command."""

from __future__ import annotations

import importlib
import pathlib
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from shapecontract.cli import main

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
from torch import Tensor, nn  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning",
                                        "ignore::torch.jit.TracerWarning")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    root = tmp_path_factory.mktemp("models")
    forecaster = keras.Sequential([keras.Input((1440, 6)), keras.layers.LSTM(4),
                                   keras.layers.Dense(1)], name="forecaster")
    forecaster.compile(optimizer="adam", loss="mse")
    forecaster.save(root / "forecaster.keras")
    sensors = keras.Input((None, 3), name="sensors")
    site = keras.Input((1,), name="site", dtype="int32")
    h = keras.layers.LSTM(4)(sensors)
    joined = keras.layers.Concatenate()([h, keras.layers.Identity()(
        keras.ops.cast(site, "float32"))])
    level = keras.layers.Dense(1, name="level")(joined)
    alarm = keras.layers.Dense(2, name="alarm")(h)
    keras.Model([sensors, site], [level, alarm], name="plant").save(root / "plant.keras")
    return root


class Forecaster(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(6, 64, batch_first=True)
        self.head = nn.Linear(64, 1)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.lstm(x)
        return self.head(out[:, -1])  # type: ignore[no-any-return]


def test_keras_model_prints_the_annotation_to_paste(capsys: pytest.CaptureFixture[str],
                                                    models: pathlib.Path) -> None:
    code, out, err = cli(capsys, "inspect", str(models / "forecaster.keras"))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"{models / 'forecaster.keras'}: Keras model 'forecaster' (Sequential)"
    assert lines[1:] == ['  input:  Float[Array, "batch 1440 6"]',
                         '  output: Float[Array, "batch 1"]']


def test_keras_model_with_several_inputs_and_outputs_names_each(
        capsys: pytest.CaptureFixture[str], models: pathlib.Path) -> None:
    code, out, _ = cli(capsys, "inspect", str(models / "plant.keras"))
    assert code == 0
    assert out.splitlines()[1:] == [
        "  input 'sensors': Float[Array, \"batch time 3\"]",
        "  input 'site':    Int[Array, \"batch 1\"]",
        "  output 'level':  Float[Array, \"batch 1\"]",
        "  output 'alarm':  Float[Array, \"batch 2\"]",
    ]


@pytest.mark.parametrize("how", ["script", "trace"])
def test_torchscript_module_prints_input_output_and_states(
        capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, how: str) -> None:
    model = Forecaster()
    scripted = torch.jit.script(model) if how == "script" else \
        torch.jit.trace(model, torch.zeros(2, 5, 6))
    scripted.save(str(tmp_path / "forecaster.pt"))
    code, out, err = cli(capsys, "inspect", str(tmp_path / "forecaster.pt"))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].endswith(": torch module Forecaster (TorchScript), read from its first "
                             "recurrent layer Forecaster.lstm: nn.LSTM(6, 64, batch_first=True)")
    assert lines[1] == '  input:  Float32[Array, "batch time 6"]'
    assert lines[2].startswith('  output: Float32[Array, "batch time 64"]')
    assert "Forecaster.lstm's output" in lines[2]
    assert lines[3].startswith('  hidden: Float32[Array, "1 batch 64"]')
    assert lines[4].startswith('  cell:   Float32[Array, "1 batch 64"]')


def test_traced_time_major_gru_keeps_its_layout(capsys: pytest.CaptureFixture[str],
                                                tmp_path: pathlib.Path) -> None:
    gru = nn.GRU(3, 8, num_layers=2, bidirectional=True)
    torch.jit.trace(gru, torch.zeros(5, 2, 3)).save(str(tmp_path / "gru.pt"))
    code, out, _ = cli(capsys, "inspect", str(tmp_path / "gru.pt"))
    assert code == 0
    assert [line.split("#")[0].rstrip() for line in out.splitlines()[1:]] == [
        '  input:  Float32[Array, "time batch 3"]',
        '  output: Float32[Array, "time batch 16"]',
        '  hidden: Float32[Array, "4 batch 8"]',
    ]


def test_pickled_module_whose_class_is_importable_from_the_current_directory(
        capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "plant_models.py").write_text(textwrap.dedent("""
        from torch import nn

        class Tiny(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.GRU(4, 16, batch_first=True)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("plant_models")
    torch.save(module.Tiny(), tmp_path / "tiny.pt")
    del sys.modules["plant_models"]
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "inspect", "tiny.pt")
    assert code == 0
    assert out.splitlines()[0].startswith("tiny.pt: torch module Tiny (torch.save(module))")
    assert '  input:  Float32[Array, "batch time 4"]' in out


def unreadable(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = cli(capsys, *argv)
    assert code == 2, out + err
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_a_module_pickled_from_a_script_says_why_it_cannot_load(
        capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    script = textwrap.dedent("""
        import sys, torch
        from torch import nn
        class Forecaster(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(6, 8)
        torch.save(Forecaster(), sys.argv[1])
    """)
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "m.pt")], check=True,
                   timeout=120)
    err = unreadable(capsys, "inspect", str(tmp_path / "m.pt"))
    assert "from a script, and its class lives in that script's __main__" in err
    assert "torch.jit.script(model).save(path)" in err


def test_a_state_dict_is_not_a_model(capsys: pytest.CaptureFixture[str],
                                     tmp_path: pathlib.Path) -> None:
    torch.save(Forecaster().state_dict(), tmp_path / "weights.pt")
    err = unreadable(capsys, "inspect", str(tmp_path / "weights.pt"))
    assert "holds a state_dict (6 tensors by name), not a module" in err


def test_a_module_with_no_recurrent_layer_first(capsys: pytest.CaptureFixture[str],
                                                tmp_path: pathlib.Path) -> None:
    torch.jit.script(nn.Sequential(nn.Linear(3, 4))).save(str(tmp_path / "mlp.pt"))
    err = unreadable(capsys, "inspect", str(tmp_path / "mlp.pt"))
    assert "cannot read a contract from torch module Sequential (TorchScript)" in err
    assert "is not a recurrent module" in err


def test_formats_are_told_by_content(capsys: pytest.CaptureFixture[str],
                                     models: pathlib.Path, tmp_path: pathlib.Path) -> None:
    # A .keras archive under another name still loads: the content says what it is.
    renamed = tmp_path / "forecaster.bin"
    renamed.write_bytes((models / "forecaster.keras").read_bytes())
    code, out, _ = cli(capsys, "inspect", str(renamed))
    assert code == 0 and '"batch 1440 6"' in out
    # And a file named .keras that is something else is refused for what it is.
    fake = tmp_path / "model.keras"
    fake.write_text("input,output\n1,2\n")
    assert "is a text file, not a saved model" in unreadable(capsys, "inspect", str(fake))


@pytest.mark.parametrize("content, words", [
    (b"", "an empty file"),
    (b"\x00\x01garbage\xff" * 8, "a file that starts with"),
    ("npz", "a numpy .npz archive: data, not a model"),
    ("zip", "a zip archive of 1 files (notes.txt)"),
    ("broken-keras", "Keras could not load it"),
    ("pickle", "a Python pickle"),
])
def test_unknown_and_damaged_models_exit_2_with_one_line(
        capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, content: object,
        words: str) -> None:
    path = tmp_path / "model.bin"
    if content == "npz":
        np.savez(path.with_suffix(".npz"), x=np.zeros(3))
        path = path.with_suffix(".npz")
    elif content == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("notes.txt", "hello")
    elif content == "broken-keras":
        path = tmp_path / "model.keras"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("config.json", "{not json")
            archive.writestr("metadata.json", "{}")
    elif content == "pickle":
        import pickle

        path.write_bytes(pickle.dumps({"a": 1}))
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    assert words in unreadable(capsys, "inspect", str(path))


def test_missing_file_and_directory(capsys: pytest.CaptureFixture[str],
                                    tmp_path: pathlib.Path) -> None:
    assert unreadable(capsys, "inspect", str(tmp_path / "nope.keras")).endswith(
        "nope.keras: no such file\n")
    (tmp_path / "exported").mkdir()
    (tmp_path / "exported" / "saved_model.pb").write_bytes(b"")
    assert "a TensorFlow SavedModel directory" in unreadable(
        capsys, "inspect", str(tmp_path / "exported"))

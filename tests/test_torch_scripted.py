"""contract_of, contracts_of and preflight on TorchScript modules (torch.jit.script and
torch.jit.trace, saved and loaded back): the same contracts as the eager module's."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import pytest

import shapecontract.torch as sct
from shapecontract import ShapeContractError

torch = pytest.importorskip("torch")
from torch import Tensor, nn  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning",
                                        "ignore:Converting a tensor to a Python boolean")

MODULES = [
    (lambda: nn.LSTM(6, 64, batch_first=True), (2, 5, 6)),
    (lambda: nn.LSTM(6, 32, num_layers=2, bidirectional=True, proj_size=8), (5, 2, 6)),
    (lambda: nn.GRU(3, 8, bias=False), (5, 2, 3)),
    (lambda: nn.RNN(3, 8, nonlinearity="relu", batch_first=True), (2, 5, 3)),
]


def saved(module: Any, how: str, example: tuple[int, ...], tmp_path: pathlib.Path) -> Any:
    converted = torch.jit.script(module) if how == "script" else \
        torch.jit.trace(module, torch.zeros(example))
    converted.save(str(tmp_path / "m.pt"))
    return torch.jit.load(str(tmp_path / "m.pt"))


@pytest.mark.parametrize("how", ["script", "trace"])
@pytest.mark.parametrize("make, example", MODULES)
def test_same_contracts_as_the_eager_module(how: str, make: Callable[[], Any],
                                            example: tuple[int, ...],
                                            tmp_path: pathlib.Path) -> None:
    module = make()
    loaded = saved(module, how, example, tmp_path)
    assert sct.contracts_of(loaded) == sct.contracts_of(module)
    assert sct.contract_of(loaded, output=True) == sct.contract_of(module, output=True)


@pytest.mark.parametrize("how", ["script", "trace"])
def test_a_wrapped_lstm_is_found_and_preflight_names_it(how: str,
                                                        tmp_path: pathlib.Path) -> None:
    class Forecaster(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(6, 64)
            self.head = nn.Linear(64, 1)

        def forward(self, x: Tensor) -> Tensor:
            out, _ = self.lstm(x)
            return self.head(out[-1])  # type: ignore[no-any-return]

    loaded = saved(Forecaster(), how, (5, 2, 6), tmp_path)
    assert str(sct.contract_of(loaded)) == 'Float32[Array, "time batch 6"]'
    with pytest.raises(ShapeContractError) as info:
        sct.preflight(loaded, torch.zeros(32, 20, 6), contract="batch time feat")
    message = str(info.value)
    assert "Forecaster.lstm: nn.LSTM(6, 64) has batch_first=False" in message
    assert info.value.hint is not None and "batch_first=True" in info.value.hint


def test_a_scripted_module_with_no_recurrent_layer_is_refused_by_its_class_name() -> None:
    with pytest.raises(ValueError, match=r"Sequential \(TorchScript\) is not a recurrent "
                                         r"module .* \(Sequential -> 0\)"):
        sct.contract_of(torch.jit.script(nn.Sequential(nn.Linear(3, 4))))


@pytest.mark.parametrize("how", ["script", "trace"])
def test_guard_refuses_a_torchscript_module_and_says_to_use_preflight(
        how: str, tmp_path: pathlib.Path) -> None:
    module = saved(nn.LSTM(6, 16, batch_first=True), how, (2, 5, 6), tmp_path)
    with pytest.raises(TypeError, match=r"TorchScript module, which runs no Python hooks.*"
                                        r"shapecontract\.torch\.preflight\(module, x\)"):
        sct.guard(module)

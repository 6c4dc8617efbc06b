"""shapecontract.torch builders and contract_of: real nn.LSTM/GRU/RNN modules from a contract."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import shapecontract.torch as sct  # noqa: E402
from shapecontract import Array, Contract, Float, Float64, Int, dims  # noqa: E402


def test_importing_the_adapter_does_not_import_torch() -> None:
    code = ("import sys, shapecontract.torch as sct; "
            "print(sorted(m for m in ('torch', 'tensorflow', 'keras', 'jax') if m in sys.modules));"
            "sct.contract_of")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


# -- LSTM / GRU / RNN --------------------------------------------------------------------------


def test_batch_time_feat_builds_a_batch_first_lstm() -> None:
    lstm = sct.LSTM(Float[Array, "batch time feat"], 64, feat=6)
    assert type(lstm) is nn.LSTM
    assert (lstm.input_size, lstm.hidden_size, lstm.batch_first) == (6, 64, True)
    out, (h, c) = lstm(torch.randn(32, 20, 6))
    assert out.shape == (32, 20, 64)
    assert h.shape == c.shape == (1, 32, 64)


def test_time_batch_feat_builds_a_time_major_lstm() -> None:
    lstm = sct.LSTM("time batch feat", 64, feat=6)
    assert lstm.batch_first is False
    out, _ = lstm(torch.randn(20, 32, 6))
    assert out.shape == (20, 32, 64)


def test_feature_size_from_the_contract_a_keyword_or_a_dims_block() -> None:
    assert sct.LSTM("batch time 6", 8).input_size == 6
    assert sct.LSTM("n seq sensors", 8, sensors=3).input_size == 3
    with dims(feat=5):
        assert sct.LSTM("batch time feat", 8).input_size == 5
    assert sct.LSTM("batch time sensors+sites", 8, sensors=3, sites=4).input_size == 7


@pytest.mark.filterwarnings("ignore:LSTM with projections")
def test_other_keywords_go_to_the_torch_module() -> None:
    lstm = sct.LSTM("batch time 6", 16, num_layers=2, bidirectional=True, proj_size=4,
                    dropout=0.1)
    assert (lstm.num_layers, lstm.bidirectional, lstm.proj_size, lstm.dropout) == (2, True, 4, 0.1)
    out, (h, c) = lstm(torch.randn(3, 5, 6))
    assert out.shape == (3, 5, 8)
    assert h.shape == (4, 3, 4) and c.shape == (4, 3, 16)


def test_gru_and_rnn() -> None:
    gru = sct.GRU("time batch feat", 10, feat=6)
    rnn = sct.RNN("batch time 6", 10, nonlinearity="relu")
    assert type(gru) is nn.GRU and gru.batch_first is False and gru.input_size == 6
    assert type(rnn) is nn.RNN and rnn.batch_first is True and rnn.nonlinearity == "relu"


def test_matching_batch_first_and_input_size_are_accepted() -> None:
    lstm = sct.LSTM("batch time 6", 8, batch_first=True, input_size=6)
    assert (lstm.batch_first, lstm.input_size) == (True, 6)


def test_a_contradicting_batch_first_is_an_error_not_an_override() -> None:
    with pytest.raises(ValueError, match=r"batch_first=False contradicts .*\(batch, time, feat\)"):
        sct.LSTM("batch time feat", 64, feat=6, batch_first=False)
    with pytest.raises(ValueError, match="batch_first=True contradicts"):
        sct.GRU("time batch feat", 64, feat=6, batch_first=True)


def test_unbound_feature_axis_says_how_to_bind_it() -> None:
    with pytest.raises(ValueError, match=r"'feat' .* has no size.*feat=6"):
        sct.LSTM("batch time feat", 64)


def test_contradicting_input_size_is_refused() -> None:
    with pytest.raises(ValueError, match="input_size=7 contradicts"):
        sct.LSTM("batch time 6", 64, input_size=7)


@pytest.mark.parametrize(("contract", "message"), [
    ("batch feat", r"no time axis: it is a batch of vectors"),
    ("batch time h w", r"has 4 axes"),
    ("batch *rest", r"variadic axis"),
    ("time feat batch", r"does not say which of its first two axes is the batch"),
    ("batch feat time", r"feature axis 'feat' at position 1.*x\.permute\(0, 2, 1\).*"
                        r'"batch time feat"'),
    (Int[Array, "batch time 6"], r"computes in floating point"),
])
def test_contracts_torch_cannot_read_are_refused_saying_what_to_write(contract: object,
                                                                     message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        sct.LSTM(contract, 8)
    assert "LSTM()" in str(info.value)


def test_bad_adapter_input_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"LSTM\(\): expected a jaxtyping annotation"):
        sct.LSTM(42, 8)
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        sct.LSTM("batch time 6", 0)
    with pytest.raises(TypeError, match=r"'bidirectonal' is neither an axis .* nor an nn.LSTM"):
        sct.LSTM("batch time 6", 8, bidirectonal=True)
    with pytest.raises(TypeError, match="'proj_size' is neither"):
        sct.GRU("batch time 6", 8, proj_size=2)
    with pytest.raises(ValueError, match="must be a positive int"):
        sct.LSTM("batch time feat", 8, feat=0)


def test_the_contract_dtype_sets_the_module_dtype() -> None:
    lstm = sct.LSTM(Float64[Array, "batch time 6"], 8)
    assert lstm.weight_ih_l0.dtype == torch.float64
    with pytest.raises(ValueError, match=r"dtype=torch\.float16 contradicts"):
        sct.LSTM(Float64[Array, "batch time 6"], 8, dtype=torch.float16)


def test_built_module_trains() -> None:
    torch.manual_seed(0)
    lstm = sct.LSTM("batch time feat", 8, feat=3)
    head = nn.Linear(8, 1)
    opt = torch.optim.SGD([*lstm.parameters(), *head.parameters()], lr=0.1)
    x, y = torch.randn(16, 10, 3), torch.randn(16, 1)
    losses = []
    for _ in range(20):
        out, _ = lstm(x)
        loss = nn.functional.mse_loss(head(out[:, -1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_built_module_pickles_and_deep_copies() -> None:
    import copy

    lstm = sct.LSTM("batch steps sensors", 8, sensors=3)
    for clone in (pickle.loads(pickle.dumps(lstm)), copy.deepcopy(lstm)):
        assert str(sct.contract_of(clone)) == 'Float32[Array, "batch steps 3"]'


# -- contract_of / contracts_of ----------------------------------------------------------------


def test_contract_of_a_plain_lstm() -> None:
    assert str(sct.contract_of(nn.LSTM(6, 64))) == 'Float32[Array, "time batch 6"]'
    assert str(sct.contract_of(nn.LSTM(6, 64, batch_first=True))) == \
        'Float32[Array, "batch time 6"]'
    assert str(sct.contract_of(nn.LSTM(6, 64), output=True)) == \
        'Float32[Array, "time batch 64"]'
    contract = sct.contract_of(nn.LSTM(6, 64, batch_first=True))
    assert isinstance(contract, Contract)
    assert (contract.batch, contract.time, contract.feature) == (0, 1, 2)


@pytest.mark.filterwarnings("ignore:LSTM with projections")
def test_hidden_states_are_layers_batch_hidden_whatever_batch_first_says() -> None:
    lstm = nn.LSTM(6, 32, num_layers=2, bidirectional=True, proj_size=8, batch_first=True)
    found = sct.contracts_of(lstm)
    assert str(found.input) == 'Float32[Array, "batch time 6"]'
    assert str(found.output) == 'Float32[Array, "batch time 16"]'
    assert str(found.hidden) == 'Float32[Array, "4 batch 8"]'
    assert found.cell is not None and str(found.cell) == 'Float32[Array, "4 batch 32"]'
    out, (h, c) = lstm(torch.randn(5, 7, 6))
    # The contracts say what torch really returns.
    assert (out.shape, h.shape, c.shape) == ((5, 7, 16), (4, 5, 8), (4, 5, 32))


def test_gru_has_no_cell_state_and_float64_weights_give_float64() -> None:
    found = sct.contracts_of(nn.GRU(6, 10, dtype=torch.float64))
    assert found.cell is None
    assert str(found.hidden) == 'Float64[Array, "1 batch 10"]'


def test_contract_of_a_module_whose_first_submodule_is_recurrent() -> None:
    class Forecaster(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(6, 16, batch_first=True)
            self.head = nn.Linear(16, 1)

    assert str(sct.contract_of(Forecaster())) == 'Float32[Array, "batch time 6"]'
    assert str(sct.contract_of(nn.Sequential(nn.GRU(3, 4)))) == 'Float32[Array, "time batch 3"]'


def test_contract_of_a_built_module_keeps_the_names_it_was_built_with() -> None:
    lstm = sct.LSTM("n steps sensors", 16, sensors=3)
    assert str(sct.contract_of(lstm)) == 'Float32[Array, "n steps 3"]'
    assert str(sct.contracts_of(lstm).hidden) == 'Float32[Array, "1 n 16"]'


def test_contract_of_refuses_what_is_not_recurrent() -> None:
    with pytest.raises(TypeError, match=r"contract_of\(\): expected a torch.nn.Module"):
        sct.contract_of("lstm")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"nn.Linear.*is not a recurrent module"):
        sct.contract_of(nn.Linear(3, 3))
    with pytest.raises(ValueError, match="not a recurrent module"):
        sct.contract_of(nn.Sequential(nn.Linear(3, 3), nn.LSTM(3, 3)))
    with pytest.raises(TypeError, match="output must be True or False"):
        sct.contract_of(nn.LSTM(3, 3), output="yes")  # type: ignore[arg-type]

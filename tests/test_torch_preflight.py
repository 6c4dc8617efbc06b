"""preflight and guard against real torch recurrent modules: the silent mistakes caught."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence  # noqa: E402

import shapecontract.torch as sct  # noqa: E402
from shapecontract import ShapeContractError, dims  # noqa: E402


def _packed(features: int, lengths: tuple[int, ...] = (5, 4, 2), device: str = "cpu") -> object:
    padded = torch.empty(max(lengths), len(lengths), features, device=device)
    return pack_padded_sequence(padded, torch.tensor(lengths))


# -- row 6: batch-first data into a time-major LSTM ------------------------------------------


def test_torch_reads_batch_first_data_as_time_major_without_a_word() -> None:
    lstm = nn.LSTM(6, 64)
    out, (h, _) = lstm(torch.randn(32, 20, 6))  # 32 samples of 20 steps
    # No error: the 32 samples became 32 time steps of a batch of 20.
    assert out.shape == (32, 20, 64)
    assert h.shape == (1, 20, 64)


def test_a_batch_first_contract_catches_it_even_when_batch_and_time_sizes_agree() -> None:
    lstm = nn.LSTM(6, 64)
    for shape in ((32, 20, 6), (8, 8, 6)):
        with pytest.raises(ShapeContractError) as info:
            sct.preflight(lstm, torch.randn(*shape), contract="batch time feat")
        err = info.value
        assert (err.kind, err.function, err.argument) == ("layout", "preflight", "x")
        assert (err.expected, err.actual) == ("batch_first=True", "batch_first=False")
        assert err.hint is not None and err.hint.startswith("build the LSTM with batch_first=True")
        assert "x.permute(1, 0, 2)" in err.hint
    assert "32 sequences of 20 steps would run as 20 sequences of 32 steps" in str(
        _raised(lambda: sct.preflight(lstm, torch.randn(32, 20, 6), contract="batch time feat")))


def _raised(call: object) -> ShapeContractError:
    with pytest.raises(ShapeContractError) as info:
        call()  # type: ignore[operator]
    return info.value


def test_a_batch_size_catches_it_and_the_fix_names_batch_first() -> None:
    err = _raised(lambda: sct.preflight(nn.LSTM(6, 64), torch.randn(32, 20, 6), batch=32))
    assert (err.kind, err.argument, err.axis, err.axis_index) == ("size", "x", "batch", 1)
    assert (err.expected, err.actual) == (32, 20)
    assert err.origin == "batch=32 passed to preflight()"
    assert err.hint == "build the LSTM with batch_first=True (or x.permute(1, 0, 2))"
    assert "nn.LSTM(6, 64) has batch_first=False: it reads x as (time, batch, feature)" in \
        str(err)


def test_a_time_size_or_a_dims_block_or_the_hidden_state_catches_it_too() -> None:
    lstm = nn.LSTM(6, 64)
    x = torch.randn(32, 20, 6)
    assert "batch_first=True" in (_raised(lambda: sct.preflight(lstm, x, time=20)).hint or "")
    with dims(batch=32):
        err = _raised(lambda: sct.preflight(lstm, x))
    assert err.origin is not None and err.origin.startswith("dims(batch=32)")
    assert "batch_first=True" in (err.hint or "")
    state = (torch.zeros(1, 32, 64), torch.zeros(1, 32, 64))
    err = _raised(lambda: sct.preflight(lstm, x, state))
    assert (err.argument, err.axis, err.expected, err.actual) == ("hx[0]", "batch", 20, 32)
    assert "batch_first=True" in (err.hint or "")


def test_time_major_data_into_a_batch_first_lstm_says_batch_first_false() -> None:
    lstm = nn.LSTM(6, 64, batch_first=True)
    err = _raised(lambda: sct.preflight(lstm, torch.randn(20, 32, 6), batch=32))
    assert err.hint == "build the LSTM with batch_first=False (or x.permute(1, 0, 2))"


def test_without_anything_saying_which_axis_is_the_batch_the_layouts_are_indistinguishable(
) -> None:
    # Documented: (32, 20, 6) is a valid (time, batch, feature) tensor; nothing to go on.
    assert sct.preflight(nn.LSTM(6, 64), torch.randn(32, 20, 6)) == {
        "time": 32, "batch": 20, "feat": 6}


def test_a_module_built_from_a_contract_remembers_its_sizes() -> None:
    lstm = sct.LSTM("batch time feat", 64, feat=6, batch=32)
    assert sct.preflight(lstm, torch.randn(32, 20, 6)) == {"batch": 32, "time": 20, "feat": 6}
    err = _raised(lambda: sct.preflight(lstm, torch.randn(20, 32, 6)))
    assert (err.axis, err.expected, err.actual) == ("batch", 32, 20)
    assert err.origin is not None and "batch=32 given to shapecontract.torch.LSTM" in err.origin
    # The contract says the data is batch-first, so the data is what the fix turns.
    assert err.hint == "x.permute(1, 0, 2)"
    assert 'the contract "batch time feat" says (batch, time, feat)' in str(err)


def test_with_a_declared_contract_time_major_data_gets_a_permute() -> None:
    lstm = nn.LSTM(6, 64, batch_first=True)
    err = _raised(lambda: sct.preflight(lstm, torch.randn(20, 32, 6), contract="batch time feat",
                                        batch=32))
    assert (err.kind, err.axis, err.hint) == ("size", "batch", "x.permute(1, 0, 2)")


# -- row 7: a batch of vectors -------------------------------------------------------------------


def test_torch_runs_a_batch_of_vectors_as_one_sequence_without_a_word() -> None:
    out, (h, _) = nn.LSTM(6, 64)(torch.randn(32, 6))
    assert out.shape == (32, 64)  # one unbatched sequence of 32 steps
    assert h.shape == (1, 64)


def test_a_batch_of_vectors_is_refused_with_an_unsqueeze_fix() -> None:
    err = _raised(lambda: sct.preflight(nn.LSTM(6, 64), torch.randn(32, 6)))
    assert (err.kind, err.argument, err.expected, err.actual) == ("rank", "x", 3, 2)
    assert err.hint is not None and "x.unsqueeze(0)" in err.hint
    assert "ONE unbatched sequence of 32 steps" in str(err)
    assert 'contract="time feat"' in str(err)


def test_one_unbatched_sequence_is_accepted_when_the_contract_says_so() -> None:
    lstm = nn.LSTM(6, 64, num_layers=2)
    state = (torch.zeros(2, 64), torch.zeros(2, 64))
    assert sct.preflight(lstm, torch.randn(32, 6), state, contract="time feat") == {
        "time": 32, "feat": 6}
    lstm(torch.randn(32, 6), state)  # torch agrees
    err = _raised(lambda: sct.preflight(lstm, torch.randn(32, 6), (torch.zeros(2, 1, 64),) * 2,
                                        contract="time feat"))
    assert (err.kind, err.argument, err.hint) == ("rank", "hx[0]", "hx[0].squeeze(1)")


# -- row 8 and 9: a wrong feature count, dense and packed ----------------------------------------


def test_torch_names_no_producer_for_a_wrong_feature_count() -> None:
    with pytest.raises(RuntimeError, match="Expected 6, got 7"):
        nn.LSTM(6, 64)(torch.randn(20, 32, 7))


def test_a_wrong_feature_count_names_the_axis_and_the_module() -> None:
    err = _raised(lambda: sct.preflight(nn.LSTM(6, 64), torch.randn(20, 32, 7)))
    assert (err.kind, err.argument, err.axis, err.axis_index) == ("size", "x", "feat", 2)
    assert (err.expected, err.actual, err.origin) == (6, 7, "nn.LSTM(6, 64) input_size")


def test_torch_skips_its_input_check_for_packed_sequences() -> None:
    lstm = nn.LSTM(6, 64)
    x = pack_padded_sequence(torch.randn(5, 3, 7), torch.tensor([5, 4, 2]))
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        lstm(x)  # deep inside forward, naming no axis
    err = _raised(lambda: sct.preflight(lstm, x))
    assert (err.argument, err.axis, err.expected, err.actual) == ("x.data", "feat", 6, 7)
    assert "skips its own input check for a PackedSequence" in str(err)


def test_a_good_packed_sequence_passes_with_its_state() -> None:
    lstm = nn.LSTM(6, 64)
    x = pack_padded_sequence(torch.randn(5, 3, 6), torch.tensor([5, 4, 2]))
    state = (torch.zeros(1, 3, 64), torch.zeros(1, 3, 64))
    assert sct.preflight(lstm, x, state) == {"feat": 6, "batch": 3}
    lstm(x, state)
    err = _raised(lambda: sct.preflight(lstm, x, (torch.zeros(1, 4, 64),) * 2))
    assert (err.argument, err.axis, err.expected, err.actual) == ("hx[0]", "batch", 3, 4)
    assert err.origin == "the PackedSequence x: batch_sizes[0]"


# -- dtype and hidden states --------------------------------------------------------------------


def test_a_wrong_dtype_gets_the_torch_cast() -> None:
    err = _raised(lambda: sct.preflight(nn.LSTM(6, 8), torch.randn(5, 3, 6, dtype=torch.float64)))
    assert (err.kind, err.expected, err.actual, err.hint) == ("dtype", "Float32", "float64",
                                                              "x.float()")
    double = nn.LSTM(6, 8, dtype=torch.float64)
    assert sct.preflight(double, torch.randn(5, 3, 6, dtype=torch.float64))["feat"] == 6


def test_batch_first_hidden_states_are_refused_with_a_permute() -> None:
    lstm = nn.LSTM(6, 64, num_layers=2, batch_first=True)
    x = torch.randn(32, 20, 6)
    state = (torch.zeros(32, 2, 64), torch.zeros(32, 2, 64))  # pytorch #4145
    with pytest.raises(RuntimeError):
        lstm(x, state)
    err = _raised(lambda: sct.preflight(lstm, x, state))
    assert (err.argument, err.axis, err.expected, err.actual) == ("hx[0]", "layers", 2, 32)
    assert err.hint == "hx[0].permute(1, 0, 2)"
    assert "whatever batch_first says" in str(err)


@pytest.mark.filterwarnings("ignore:LSTM with projections")
def test_hidden_and_cell_sizes_follow_proj_size_and_bidirectional() -> None:
    lstm = nn.LSTM(6, 32, proj_size=8, bidirectional=True)
    x = torch.randn(5, 3, 6)
    good = (torch.zeros(2, 3, 8), torch.zeros(2, 3, 32))
    lstm(x, good)
    assert sct.preflight(lstm, x, good)["batch"] == 3
    err = _raised(lambda: sct.preflight(lstm, x, (torch.zeros(2, 3, 32), torch.zeros(2, 3, 32))))
    assert (err.argument, err.axis, err.expected, err.actual) == ("hx[0]", "proj", 8, 32)
    assert err.origin is not None and err.origin.endswith("proj_size")
    err = _raised(lambda: sct.preflight(lstm, x, (torch.zeros(1, 3, 8), torch.zeros(1, 3, 32))))
    assert (err.axis, err.expected, err.actual) == ("layers", 2, 1)
    assert err.origin is not None and "num_layers=1 x 2 directions" in err.origin


def test_state_containers_are_checked() -> None:
    x = torch.randn(5, 3, 6)
    err = _raised(lambda: sct.preflight(nn.LSTM(6, 8), x, torch.zeros(1, 3, 8)))
    assert (err.kind, err.argument) == ("type", "hx")
    assert "tuple (h0, c0)" in str(err)
    err = _raised(lambda: sct.preflight(nn.GRU(6, 8), x, (torch.zeros(1, 3, 8),)))
    assert (err.kind, err.hint) == ("type", "hx[0]")
    assert sct.preflight(nn.GRU(6, 8), x, torch.zeros(1, 3, 8))["batch"] == 3


# -- no values read ------------------------------------------------------------------------------


def test_meta_tensors_are_checked_without_data() -> None:
    lstm = nn.LSTM(6, 64, device="meta")
    x = torch.empty(20, 32, 6, device="meta")
    state = (torch.empty(1, 32, 64, device="meta"),) * 2
    assert sct.preflight(lstm, x, state) == {"time": 20, "batch": 32, "feat": 6}
    err = _raised(lambda: sct.preflight(lstm, torch.empty(20, 32, 7, device="meta")))
    assert err.value == "float32[20, 32, 7] (torch, meta)"
    err = _raised(lambda: sct.preflight(lstm, x, contract="batch time feat"))
    assert err.kind == "layout"
    err = _raised(lambda: sct.preflight(lstm, _packed(7, device="meta"), state))
    assert (err.argument, err.actual) == ("x.data", 7)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_tensors_are_checked_without_moving_or_synchronising() -> None:
    lstm = nn.LSTM(6, 64).cuda()
    x = torch.randn(20, 32, 6, device="cuda")
    torch.cuda.set_sync_debug_mode("error")  # any synchronising call raises
    try:
        assert sct.preflight(lstm, x)["batch"] == 32
        err = _raised(lambda: sct.preflight(lstm, x, batch=20))
        assert err.value == "float32[20, 32, 6] (torch, cuda:0)"
    finally:
        torch.cuda.set_sync_debug_mode("default")


# -- bad input to preflight itself ---------------------------------------------------------------


def test_bad_preflight_input_is_a_clear_error() -> None:
    x = torch.randn(5, 3, 6)
    with pytest.raises(TypeError, match=r"preflight\(\): expected a torch.nn.Module"):
        sct.preflight("lstm", x)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not a recurrent module"):
        sct.preflight(nn.Linear(6, 6), x)
    with pytest.raises(ValueError, match="'steps' is not a name"):
        sct.preflight(nn.LSTM(6, 8), x, steps=5)
    with pytest.raises(ValueError, match="has 4 axes"):
        sct.preflight(nn.LSTM(6, 8), x, contract="batch time h w")
    with pytest.raises(ValueError, match=r"gives 7 features, but nn\.LSTM"):
        sct.preflight(nn.LSTM(6, 8), x, contract="time batch 7")
    err = _raised(lambda: sct.preflight(nn.LSTM(6, 8), x, feat=7))
    assert err.kind == "dims" and "nn.LSTM(6, 8) input_size" in str(err)
    err = _raised(lambda: sct.preflight(nn.LSTM(6, 8), [torch.randn(5, 6), torch.randn(4, 6)]))
    assert err.kind == "type" and err.hint is not None and "pad_sequence" in err.hint


# -- guard ---------------------------------------------------------------------------------------


def test_guard_checks_every_call_packed_too_until_removed() -> None:
    lstm = nn.LSTM(6, 64)
    handle = sct.guard(lstm)
    lstm(torch.randn(5, 3, 6))
    packed7 = pack_padded_sequence(torch.randn(5, 3, 7), torch.tensor([5, 4, 2]))
    err = _raised(lambda: lstm(packed7))
    assert (err.function, err.argument, err.expected, err.actual) == (
        "LSTM.forward", "input.data", 6, 7)
    err = _raised(lambda: lstm(torch.randn(5, 3, 6), hx=(torch.zeros(1, 4, 64),) * 2))
    assert (err.argument, err.axis) == ("hx[0]", "batch")
    handle.remove()
    with pytest.raises(RuntimeError, match="mat1 and mat2"):
        lstm(packed7)  # torch's own failure again: the hook is gone


def test_guard_on_a_model_checks_its_first_argument_with_the_given_sizes() -> None:
    class Forecaster(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(6, 16)
            self.head = nn.Linear(16, 1)

        def forward(self, seqs: torch.Tensor) -> torch.Tensor:
            out, _ = self.lstm(seqs)
            return self.head(out[-1])

    model = Forecaster()
    sct.guard(model, batch=8)
    assert model(torch.randn(20, 8, 6)).shape == (8, 1)
    err = _raised(lambda: model(torch.randn(8, 20, 6)))
    assert (err.function, err.argument, err.axis) == ("Forecaster.forward", "seqs", "batch")
    assert err.origin == "batch=8 given to guard()"
    assert err.hint == "build the LSTM with batch_first=True (or seqs.permute(1, 0, 2))"
    assert "Forecaster.lstm: nn.LSTM(6, 16)" in str(err)


def test_a_guarded_model_trains() -> None:
    torch.manual_seed(0)
    lstm = sct.LSTM("batch time feat", 16, feat=3)
    head = nn.Linear(16, 1)
    sct.guard(lstm)
    opt = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=0.01)
    x, y = torch.randn(32, 12, 3), torch.randn(32, 1)
    first = last = 0.0
    for step in range(30):
        out, _ = lstm(x)
        loss = nn.functional.mse_loss(head(out[:, -1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first, last = (loss.item(), last) if step == 0 else (first, loss.item())
    assert last < first
    assert lstm.weight_ih_l0.grad is not None


def test_guard_runs_eagerly_inside_torch_compile_dynamic_shapes_too() -> None:
    lstm = nn.LSTM(6, 16, batch_first=True)
    sct.guard(lstm)
    for dynamic in (False, True):
        torch._dynamo.reset()
        compiled = torch.compile(lstm, backend="eager", dynamic=dynamic)
        assert compiled(torch.randn(4, 5, 6))[0].shape == (4, 5, 16)
        assert compiled(torch.randn(3, 7, 6))[0].shape == (3, 7, 16)
        err = _raised(lambda c=compiled: c(torch.randn(4, 5, 7)))
        assert (err.function, err.argument, err.expected, err.actual) == (
            "LSTM.forward", "input", 6, 7)


def test_bad_guard_input_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"guard\(\): expected a torch.nn.Module"):
        sct.guard(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"guard\(\): .*not a recurrent module"):
        sct.guard(nn.Sequential(nn.Linear(3, 3)))
    with pytest.raises(ValueError, match="'steps' is not a name"):
        sct.guard(nn.LSTM(6, 8), steps=3)
    with pytest.raises(ValueError, match=r"feat=7 given to guard\(\) contradicts"):
        sct.guard(nn.LSTM(6, 8), feat=7)

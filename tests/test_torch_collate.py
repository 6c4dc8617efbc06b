"""pad_collate and pack with real DataLoaders over variable-length datasets."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence  # noqa: E402
from torch.utils.data import DataLoader, Dataset  # noqa: E402

import shapecontract.torch as sct  # noqa: E402
from shapecontract import Array, Float, Float32, ShapeContractError, dims  # noqa: E402

LENGTHS = (5, 9, 3, 7, 4, 8, 6, 2)


class Recordings(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Sequences of different lengths, each with one label; ``odd`` gets an extra channel."""

    def __init__(self, features: int = 3, odd: int | None = None, n: int = 64) -> None:
        gen = torch.Generator().manual_seed(0)
        self.items = []
        for i in range(n):
            length = LENGTHS[i % len(LENGTHS)]
            width = features + 1 if i == odd else features
            x = torch.randn(length, width, generator=gen)
            self.items.append((x, x[:, 0].mean().reshape(1)))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.items[i]


def _raised(call: object) -> ShapeContractError:
    with pytest.raises(ShapeContractError) as info:
        call()  # type: ignore[operator]
    return info.value


# -- row 10: the default collate ---------------------------------------------------------------


def test_the_default_collate_fails_on_lengths_and_names_no_sample() -> None:
    loader = DataLoader(Recordings(odd=3), batch_size=8)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size") as info:
        next(iter(loader))
    # It stops at the first two lengths; sample 3, with its extra channel, goes unmentioned.
    assert "at entry 0 and [9, 3] at entry 1" in str(info.value)
    assert "entry 3" not in str(info.value)


def test_pad_collate_names_the_sample_that_breaks_the_contract() -> None:
    loader = DataLoader(Recordings(odd=3), batch_size=8,
                        collate_fn=sct.pad_collate("batch time feat"))
    err = _raised(lambda: next(iter(loader)))
    assert (err.function, err.argument, err.axis, err.expected, err.actual) == (
        "pad_collate", "sample[3][0]", "feat", 3, 4)
    assert err.origin == "sample[0][0] axis 1"
    loader = DataLoader(Recordings(odd=0), batch_size=8,
                        collate_fn=sct.pad_collate("batch time feat", feat=3))
    err = _raised(lambda: next(iter(loader)))  # with the size given, sample 0 is the one named
    assert (err.argument, err.origin) == ("sample[0][0]", "feat=3 passed to pad_collate()")


def test_pad_collate_pads_batch_first_and_returns_cpu_lengths() -> None:
    loader = DataLoader(Recordings(), batch_size=4, collate_fn=sct.pad_collate("batch time feat"))
    x, y, lengths = next(iter(loader))
    assert x.shape == (4, 9, 3) and y.shape == (4, 1)
    assert lengths.dtype == torch.int64 and lengths.device.type == "cpu"
    assert lengths.tolist() == [5, 9, 3, 7]
    data = Recordings().items
    torch.testing.assert_close(x[2, :3], data[2][0])
    assert bool((x[2, 3:] == 0).all())  # padded with padding_value


def test_a_time_major_contract_pads_time_major() -> None:
    collate = sct.pad_collate("time batch feat", -1.0, lengths=False)
    x, _ = collate(Recordings().items[:3])
    assert x.shape == (9, 3, 3)
    assert bool((x[5:, 0] == -1).all())


def test_samples_alone_numpy_samples_and_dtype() -> None:
    rng = np.random.default_rng(0)
    samples = [rng.random((n, 2)) for n in (3, 5)]
    x, lengths = sct.pad_collate("batch time feat", dtype=torch.float32)(samples)
    assert (x.shape, x.dtype, lengths.tolist()) == ((2, 5, 2), torch.float32, [3, 5])
    x = sct.pad_collate("batch time feat", lengths=False)(samples)
    assert x.dtype == torch.float64
    err = _raised(lambda: sct.pad_collate("batch time feat")([*samples, rng.random((4, 3))]))
    assert (err.argument, err.value) == ("sample[2]", "float64[4, 3] (numpy)")


def test_packed_output_runs_through_an_lstm_in_the_original_order() -> None:
    items = Recordings().items[:4]
    packed, _ = sct.pad_collate("batch time feat", packed=True)(items)
    assert isinstance(packed, PackedSequence)
    lstm = nn.LSTM(3, 5, batch_first=True)
    _, (h, _) = lstm(packed)
    for i, (x, _) in enumerate(items):  # each sequence's final state, unpadded, in order
        _, (alone, _) = lstm(x[None])
        torch.testing.assert_close(h[0, i], alone[0, 0])


def test_empty_sequences_wrong_rank_and_non_arrays_are_named() -> None:
    collate = sct.pad_collate("batch time feat")
    err = _raised(lambda: collate([torch.randn(4, 3), torch.randn(0, 3)]))
    assert (err.argument, err.actual) == ("sample[1]", 0)
    assert "empty sequence" in str(err)
    err = _raised(lambda: collate([torch.randn(4, 3), torch.randn(4)]))
    assert (err.kind, err.argument) == ("rank", "sample[1]")
    err = _raised(lambda: collate([torch.randn(4, 3), [1.0, 2.0]]))
    assert (err.kind, err.argument) == ("type", "sample[1]")


def test_fixed_time_sizes_hold_for_every_sample() -> None:
    with dims(time=5):
        err = _raised(lambda: sct.pad_collate("batch time feat")(
            [torch.randn(5, 3), torch.randn(4, 3)]))
    assert (err.argument, err.axis, err.expected, err.actual) == ("sample[1]", "time", 5, 4)


def test_labels_of_different_shapes_are_refused() -> None:
    samples = [(torch.randn(4, 3), torch.zeros(1)), (torch.randn(5, 3), torch.zeros(2))]
    with pytest.raises(ValueError, match=r"labels differ in shape: .*sample\[1\]\[1\]"):
        sct.pad_collate("batch time feat")(samples)


def test_bad_pad_collate_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r'is one sequence; .* write "batch time feat"'):
        sct.pad_collate("time feat")
    with pytest.raises(ValueError, match="'feta' is not a name"):
        sct.pad_collate("batch time feat", feta=3)
    with pytest.raises(TypeError, match="padding_value must be a number"):
        sct.pad_collate("batch time feat", "0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"dtype must be a torch\.dtype"):
        sct.pad_collate("batch time feat", dtype="float32")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"sample\[0\] is a builtins.dict"):
        sct.pad_collate("batch time feat")([{"x": torch.randn(3, 3)}])
    with pytest.raises(TypeError, match="non-empty list of samples"):
        sct.pad_collate("batch time feat")([])


def test_pad_collate_pickles_for_worker_processes() -> None:
    collate = sct.pad_collate(Float[Array, "batch time feat"], 0.5, feat=3)
    clone = pickle.loads(pickle.dumps(collate))
    assert repr(clone) == repr(collate) == \
        'pad_collate("batch time feat", 0.5, lengths=True, packed=False, feat=3)'
    x, _, lengths = clone(Recordings().items[:2])
    assert x.shape == (2, 9, 3) and lengths.tolist() == [5, 9]


def test_a_worker_process_reports_the_sample() -> None:
    loader = DataLoader(Recordings(odd=3), batch_size=8, num_workers=1,
                        collate_fn=sct.pad_collate("batch time feat"))
    # torch re-raises a worker's error as exc_type(message): the type and the text survive.
    with pytest.raises(ShapeContractError,
                       match=r"sample\[3\]\[0\].*axis 1 'feat'") as info:
        next(iter(loader))
    assert "Caught ShapeContractError in DataLoader worker process 0" in str(info.value)


# -- pack: lengths torch does not check --------------------------------------------------------


def test_torch_packs_lengths_longer_than_the_padding_and_fails_far_away() -> None:
    x = torch.randn(3, 4, 6)
    packed = pack_padded_sequence(x, torch.tensor([4, 9, 1]), batch_first=True,
                                  enforce_sorted=False)  # accepted without a word
    assert packed.data.shape[0] == 9  # not the 4 + 4 + 1 real steps
    with pytest.raises(RuntimeError):
        nn.LSTM(6, 8, batch_first=True)(packed)


def test_pack_names_the_first_length_that_does_not_fit() -> None:
    x = torch.randn(3, 4, 6)
    err = _raised(lambda: sct.pack(x, torch.tensor([4, 9, 1]), "batch time feat"))
    assert (err.function, err.argument, err.expected, err.actual) == ("pack", "lengths",
                                                                      "1 to 4", 9)
    assert "lengths[1] is 9, but x has only 4 steps" in str(err)
    err = _raised(lambda: sct.pack(x, [4, 0, 1], "batch time feat"))
    assert "lengths[1] is 0" in str(err)


def test_pack_checks_x_and_the_number_of_lengths() -> None:
    x = torch.randn(3, 4, 6)
    err = _raised(lambda: sct.pack(x, [4, 2], "batch time feat"))
    assert (err.argument, err.axis, err.expected, err.actual) == ("lengths", "batch", 3, 2)
    err = _raised(lambda: sct.pack(x, [4, 2, 1], "batch time feat", feat=5))
    assert (err.argument, err.axis) == ("x", "feat")
    err = _raised(lambda: sct.pack(x, torch.tensor([4.0, 2.0, 1.0]), "batch time feat"))
    assert (err.kind, err.hint) == ("dtype", "lengths.long()")
    with pytest.raises(TypeError, match="lengths must be a 1-D integer tensor"):
        sct.pack(x, ["a"], "batch time feat")
    with pytest.raises(TypeError, match=r"x must be a torch\.Tensor"):
        sct.pack(x.numpy(), [4, 2, 1], "batch time feat")


def test_pack_time_major_matches_torch() -> None:
    x = torch.randn(4, 3, 6)
    ours = sct.pack(x, [4, 2, 3], "time batch feat")
    theirs = pack_padded_sequence(x, torch.tensor([4, 2, 3]), enforce_sorted=False)
    torch.testing.assert_close(ours.data, theirs.data)
    assert ours.batch_sizes.tolist() == theirs.batch_sizes.tolist()


# -- the whole loop ---------------------------------------------------------------------------


def test_a_checked_loader_packs_into_an_lstm_that_trains() -> None:
    torch.manual_seed(0)
    contract = Float[Array, "batch time feat"]
    lstm = sct.LSTM(contract, 16, feat=3)
    head = nn.Linear(16, 1)
    sct.guard(lstm)
    loader = DataLoader(Recordings(), batch_size=8, shuffle=True,
                        collate_fn=sct.pad_collate(contract, feat=3))
    opt = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=0.02)
    epoch_losses = []
    for _ in range(8):
        total = 0.0
        for x, y, lengths in loader:
            packed = sct.pack(x, lengths, contract)
            _, (h, _) = lstm(packed)
            loss = nn.functional.mse_loss(head(h[-1]), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        epoch_losses.append(total)
    assert epoch_losses[-1] < epoch_losses[0] * 0.8


def test_a_batch_of_alike_samples_is_checked_by_its_first_yet_any_odd_one_is_named() -> None:
    # Samples with sample 0's type, dtype and sizes (lengths aside) skip the full check; each
    # kind of difference must still reach it and be named.
    collate = sct.pad_collate(Float32[Array, "batch time feat"])
    alike = [torch.randn(n, 6) for n in (4, 9, 2, 7, 5)]
    x, lengths = collate(alike)
    assert x.shape == (5, 9, 6) and lengths.tolist() == [4, 9, 2, 7, 5]
    odd_ones = {"size": torch.randn(3, 7), "dtype": torch.randn(3, 6, dtype=torch.float64),
                "rank": torch.randn(3, 6, 1)}
    for kind, odd in odd_ones.items():
        err = _raised(lambda odd=odd: collate([*alike, odd]))
        assert (err.kind, err.argument) == (kind, "sample[5]"), str(err)
    err = _raised(lambda: collate([*alike, torch.randn(0, 6)]))
    assert (err.argument, err.actual) == ("sample[5]", 0)
    with dims(time=4):
        err = _raised(lambda: collate(alike))
    assert (err.argument, err.axis, err.expected, err.actual) == ("sample[1]", "time", 4, 9)

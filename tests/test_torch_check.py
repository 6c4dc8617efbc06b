"""``@check`` in PyTorch training code: on ``nn.Module.forward`` and inside ``torch.compile``.

What happens inside ``torch.compile`` today: dynamo graph-breaks where the checked wrapper
reads the current ``dims()`` scope (a ContextVar, which it cannot trace), then traces the
rest of the check on the fake tensors' shapes. A shape that breaks the contract makes dynamo
recompile, the check runs again and raises ShapeContractError, as in eager code; under
dynamic shapes the failing check's message is built eagerly, outside dynamo. ``fullgraph=True``
is not supported, and dynamo's error says so.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from shapecontract import Array, Float, ShapeContractError, check, dims  # noqa: E402


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(6, 16, batch_first=True)
        self.head = nn.Linear(16, 1)

    @check
    def forward(self, x: Float[Array, "batch time 6"]) -> Float[Array, "batch 1"]:
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


@check
def scale(x: Float[Array, "batch time feat"], w: Float[Array, "batch 1"]
          ) -> Float[Array, "batch time feat"]:
    return x * w[:, :, None]


def _raised(call: object) -> ShapeContractError:
    with pytest.raises(ShapeContractError) as info:
        call()  # type: ignore[operator]
    return info.value


@pytest.fixture(autouse=True)
def _fresh_dynamo() -> None:
    torch._dynamo.reset()


def test_checked_forward_trains_eagerly_and_refuses_a_wrong_input() -> None:
    torch.manual_seed(0)
    model = Encoder()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = torch.randn(16, 10, 6), torch.randn(16, 1)
    losses = []
    for _ in range(15):
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    err = _raised(lambda: model(torch.randn(16, 10, 7)))
    assert (err.function, err.argument, err.axis_index, err.expected, err.actual) == (
        "Encoder.forward", "x", 2, 6, 7)


def test_checked_forward_inside_torch_compile() -> None:
    torch.manual_seed(0)
    model = Encoder()
    compiled = torch.compile(model, backend="eager")
    out = compiled(torch.randn(4, 10, 6))
    assert out.shape == (4, 1)
    out.sum().backward()
    assert model.head.weight.grad is not None
    assert compiled(torch.randn(3, 7, 6)).shape == (3, 1)  # new sizes: a recompile, checked
    err = _raised(lambda: compiled(torch.randn(4, 10, 7)))
    assert (err.function, err.argument, err.expected, err.actual) == ("Encoder.forward", "x", 6, 7)


def test_checked_function_called_inside_compiled_code() -> None:
    def step(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return scale(x.relu(), w).sum(dim=1)

    compiled = torch.compile(step, backend="eager")
    assert compiled(torch.randn(2, 3, 4), torch.randn(2, 1)).shape == (2, 4)
    err = _raised(lambda: compiled(torch.randn(2, 3, 4), torch.randn(5, 1)))
    assert (err.function, err.argument, err.axis, err.expected, err.actual) == (
        "scale", "w", "batch", 2, 5)


@check
def pooled(x: Float[Array, "batch time feat"]) -> Float[Array, "batch feat"]:
    return x.mean(dim=2)  # the wrong axis: (batch, time)


def test_a_return_contract_is_checked_inside_compiled_code() -> None:
    compiled = torch.compile(lambda x: pooled(x) * 2, backend="eager")
    err = _raised(lambda: compiled(torch.randn(2, 3, 4)))
    assert (err.function, err.argument, err.expected, err.actual) == ("pooled", "return", 4, 3)


def test_a_dims_block_holds_inside_compiled_code() -> None:
    compiled = torch.compile(scale, backend="eager")
    with dims(batch=2):
        compiled(torch.randn(2, 3, 4), torch.randn(2, 1))
        err = _raised(lambda: compiled(torch.randn(3, 3, 4), torch.randn(3, 1)))
    assert err.origin is not None and err.origin.startswith("dims(batch=2)")
    compiled(torch.randn(3, 3, 4), torch.randn(3, 1))  # outside the block, 3 is fine
    with dims(batch=2):  # and the graph compiled for 3 does not skip the block's check
        _raised(lambda: compiled(torch.randn(3, 3, 4), torch.randn(3, 1)))


@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated")
def test_default_inductor_backend() -> None:
    compiled = torch.compile(scale)
    assert compiled(torch.randn(2, 3, 4), torch.randn(2, 1)).shape == (2, 3, 4)
    err = _raised(lambda: compiled(torch.randn(2, 3, 4), torch.randn(3, 1)))
    assert (err.argument, err.expected, err.actual) == ("w", 2, 3)


def test_a_failing_check_under_dynamic_shapes_raises_shapecontracterror() -> None:
    compiled = torch.compile(scale, backend="eager", dynamic=True)
    compiled(torch.randn(2, 3, 4), torch.randn(2, 1))
    _raised(lambda: compiled(torch.randn(6, 3, 4), torch.randn(7, 1)))


def test_fullgraph_stops_at_the_check_and_says_why() -> None:
    # Not supported, and said so: dynamo's own error quotes the wrapper's line, which names
    # the dims() read and what to do instead.
    def step(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return scale(x, w) + 1

    compiled = torch.compile(step, backend="eager", fullgraph=True)
    with pytest.raises(Exception, match="ContextVar") as info:
        compiled(torch.randn(2, 3, 4), torch.randn(2, 1))
    assert "@check reads the dims() block" in str(info.value)
    assert "call checked functions outside fullgraph regions" in str(info.value)


def test_meta_tensors_pass_through_a_checked_forward_without_data() -> None:
    model = Encoder().to("meta")
    assert model(torch.empty(4, 10, 6, device="meta")).shape == (4, 1)
    err = _raised(lambda: model(torch.empty(4, 10, 5, device="meta")))
    assert err.value == "float32[4, 10, 5] (torch, meta)"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_float_array_matches_cuda_tensors_without_moving_them() -> None:
    x = torch.randn(2, 3, 4, device="cuda")
    w = torch.randn(2, 1, device="cuda")
    torch.cuda.set_sync_debug_mode("error")
    try:
        out = scale(x, w)
        assert out.device == x.device
        err = _raised(lambda: scale(x, torch.randn(3, 1, device="cuda")))
        assert err.value == "float32[3, 1] (torch, cuda:0)"
    finally:
        torch.cuda.set_sync_debug_mode("default")

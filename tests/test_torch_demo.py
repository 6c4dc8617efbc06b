"""The PyTorch side of ``shapecontract demo``: torch says nothing (or something far away),
shapecontract raises at the boundary."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from shapecontract._demo import run_comparison
from shapecontract.torch._demo import COMPARISONS

SILENT = {"6", "7"}


def test_rows_six_to_ten_in_order() -> None:
    assert [c.title.split(".")[0] for c in COMPARISONS] == ["6", "7", "8", "9", "10"]
    assert {c.framework for c in COMPARISONS} == {"PyTorch"}


@pytest.mark.parametrize("comparison", COMPARISONS, ids=lambda c: c.title.split(".")[0])
def test_each_comparison(comparison: object) -> None:
    outcome = run_comparison(comparison)  # type: ignore[arg-type]
    row = comparison.title.split(".")[0]  # type: ignore[attr-defined]
    assert outcome.framework_raised is (row not in SILENT), outcome.framework_said
    assert outcome.error is not None
    if row == "6":
        assert "batch_first=True" in (outcome.error.hint or "")
        assert "32 time steps" in outcome.framework_said
    if row == "7":
        assert "unsqueeze" in (outcome.error.hint or "")
    if row == "9":
        assert "mat1 and mat2" in outcome.framework_said
        assert outcome.error.argument == "input.data"
    if row == "10":
        assert "stack expects" in outcome.framework_said
        assert outcome.error.argument == "sample[3]"


def test_the_cli_lists_the_torch_demo() -> None:
    from shapecontract._cli_demo import FRAMEWORKS

    assert FRAMEWORKS["torch"].demo == "shapecontract.torch._demo"

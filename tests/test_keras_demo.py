"""The Keras side of ``shapecontract demo``: Keras says nothing (or something late and far
away), shapecontract raises at the boundary. Every row of framework-behaviour.md that is
Keras's (1, 1b, 2, 2b, 3, 4, 5, 11, 12, 13) is run for real."""

from __future__ import annotations

import pytest

pytest.importorskip("keras")

from shapecontract._demo import Comparison, run_comparison
from shapecontract.keras._demo import COMPARISONS

SILENT = {"4", "11", "12", "13"}


def row(comparison: Comparison) -> str:
    return comparison.title.split(".")[0]


def test_every_keras_row_in_order() -> None:
    assert [row(c) for c in COMPARISONS] == ["1", "1b", "2", "2b", "3", "4", "5", "11", "12",
                                             "13"]
    assert {c.framework for c in COMPARISONS} == {"Keras"}


@pytest.mark.parametrize("comparison", COMPARISONS, ids=row)
def test_each_comparison(comparison: Comparison) -> None:
    outcome = run_comparison(comparison)
    assert outcome.framework_raised is (row(comparison) not in SILENT), outcome.framework_said
    assert outcome.error is not None
    assert outcome.error.function == "preflight"


def test_1b_flat_labels_too_keras_fails_on_a_sliced_batch_preflight_on_the_rank() -> None:
    outcome = run_comparison(COMPARISONS[1])
    said = outcome.framework_said
    assert "Invalid input shape" in said and "incompatible shape (32, 3)" in said
    assert outcome.error is not None
    assert (outcome.error.argument, outcome.error.kind) == ("x", "rank")
    assert outcome.error.actual == 2


def test_2b_generator_batches_fail_inside_fit_preflight_says_pad() -> None:
    outcome = run_comparison(COMPARISONS[3])
    said = outcome.framework_said
    assert said.startswith("InvalidArgumentError: ")
    assert "Cannot batch tensors with different shapes in component 0" in said
    # The Python stack TensorFlow quotes in a graph error is not part of what it says.
    assert 'File "' not in said
    assert outcome.error is not None
    assert 'pad_sequences(x, maxlen=1440, dtype="float32"' in (outcome.error.hint or "")
    # Keras spoke once fit had built its iterator; preflight before anything ran.
    assert outcome.seconds < outcome.framework_seconds

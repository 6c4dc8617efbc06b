"""The seed article's three mistakes, caught at the function that made them.

Each scenario is a small preprocessing pipeline for 100 machines x 1440 minutes x 3 sensors,
written as a data scientist would, with one mistake in it. The functions carry contracts;
the demo runs each pipeline and returns what shapecontract says at the boundary.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import Array, Float, Int, ShapeContractError, check, dims
from ._quiet import native_stderr_silenced, quiet

MACHINES, STEPS, SENSORS, SITES = 100, 1440, 3, 3


@check
def to_model_input(readings: Float[Array, "machines steps sensors"]
                   ) -> Float[Array, "machines steps sensors"]:
    """Scale each sensor to [0, 1] over the whole fleet."""
    low = readings.min(axis=(0, 1), keepdims=True)
    high = readings.max(axis=(0, 1), keepdims=True)
    return (readings - low) / (high - low + 1e-9)


@check
def one_hot_sites(site: Int[Array, "machines 1"], num_classes: int
                  ) -> Float[Array, "machines sites"]:
    """One-hot encode the facility each machine stands in."""
    return np.eye(num_classes, dtype=np.float32)[site[:, 0]]


@check
def add_site_features(sensors: Float[Array, "machines steps sensors"],
                      sites: Float[Array, "machines sites"]
                      ) -> Float[Array, "machines steps sensors+sites"]:
    """Repeat each machine's one-hot site along time and append it to its sensors."""
    steps = sensors.shape[1]
    repeated = np.repeat(sites[:, None, :], steps, axis=1)
    return np.concatenate([sensors, repeated], axis=2)


def flattened_readings() -> None:
    """Example 1: the export is (100*1440, 3), one row per machine-minute."""
    rng = np.random.default_rng(0)
    readings = rng.random((MACHINES * STEPS, SENSORS))
    with dims(steps=STEPS, sensors=SENSORS):
        to_model_input(readings)


def ragged_sequences() -> None:
    """Example 2: machines logged for different lengths of time; the list goes in as is."""
    rng = np.random.default_rng(1)
    sequences = [rng.random((int(rng.integers(1200, 1440)), SENSORS)) for _ in range(MACHINES)]
    with dims(steps=STEPS, sensors=SENSORS):
        to_model_input(sequences)


def four_facilities() -> None:
    """Example 3: three facilities, but the one-hot encoder is told there are four."""
    rng = np.random.default_rng(2)
    sensors = rng.random((MACHINES, STEPS, SENSORS))
    location = rng.integers(0, SITES, size=(MACHINES, 1))
    with dims(steps=STEPS, sensors=SENSORS, sites=SITES):
        sites = one_hot_sites(location, num_classes=4)
        add_site_features(sensors, sites)


@dataclass(frozen=True)
class Scenario:
    title: str
    mistake: str
    run: Callable[[], None]


SCENARIOS = (
    Scenario("1. Flattened sensor array",
             "readings exported as (100*1440, 3) instead of (100, 1440, 3)", flattened_readings),
    Scenario("2. Sequences of different lengths",
             "a list of 100 sequences of 1200-1439 steps passed where one array was meant",
             ragged_sequences),
    Scenario("3. One-hot with the wrong number of classes",
             "num_classes=4 for 3 facilities, so 7 features reach a model built for 6",
             four_facilities),
)


def run_scenario(scenario: Scenario) -> ShapeContractError | None:
    """Run one scenario; the error shapecontract raised, or None if nothing was caught."""
    try:
        scenario.run()
    except ShapeContractError as error:
        return error
    return None


# -- the framework side: what Keras or PyTorch says about the same mistake -----------------------


@dataclass(frozen=True)
class Comparison:
    """One mistake run twice: as the user wrote it, and through shapecontract.

    ``prepare`` builds the model and the data (not timed); ``framework`` does what the user
    did with them and returns what happened when the framework raised nothing; ``caught`` runs
    the same data through shapecontract, which must raise ShapeContractError.
    """

    framework: str
    title: str
    mistake: str
    prepare: Callable[[], Any]
    run_framework: Callable[[Any], str]
    caught: Callable[[Any], None]


@dataclass(frozen=True)
class Outcome:
    framework_said: str
    framework_raised: bool
    framework_seconds: float
    error: ShapeContractError | None
    seconds: float


def run_comparison(comparison: Comparison) -> Outcome:
    with native_stderr_silenced():
        state = comparison.prepare()
    # What the framework says is its error; its warnings and native log lines would land in
    # the middle of the demo's output.
    with quiet():
        start = time.perf_counter()
        try:
            said = comparison.run_framework(state)
            raised = False
        except Exception as exc:  # the framework's own error, whatever its type, is the point
            said = exception_summary(exc)
            raised = True
        framework_seconds = time.perf_counter() - start
    start = time.perf_counter()
    error: ShapeContractError | None = None
    try:
        comparison.caught(state)
    except ShapeContractError as exc:
        error = exc
    return Outcome(said, raised, framework_seconds, error, time.perf_counter() - start)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# TensorFlow's graph errors quote the Python stack that built the failing node, one "File"
# line per frame, before the error itself; the stack is the traceback's business.
_GRAPH_STACK = re.compile(r" defined at \(most recent call last\):\n(?:\s*File \".*\n)*")


def exception_summary(exc: BaseException, limit: int = 400) -> str:
    """An exception as a user sees it at the bottom of the traceback: type and first lines."""
    text = _ANSI.sub("", str(exc))  # Keras bolds its messages for terminals
    text = _GRAPH_STACK.sub(":\n", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = " ".join(lines)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{type(exc).__name__}: {text}"

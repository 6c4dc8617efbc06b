"""Each benchmark script, run with ``--quick`` as a user would: it exits 0, prints its
markdown tables with the expected columns, keeps TensorFlow's start-up lines out of its
output, and writes a JSON file with the expected keys. No time is asserted."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
CHECKERS = ["no checking", "beartype alone", "jaxtyping + beartype", "check_shapes",
            "shapecontract", "shapecontract disabled", "ratio"]
# Each script's tables, as the column names of each header row, in order.
TABLES = {
    "overhead": [["framework", *CHECKERS], ["framework", "arrays", *CHECKERS]],
    "time_to_error": [["framework", "mistake", "framework raises after",
                       "shapecontract raises after", "framework's error"]],
    "import_time": [["statement", "median", "min", "runs", "frameworks in sys.modules"]],
    "loader": [["batch", "collate, unchecked", "pad_collate", "guard",
                "LSTM forward + backward", "pad_collate / step", "pad_collate's check / step",
                "guard / step"]],
}
# What TensorFlow's C++ start-up writes to fd 2 when nothing silences it.
NATIVE_NOISE = ("oneDNN custom operations", "absl::InitializeLog", "cpu_feature_guard")


def run_quick(name: str, json_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the scripts must keep TensorFlow quiet themselves
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / f"{name}.py"), "--quick", "--json", str(json_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )


def table_headers(text: str) -> list[list[str]]:
    """The header row of each markdown table: the row just above a |---| rule."""
    lines = text.splitlines()
    headers = []
    for line, rule in itertools.pairwise(lines):
        if line.startswith("| ") and rule.startswith("| ---"):
            headers.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return headers


def table_rows(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.startswith("| ")) - 2 * len(
        table_headers(text))


Run = tuple[subprocess.CompletedProcess[str], dict[str, Any]]


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Run]:
    """Runs a script once per test module, however many tests look at it."""
    done: dict[str, Run] = {}

    def run(name: str) -> Run:
        if name not in done:
            json_path = tmp_path_factory.mktemp(name) / f"{name}.json"
            result = run_quick(name, json_path)
            assert result.returncode == 0, \
                f"{name}.py --quick failed:\n{result.stdout}\n{result.stderr}"
            done[name] = (result, json.loads(json_path.read_text()))
        return done[name]

    return run


@pytest.mark.parametrize("name", sorted(TABLES))
def test_prints_its_tables(quick: Callable[[str], Run], name: str) -> None:
    result, _ = quick(name)
    assert table_headers(result.stdout) == TABLES[name]
    assert table_rows(result.stdout) > 0


@pytest.mark.parametrize("name", sorted(TABLES))
def test_keeps_native_start_up_lines_out(quick: Callable[[str], Run], name: str) -> None:
    result, _ = quick(name)
    for noise in NATIVE_NOISE:
        assert noise not in result.stdout
        assert noise not in result.stderr


@pytest.mark.parametrize("name", sorted(TABLES))
def test_writes_machine_and_settings(quick: Callable[[str], Run], name: str) -> None:
    _, data = quick(name)
    assert data["benchmark"] == name
    assert {"benchmark", "date", "machine", "settings", "results"} <= data.keys()
    assert {"cpu", "cpus", "arch", "python", "versions", "date"} <= data["machine"].keys()
    assert data["machine"]["versions"]["shapecontract"] != "not installed"


def test_overhead_results(quick: Callable[[str], Run]) -> None:
    results = quick("overhead")[1]["results"]
    frameworks = {"numpy", "torch", "tensorflow"}
    assert set(results["two_arrays"]) == frameworks
    for row in results["two_arrays"].values():
        assert set(row) == set(CHECKERS)
    for by_count in results["per_array_count"].values():
        assert sorted(by_count, key=int) == [str(n) for n in range(1, 9)]
    assert set(results["per_extra_array"]) == frameworks


def test_time_to_error_takes_every_comparison(quick: Callable[[str], Run]) -> None:
    from shapecontract.keras._demo import COMPARISONS as KERAS
    from shapecontract.torch._demo import COMPARISONS as TORCH

    rows = quick("time_to_error")[1]["results"]
    assert [r["title"] for r in rows] == [c.title for c in (*KERAS, *TORCH)]
    for row in rows:
        assert {"framework", "mistake", "framework_raised", "framework_said",
                "framework_seconds", "shapecontract_seconds"} <= row.keys()
        assert row["shapecontract_raised"] is True
        assert {"median", "min", "runs"} <= row["framework_seconds"].keys()


def test_import_time_proves_no_framework_is_imported(quick: Callable[[str], Run]) -> None:
    result, data = quick("import_time")
    imports = data["results"]["imports"]
    assert data["results"]["no_framework_imported"] is True
    for statement in ("import shapecontract", "import shapecontract.keras",
                      "import shapecontract.torch"):
        assert imports[statement]["frameworks_imported"] == []
    assert {"median", "min", "runs"} <= imports["import jaxtyping, beartype"].keys()
    assert "No framework" in result.stdout


def test_loader_results(quick: Callable[[str], Run]) -> None:
    results = quick("loader")[1]["results"]
    assert results
    for row in results.values():
        assert set(TABLES["loader"][0][1:]) <= row.keys()

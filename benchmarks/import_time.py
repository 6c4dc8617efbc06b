"""Import time of shapecontract against jaxtyping + beartype; no framework imported.

    python benchmarks/import_time.py [--quick] [--json PATH]

Each measurement runs in a fresh interpreter, which times its one import statement with
``time.perf_counter`` (interpreter start-up is not counted) and reports ``sys.modules``
afterwards. One untimed run per statement first writes any missing bytecode caches; then 9
timed runs give the median and the minimum (``--quick``: 2 timed runs, no untimed one).
``import torch`` and ``import tensorflow`` are timed too, for scale. The script exits 1 if
``import shapecontract``, ``import shapecontract.keras`` or ``import shapecontract.torch``
leaves tensorflow, keras, torch, jax or jaxlib in ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import _measure

NAME = "import_time"
PACKAGES = ("shapecontract", "jaxtyping", "beartype", "numpy", "torch", "tensorflow")
FRAMEWORKS = ("tensorflow", "keras", "torch", "jax", "jaxlib")
HEADER = ("statement", "median", "min", "runs", "frameworks in sys.modules")


@dataclass(frozen=True)
class Statement:
    code: str
    framework_free: bool  # True: importing a framework here is a failure, not a fact


STATEMENTS = (
    Statement("import shapecontract", True),
    Statement("import shapecontract.keras", True),
    Statement("import shapecontract.torch", True),
    Statement("import jaxtyping, beartype", False),
    Statement("import torch", False),
    Statement("import tensorflow", False),
)

# Runs in the child: the import, timed alone, and what it left in sys.modules.
_CHILD = """\
import json, sys, time
start = time.perf_counter()
{code}
took = time.perf_counter() - start
json.dump({{"seconds": took, "modules": sorted(sys.modules)}}, sys.stdout)
"""


def import_once(code: str) -> dict[str, Any]:
    """One fresh interpreter's import: seconds taken and the modules then loaded."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", _CHILD.format(code=code)], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{code!r} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def frameworks_in(modules: list[str]) -> list[str]:
    roots = {name.split(".", 1)[0] for name in modules}
    return [f for f in FRAMEWORKS if f in roots]


def measure(statement: Statement, repeat: int, warm_up: bool) -> dict[str, Any]:
    if warm_up:
        import_once(statement.code)  # untimed: writes bytecode caches a first run might lack
    runs = [import_once(statement.code) for _ in range(repeat)]
    seconds = [run["seconds"] for run in runs]
    loaded = sorted({f for run in runs for f in frameworks_in(run["modules"])})
    return {"median": statistics.median(seconds), "min": min(seconds), "runs": seconds,
            "frameworks_imported": loaded,
            "third_party_modules": third_party(runs[0]["modules"])}


def third_party(modules: list[str]) -> list[str]:
    """The top-level packages loaded that are not Python's own."""
    roots = {name.split(".", 1)[0] for name in modules}
    return sorted(r for r in roots if r not in sys.stdlib_module_names
                  and not r.startswith("_"))


def table(results: dict[str, dict[str, Any]]) -> str:
    rows = [[f"`{code}`", _measure.duration(r["median"]), _measure.duration(r["min"]),
             str(len(r["runs"])), ", ".join(r["frameworks_imported"]) or "none"]
            for code, r in results.items()]
    return _measure.markdown_table(HEADER, rows, "lrrrl")


def main() -> int:
    args = _measure.arguments(__doc__.splitlines()[0] if __doc__ else NAME,
                              "2 timed runs per statement, not 1 untimed and 9 timed")
    repeat = 2 if args.quick else 9
    info = _measure.machine(PACKAGES)
    results = {s.code: measure(s, repeat, warm_up=not args.quick) for s in STATEMENTS}

    print(f"Import time in a fresh interpreter, median and minimum of {repeat} runs; "
          f"{_measure.describe(info)}\n")
    print(table(results))
    leaks = {s.code: results[s.code]["frameworks_imported"] for s in STATEMENTS
             if s.framework_free and results[s.code]["frameworks_imported"]}
    settings = {"unit": "seconds", "repeat": repeat, "untimed_first_run": not args.quick,
                "frameworks_checked": list(FRAMEWORKS)}
    payload = {"imports": results, "no_framework_imported": not leaks}
    path = _measure.write_json(NAME, args.json, info, settings, payload)
    print(f"\nResults: {path}", file=sys.stderr)
    if leaks:
        print(f"frameworks imported where none may be: {leaks}", file=sys.stderr)
        return 1
    print("\nNo framework (" + ", ".join(FRAMEWORKS) + ") is in sys.modules after `import "
          "shapecontract`, `import shapecontract.keras` or `import shapecontract.torch`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The documentation's examples run, and print what the pages say they print.

Every ```python block of every page under docs/ runs (the blocks of a page in order, in one
namespace, in a fresh working directory); a block followed by a ```text block must print
exactly that text, so every error message the docs show is the library's real message, and
every framework error they quote is what the installed Keras or torch says today. See
``docs_examples.py`` for the rules. Also checked here: the API reference documents every
public name, and the mkdocs nav lists every page.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from docs_examples import (
    DOCS,
    ROOT,
    console_commands,
    examples,
    fenced_blocks,
    normalise,
    pages,
    run_page,
)

import shapecontract
import shapecontract.docs
import shapecontract.keras
import shapecontract.torch
from shapecontract import ShapeContractError, dims
from shapecontract._markers import MARKER_NAMES

PAGES = list(pages())


def _fresh_frameworks() -> None:
    """Keras names models and layers from a process-wide counter (``sequential_3``): start
    each page from zero, as a reader's fresh session would."""
    keras = sys.modules.get("keras")
    if keras is not None:
        keras.backend.clear_session()


@pytest.mark.parametrize("path", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_page_examples_print_what_the_page_shows(path: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that save a model or an array save it here
    _fresh_frameworks()
    mismatches = run_page(path)
    assert not mismatches, "\n\n".join(map(str, mismatches))


def test_pages_have_examples_where_they_teach() -> None:
    guides = ["index.md", "grammar.md", "check-and-dims.md", "keras.md", "torch.md",
              "data.md", "troubleshooting.md"]
    for name in guides:
        assert examples((DOCS / name).read_text(encoding="utf-8")), f"{name}: no python example"


def test_text_blocks_follow_what_prints_them() -> None:
    """A ```text block right after a python block is its output; anywhere else it must say
    what it shows (the sentence before it), so it is never mistaken for tested output."""
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        blocks = fenced_blocks(text)
        tested = {b.output_line for b in examples(text)}
        for k, block in enumerate(blocks):
            if block.lang == "text" and block.line not in tested:
                before = blocks[k - 1].lang if k else None
                assert before != "python", (
                    f"{path.relative_to(ROOT)}:{block.line}: a text block after a python "
                    f"block, with prose between: put the output right after the code")


# -- the harness itself ---------------------------------------------------------------------------


def test_harness_pairs_code_with_its_output_and_only_that() -> None:
    page = "\n".join([
        "```python", "print('a')", "```", "", "```text", "a", "```",
        "", "```python", "x = 1", "```", "Prose.", "```text", "not output", "```",
        "    ```python", "    print(x)", "    ```", "    ```text", "    1", "    ```",
        "```bash", "echo no", "```",
    ])
    found = examples(page)
    assert [(b.line, b.output, b.output_line) for b in found] == [
        (2, "a\n", 6), (10, None, None), (17, "1\n", 20)]


def test_harness_reports_wrong_output_unshown_output_and_failing_commands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    page = tmp_path / "page.md"
    page.write_text("\n".join([
        "```python", "print('right')", "```", "```text", "right", "```",
        "```python", "print('wrong')", "```", "```text", "expected", "```",
        "```python", "print('unshown')", "```", "Prose.",
        "```console", "$ echo hello; exit 3", "hello", "$ echo $?", "0", "```",
    ]), encoding="utf-8")
    found = [(m.line, m.expected, m.actual) for m in run_page(page)]
    assert found == [(8, "expected", "wrong"), (14, None, "unshown"), (20, "0", "3")]
    page.write_text("```python\nraise KeyError('boom')\n```\n", encoding="utf-8")
    with pytest.raises(KeyError, match="boom"):
        run_page(page)
    # A block may end by raising, as a script does, where its output shows the exception.
    page.write_text("\n".join([
        "```python", "print('first')", "raise ValueError('shown')", "```",
        "```text", "first", "ValueError: shown", "```",
        "```python", "raise ValueError('other')", "```",
        "```text", "ValueError: shown", "```",
    ]), encoding="utf-8")
    assert [(m.line, m.actual) for m in run_page(page)] == [(10, "ValueError: other")]
    page.write_text("```python\nraise KeyError('unshown')\n```\n```text\nValueError: x\n```\n",
                    encoding="utf-8")
    with pytest.raises(KeyError, match="unshown"):
        run_page(page)


def test_harness_normalises_only_what_varies() -> None:
    assert normalise("\n<object at 0x7f3a2b>  \n\x1b[1mbold\x1b[0m\n\n") == \
        "<object at 0x...>\nbold"
    assert normalise("after 12.5 ms, imported in 1.08 s") == \
        "after <duration>, imported in <duration>"
    assert normalise("1440 steps of 3 s, 0.5 of them") == "1440 steps of 3 s, 0.5 of them"


def test_harness_reads_console_sessions() -> None:
    session = "$ shapecontract check m.keras x.npy\nfits\n  x ok\n$ echo $?\n0\n"
    assert console_commands(session) == [
        (0, "shapecontract check m.keras x.npy", "fits\n  x ok"), (3, "echo $?", "0")]


# -- the API reference and the nav ----------------------------------------------------------------

_DIRECTIVE = re.compile(r"^:::\s+(\S+)", re.MULTILINE)


def _documented() -> set[str]:
    return {m for p in (DOCS / "api").glob("*.md")
            for m in _DIRECTIVE.findall(p.read_text(encoding="utf-8"))}


def _markers_table() -> dict[str, str]:
    """The dtype markers' table on the core API page: marker -> its "accepts" cell."""
    text = (DOCS / "api" / "core.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `(\w+)` \| (.*?) \|$", text, re.MULTILINE))


def test_api_reference_documents_every_public_name() -> None:
    documented = _documented()
    markers = set(_markers_table())
    for module in (shapecontract, shapecontract.keras, shapecontract.torch, shapecontract.docs):
        assert module.__name__ in documented, f"{module.__name__} is missing from docs/api/"
        for name in module.__all__:
            qualified = f"{module.__name__}.{name}"
            if module is shapecontract and name in markers:
                continue
            assert qualified in documented, f"{qualified} is missing from docs/api/"


def test_markers_table_lists_every_marker_with_the_dtypes_it_accepts() -> None:
    """The table names dtypes, other markers ("every dtype of `Int` and `UInt`") and "the
    narrow 8- and 4-bit floats" (listed under the table); together they must be exactly
    what the marker accepts."""
    text = (DOCS / "api" / "core.md").read_text(encoding="utf-8")
    narrow_floats = set(re.findall(r"`(\w+)`", text[text.index("The narrow 8- and 4-bit"):]))
    table = _markers_table()
    assert sorted(table) == sorted(MARKER_NAMES)

    def accepted(name: str) -> set[str]:
        cell = table[name]
        found = set()
        for token in re.findall(r"`(\w+)`", cell):
            found |= accepted(token) if token in table else {token}
        if "narrow 8- and 4-bit floats" in cell:
            found |= narrow_floats
        return found

    assert table["Shaped"] == "any dtype"
    for name in MARKER_NAMES:
        if name != "Shaped":
            assert accepted(name) == set(getattr(shapecontract, name).dtypes), name


def test_the_example_module_of_the_api_reference_runs() -> None:
    """docs/examples/sensor_pipeline.py, which the API reference renders with the
    shapecontract.docs extension, is a working pipeline."""
    spec = importlib.util.spec_from_file_location("sensor_pipeline",
                                                  DOCS / "examples" / "sensor_pipeline.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readings = module.window(np.zeros((2 * 1440, 3)), steps=1440)
    sites = module.one_hot_sites(np.array([[0], [2]]), num_classes=3)
    assert module.add_site_features(readings, sites).shape == (2, 1440, 6)
    with pytest.raises(ShapeContractError, match=r"'sites' .* is 4 but must be 3"), \
            dims(sites=3):
        module.one_hot_sites(np.array([[0], [2]]), num_classes=4)


def test_nav_lists_every_page_and_only_pages_that_exist_or_are_promised() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = config[config.index("\nnav:"):]
    listed = set(re.findall(r":\s*([\w/.-]+\.md)\s*$", nav, re.MULTILINE))
    present = {p.relative_to(DOCS).as_posix() for p in PAGES}
    assert present <= listed, f"pages not in the nav: {sorted(present - listed)}"
    # performance.md is written with the benchmarks; every other page must exist.
    assert listed - present <= {"performance.md"}, sorted(listed - present)


def test_readme_examples_print_what_it_shows(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _fresh_frameworks()
    mismatches = run_page(ROOT / "README.md")
    assert not mismatches, "\n\n".join(map(str, mismatches))

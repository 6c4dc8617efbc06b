"""shapecontract.docs: the griffe extension that writes a shape table into checked functions'
API docs, through griffe directly and through a real `mkdocs build --strict`."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

griffe = pytest.importorskip("griffe")
pytest.importorskip("mkdocstrings_handlers.python")

from shapecontract import Contract  # noqa: E402
from shapecontract.docs import ShapeContractExtension  # noqa: E402
from shapecontract.docs._table import Place, markdown  # noqa: E402

FIXTURE = Path(__file__).parent / "docs_fixture"
ROOT = Path(__file__).parent.parent


def load(name: str, search_paths: list[str] | None = None, **options: object) -> griffe.Object:
    return griffe.load(name, extensions=griffe.load_extensions("shapecontract.docs"),
                       search_paths=search_paths or [str(FIXTURE)], **options)


@pytest.fixture(scope="module")
def pkg() -> griffe.Object:
    return load("sc_docs_fixture")


def table(func: griffe.Object) -> str | None:
    found = func.extra["shapecontract"].get("table")
    assert found is None or isinstance(found, str)
    return found


def rows(func: griffe.Object) -> dict[str, list[str]]:
    """The table's rows, by their first cell, as lists of the other cells."""
    text = table(func)
    assert text is not None, f"{func.path} has no shape table"
    lines = [line for line in text.splitlines() if line.startswith("| ")][1:]
    out = {}
    for line in lines:
        cells, cell, code = [], "", False
        for char in line.strip()[1:-1]:  # a pipe inside a code span stays in its cell
            code ^= char == "`"
            if char == "|" and not code:
                cells.append(cell.strip())
                cell = ""
            else:
                cell += char
        cells.append(cell.strip())
        out[cells[0]] = cells[1:]
    return out


def test_demo_table_of_the_package_itself() -> None:
    demo = griffe.load("shapecontract._demo", search_paths=[str(ROOT)],
                       extensions=griffe.load_extensions("shapecontract.docs"))
    assert rows(demo["add_site_features"]) == {
        "`sensors`": [
            '`Float[Array, "machines steps sensors"]`',
            "`machines` (batch), `steps` (time), `sensors` (feature); float",
            "`machines` = `sensors.shape[0]`, shared with `sites`, return"
            "<br>`steps` = `sensors.shape[1]`, shared with return"
            "<br>`sensors` = `sensors.shape[2]`, shared with return (in `sensors+sites`)",
        ],
        "`sites`": [
            '`Float[Array, "machines sites"]`',
            "`machines` (batch), `sites` (feature); float",
            "`machines` must equal `sensors.shape[0]`"
            "<br>`sites` = `sites.shape[1]`, shared with return (in `sensors+sites`)",
        ],
        "return": [
            '`Float[Array, "machines steps sensors+sites"]`',
            "`machines` (batch), `steps` (time), `sensors+sites` (feature); float",
            "`machines` must equal `sensors.shape[0]`<br>`steps` must equal `sensors.shape[1]`"
            "<br>`sensors+sites` = `sensors.shape[2] + sites.shape[1]`",
        ],
    }
    assert rows(demo["one_hot_sites"])["return"][2] == (
        "`machines` must equal `site.shape[0]`<br>`sites` = `return.shape[1]` "
        "(no argument binds it)")
    # Undecorated functions of the same module get nothing.
    assert table(demo["flattened_readings"]) is None


def test_whole_table(pkg: griffe.Object) -> None:
    assert table(pkg["models.scale"]) == textwrap.dedent("""\
        **Shape contract**

        | Parameter | Contract | Axes | Bound sizes |
        |---|---|---|---|
        | `x` | `Float[Array, "batch time feat"]` | `batch` (batch), `time` (time), `feat` (feature); float | `batch` = `x.shape[0]`, shared with `y`, return<br>`time` = `x.shape[1]`, shared with return<br>`feat` = `x.shape[2]`, shared with return |
        | `y` | `Float[Array, "batch 1"]` | `batch` (batch), `1` (feature); float | `batch` must equal `x.shape[0]`<br>axis 1 fixed: 1 |
        | return | `Float[Array, "batch time feat"]` | `batch` (batch), `time` (time), `feat` (feature); float | `batch` must equal `x.shape[0]`<br>`time` must equal `x.shape[1]`<br>`feat` must equal `x.shape[2]` |

        Sizes are bound in parameter order, then by the return value; a `dims()` block around the call can fix any of them beforehand.""")  # noqa: E501


def test_variadic_axes_dtype_markers_and_array_types(pkg: griffe.Object) -> None:
    table_rows = rows(pkg["models.pool"])
    assert table_rows["`x`"] == [
        '`Float32[np.ndarray, "*batch channels"]`',
        "`*batch`, `channels` (feature); float32",
        "`*batch` = `x.shape[:-1]`, shared with return<br>`channels` = `x.shape[-1]`, "
        "shared with `w`",
    ]
    # A quoted annotation, in a module without `from __future__ import annotations`.
    assert table_rows["`w`"] == ['`Float[Array, "channels"]`', "`channels`; float",
                                 "`channels` must equal `x.shape[-1]`"]
    assert table_rows["return"][2] == "`*batch` must equal `x.shape[:-1]`"


def test_optional_broadcast_and_tuple_returns(pkg: griffe.Object) -> None:
    table_rows = rows(pkg["models.masked_mean"])
    assert table_rows["`mask`"] == [
        '`Shaped[Array, "#batch time"]` or `None`',
        "`#batch` (batch), `time` (feature); any dtype",
        "`batch` must equal `x.shape[0]` or be 1<br>`time` must equal `x.shape[1]`",
    ]
    assert list(table_rows) == ["`x`", "`mask`", "return[0]"]  # the int element is beartype's
    assert table_rows["`x`"][2].startswith("`batch` = `x.shape[0]`, shared with `mask`, return[0]")


def test_star_args(pkg: griffe.Object) -> None:
    table_rows = rows(pkg["models.stack"])
    assert list(table_rows) == ["`*xs`", "return"]  # `scale: int` is not a contract
    assert table_rows["`*xs`"][2] == (
        "`n` = `xs[0].shape[0]`, shared with every `xs[i]`, return"
        "<br>`feat` = `xs[0].shape[1]`, shared with every `xs[i]`, return")


def test_sizes_no_argument_binds(pkg: griffe.Object) -> None:
    encode = rows(pkg["models.encode"])
    # `feat=3` is a fixed axis: it binds no name, so `feat+pad` needs both from dims().
    assert encode["`x`"][2].endswith("<br>`feat` fixed: 3")
    assert encode["`extra`"][1] == "`batch`, `_` (any size), `...` (any number of axes); float"
    assert encode["`extra`"][2] == "`batch` must equal `x.shape[0]`"
    assert encode["return"][2].endswith(
        "<br>`feat+pad` = `feat + pad` (`feat`, `pad` from the caller's `dims()`: "
        "no argument binds them)")
    classify = rows(pkg["models.classify"])
    assert classify["`x`"][1] == "`batch` (batch), `feat` (feature); signed int"
    assert classify["return"][2].endswith("`classes` = `return.shape[1]` (no argument binds it)")


def test_arithmetic_axes(pkg: griffe.Object) -> None:
    flatten = rows(pkg["models.flatten"])
    assert flatten["return"][2] == (
        "`batch` must equal `x.shape[0]`<br>`time*feat` = `x.shape[1] * x.shape[2]`")
    assert "`time` = `x.shape[1]`, shared with return (in `time*feat`)" in flatten["`x`"][2]


def test_aliases_and_functions_without_docstring(pkg: griffe.Object) -> None:
    flatten = pkg["models.flatten"]
    # `x: Readings` is documented as the contract the alias stands for.
    assert rows(flatten)["`x`"][0] == '`Float[Array, "batch time feat"]`'
    # It had no docstring: it has one now, holding the table alone.
    assert flatten.docstring is not None
    assert flatten.docstring.value == ""
    assert [s.value for s in flatten.docstring.parsed] == [table(flatten)]


def test_methods(pkg: griffe.Object) -> None:
    forward = rows(pkg["models.Model.forward"])
    assert list(forward) == ["`x`", "return"]  # neither self nor `steps: int`
    assert forward["return"][2].endswith("`hidden` = `return.shape[1]` (no argument binds it)")
    prepare = rows(pkg["models.Model.prepare"])  # a staticmethod, with jaxtyping's own Float
    assert prepare["`x`"][0] == '`jt.Float[Array, "batch time"]`'
    assert prepare["return"][2].endswith("<br>axis 2 fixed: 1")


def test_future_annotations_constants_unions_and_reexported_check(pkg: griffe.Object) -> None:
    # `@contract_check` is shapecontract's check, imported under another name through a
    # module of the package.
    lengths = rows(pkg["more.lengths"])
    assert lengths["`x`"][0] == '`Float[Array, "batch steps"]`'  # from STEPS = "batch steps"
    assert lengths["`y`"][0] == '`Float[Array, "batch steps"]` or `None`'
    to_torch = rows(pkg["more.to_torch"])
    assert to_torch["`x`"][0] == '`Float[torch.Tensor, "batch time"]`'
    assert to_torch["`y`"][:2] == ['`Float64[Array, "batch 2"]` or `None`',
                                   "`batch` (batch), `2` (feature); float64"]
    assert to_torch["return"][2].endswith("<br>`time+2` = `x.shape[1] + 2`")
    assert rows(pkg["more.either"])["`x`"][0] == '`Float[np.ndarray | torch.Tensor, "batch"]`'


def test_unrelated_check_and_undecorated_functions_are_left_alone(pkg: griffe.Object) -> None:
    for path in ("unrelated.local", "unrelated.other", "unrelated.check", "models.unchecked"):
        func = pkg[path]
        assert table(func) is None, path
        assert func.docstring is not None
        assert "Shape contract" not in str([s.value for s in func.docstring.parsed])


def test_table_goes_after_the_description_before_the_sections() -> None:
    scale = load("sc_docs_fixture", docstring_parser="google")["models.scale"]
    sections = scale.docstring.parsed
    assert [s.kind.value for s in sections] == ["text", "text", "parameters", "returns"]
    assert sections[0].value == "Scale each sequence by its own factor."
    assert sections[1].value == table(scale)
    assert [p.name for p in sections[2].value] == ["x", "y"]
    # The docstring's own text is untouched: the table is added when it is parsed.
    assert "Shape contract" not in scale.docstring.value


def test_a_second_pass_adds_nothing(pkg: griffe.Object) -> None:
    scale = pkg["models.scale"]
    before = [s.value for s in scale.docstring.parsed]
    loader = griffe.GriffeLoader()
    ShapeContractExtension().on_function(func=scale, loader=loader)
    assert [s.value for s in scale.docstring.parsed] == before


def test_a_broken_contract_warns_and_leaves_the_docstring(caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    with caplog.at_level(logging.WARNING):
        broken_pkg = load("sc_docs_broken")
    broken = broken_pkg["broken"]
    assert table(broken) is None
    assert [s.value for s in broken.docstring.parsed] == [
        "Its contract separates axes with a comma."]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "sc_docs_broken/__init__.py:6: no shape table for sc_docs_broken.broken()" in (
        warnings[0])
    assert "token 'ti,me': separate axes with spaces, not commas" in warnings[0]
    assert table(broken_pkg["fine"]) is not None  # the rest of the module is documented


def test_inspection_reads_what_check_compiled(pkg: griffe.Object) -> None:
    inspected = load("sc_docs_fixture", force_inspection=True,
                     search_paths=[str(FIXTURE), *sys.path])

    def without_contract_column(func: griffe.Object) -> dict[str, list[str]]:
        return {k: v[1:] for k, v in rows(func).items()}

    paths = ["models.scale", "models.flatten", "models.pool", "models.stack",
             "models.masked_mean", "models.encode", "models.classify", "models.Model.forward",
             "models.Model.prepare"]
    for path in paths:
        assert without_contract_column(inspected[path]) == without_contract_column(pkg[path]), (
            path)
    assert rows(inspected["models.pool"])["`x`"][0] == (
        '`Float32[numpy.ndarray, "*batch channels"]`')
    assert table(inspected["models.unchecked"]) is None


def test_table_from_contracts() -> None:
    square = Place("m", 'Float[Array, "n n"]', Contract.of("n n"), "Float")
    anything = Place("x", 'Shaped[Array, "_ _"]', Contract.of("_ _"))
    scalar = Place("return", 'Float[Array, ""]', Contract.of(""), "Float")
    rgb = Place("image", 'UInt8[Array, "*batch 3"]', Contract.of("*batch 3"), "UInt8")
    text = markdown([square, anything, scalar, rgb])
    assert "| `image` | `UInt8[Array, \"*batch 3\"]` | `*batch`, `3` (feature); uint8 | " \
           "`*batch` = `image.shape[:-1]`<br>axis -1 fixed: 3 |" in text
    assert "| `m` | `Float[Array, \"n n\"]` | `n` (batch), `n` (feature); float | `n` = " in text
    assert "`n` = `m.shape[0]`<br>`n` must equal `m.shape[0]` |" in text
    assert "| `x` | `Shaped[Array, \"_ _\"]` | `_` (any size), `_` (any size); any dtype | " \
           "no sizes bound |" in text
    assert "| return | `Float[Array, \"\"]` | none (a scalar); float | no sizes bound |" in text


def test_importing_shapecontract_imports_neither_griffe_nor_the_extension() -> None:
    code = ("import sys, shapecontract; "
            "assert 'griffe' not in sys.modules, 'griffe'; "
            "assert 'shapecontract.docs' not in sys.modules, 'docs'")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- through mkdocs ------------------------------------------------------------------------------


def mkdocs_build(project: Path, *modules: str, strict: bool = True
                 ) -> subprocess.CompletedProcess[str]:
    (project / "docs").mkdir(parents=True)
    page = "".join(f"::: {module}\n\n" for module in modules)
    (project / "docs" / "index.md").write_text(f"# API\n\n{page}")
    # The one line a user adds, `- shapecontract.docs`, under the handler's extensions.
    (project / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: fixture
        plugins:
          - mkdocstrings:
              handlers:
                python:
                  paths: [{FIXTURE}]
                  options:
                    extensions:
                      - shapecontract.docs
        """))
    command = [sys.executable, "-m", "mkdocs", "build", *(["--strict"] if strict else [])]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300)


def test_mkdocs_build_renders_the_tables(tmp_path: Path) -> None:
    # One page documents every module of the fixture, the unrelated `check` one included.
    done = mkdocs_build(tmp_path / "site_src", "sc_docs_fixture.models", "sc_docs_fixture.more",
                        "sc_docs_fixture.unrelated")
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "site_src" / "site" / "index.html").read_text()
    # 9 checked functions in models, 3 in more, none in unrelated.
    assert html.count("<p><strong>Shape contract</strong></p>") == 12
    assert "<th>Parameter</th>\n<th>Contract</th>\n<th>Axes</th>\n<th>Bound sizes</th>" in html
    assert ('<td><code>x</code></td>\n<td><code>Float[Array, "batch time feat"]</code></td>\n'
            "<td><code>batch</code> (batch), <code>time</code> (time), <code>feat</code> "
            "(feature); float</td>\n<td><code>batch</code> = <code>x.shape[0]</code>, shared "
            "with <code>y</code>, return<br><code>time</code> = <code>x.shape[1]</code>, "
            "shared with return<br><code>feat</code> = <code>x.shape[2]</code>, shared with "
            "return</td>") in html
    # flatten() has no docstring, which mkdocstrings would skip: its table makes one.
    assert 'id="sc_docs_fixture.models.flatten"' in html
    # The pipe of a union array type stays inside its cell.
    assert '<td><code>Float[np.ndarray | torch.Tensor, "batch"]</code></td>' in html


def test_mkdocs_strict_build_fails_on_a_broken_contract(tmp_path: Path) -> None:
    done = mkdocs_build(tmp_path / "strict", "sc_docs_broken")
    assert done.returncode != 0
    assert "no shape table for sc_docs_broken.broken()" in done.stderr
    assert "separate axes with spaces, not commas" in done.stderr
    # Without --strict the site builds, the good function with its table.
    done = mkdocs_build(tmp_path / "lenient", "sc_docs_broken", strict=False)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "lenient" / "site" / "index.html").read_text()
    assert html.count("<p><strong>Shape contract</strong></p>") == 1

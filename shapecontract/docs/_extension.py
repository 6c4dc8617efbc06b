"""The griffe extension: a shape table in the docstring of every ``@check``-ed function."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import griffe

from .._errors import ContractSyntaxError
from . import _runtime, _static
from ._table import Place, markdown

_KEPT_VALUES = (ast.Subscript, ast.BinOp)


class ShapeContractExtension(griffe.Extension):
    """Adds a **Shape contract** table to the docstring of each ``@check``-ed function.

    The table has a row per array parameter and for the return value: the contract, its
    axes (with their batch, time and feature roles) and its dtype, and where each size is
    bound: which argument sets it, which others must match, the fixed sizes, the arithmetic
    axes and the sizes only a ``dims()`` block can give. Contracts are read from source, as
    mkdocstrings reads everything else, so the documented package is not imported; when
    mkdocstrings inspects instead (``force_inspection: true``), they are read from what
    ``@check`` compiled.

    A contract that does not parse leaves the docstring alone and logs a warning naming the
    function, which fails ``mkdocs build --strict``, as it should: ``@check`` would refuse
    the same contract when the module is imported.
    """

    def __init__(self) -> None:
        super().__init__()
        self._nodes: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self._values: dict[str, ast.expr] = {}
        self._plans: dict[str, list[Place]] = {}

    def on_function_instance(self, *, node: ast.AST | griffe.ObjectNode, func: griffe.Function,
                             agent: griffe.Visitor | griffe.Inspector, **kwargs: Any) -> None:
        """Keep the function's ``ast`` node, or the plan of an inspected checked function."""
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._nodes[func.path] = node
        elif isinstance(node, griffe.ObjectNode):
            # griffe unwraps the function it inspects: the wrapper is its parent's attribute.
            parent = node.parent.obj if node.parent is not None else None
            plan = _runtime.plan_of(inspect.getattr_static(parent, node.name, node.obj))
            if plan is not None:
                stars = {p.name: _stars(p.kind) for p in func.parameters}
                self._plans[func.path] = _runtime.places(plan, stars)

    def on_attribute_instance(self, *, node: ast.AST | griffe.ObjectNode, attr: griffe.Attribute,
                              agent: griffe.Visitor | griffe.Inspector, **kwargs: Any) -> None:
        """Keep the value of attributes that may be contract aliases or shape strings."""
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            value = node.value
            if isinstance(value, _KEPT_VALUES) or (
                isinstance(value, ast.Constant) and isinstance(value.value, str)
            ):
                self._values[attr.path] = value

    def on_function(self, *, func: griffe.Function, loader: griffe.GriffeLoader,
                    **kwargs: Any) -> None:
        """Write the shape table into a checked function's docstring."""
        if func.extra["shapecontract"].get("table") is not None:
            return  # already done, by an earlier load of the same package
        try:
            places = self._places(func, loader)
        except ContractSyntaxError as error:
            griffe.logger.warning(f"{_where(func)}: no shape table for {func.path}(): "
                                  f"{error.with_function(func.name)}")
            return
        except _static.Unreadable as error:
            griffe.logger.info(f"{_where(func)}: no shape table for {func.path}(): its shape "
                               f"string {error} is not a literal")
            return
        if places:
            table = markdown(places)
            func.extra["shapecontract"]["table"] = table
            func.docstring = ShapeTableDocstring(func, table, loader)

    def _places(self, func: griffe.Function, loader: griffe.GriffeLoader) -> list[Place]:
        if func.path in self._plans:
            return self._plans[func.path]
        node = self._nodes.get(func.path)
        if node is None:
            return []
        reader = _static.Reader(loader.modules_collection, self._values)
        return reader.places(func, node) if reader.is_checked(func) else []


class ShapeTableDocstring(griffe.Docstring):
    """A function's docstring, parsed as usual, with the shape table after its description."""

    def __init__(self, func: griffe.Function, table: str, loader: griffe.GriffeLoader) -> None:
        base = func.docstring
        if base is None:
            super().__init__("", parent=func, parser=loader.docstring_parser,
                             parser_options=loader.docstring_options)
        else:
            super().__init__(base.value, lineno=base.lineno, endlineno=base.endlineno,
                             parent=func, parser=base.parser, parser_options=base.parser_options)
        self.shape_table = table

    def parse(self, parser: griffe.DocstringStyle | griffe.Parser | None = None,
              **options: Any) -> list[griffe.DocstringSection]:
        sections = super().parse(parser, **options)
        lead = (griffe.DocstringSectionKind.text, griffe.DocstringSectionKind.admonition)
        at = next((i for i, s in enumerate(sections) if s.kind not in lead), len(sections))
        return [*sections[:at], griffe.DocstringSectionText(self.shape_table), *sections[at:]]


def _stars(kind: griffe.ParameterKind | None) -> str:
    if kind is griffe.ParameterKind.var_positional:
        return "*"
    return "**" if kind is griffe.ParameterKind.var_keyword else ""


def _where(func: griffe.Function) -> str:
    try:
        return f"{func.relative_filepath}:{func.lineno}"
    except ValueError:
        return func.path

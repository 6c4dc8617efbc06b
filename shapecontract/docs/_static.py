"""Contracts read from source, without importing it: the ``@check`` decorator and annotations.

griffe turns string constants in annotations into expressions (``"batch"`` would become a
name), so the shape strings are read from the function's own ``ast`` node, kept by the
extension while griffe visits the module; griffe resolves the names in it (``check``,
``Float``, a module-level alias such as ``Readings = Float[Array, "batch time feat"]``) to
the paths they are imported from, so a ``check`` or a ``Float`` from another library is not
taken for shapecontract's.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

import griffe

from .._contract import Contract
from .._errors import ContractSyntaxError
from .._markers import MARKER_NAMES
from ._table import Place

CHECK_PATHS = frozenset({"shapecontract.check", "shapecontract._check.check"})
_MARKER_ROOTS = ("jaxtyping", "shapecontract")
_OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
_UNION = frozenset({"typing.Union", "typing_extensions.Union"})
_TUPLE = frozenset({"tuple", "typing.Tuple", "typing_extensions.Tuple", "builtins.tuple"})
_MAX_DEPTH = 8


class Unreadable(Exception):
    """A contract whose shape string is not a literal (``Float[Array, DIMS]`` with DIMS
    computed): only the running code knows it."""


@dataclass(frozen=True)
class _Found:
    annotation: str
    marker: str
    contract: Contract
    optional: bool = False


class Reader:
    """Reads the contracts of functions of one griffe modules collection.

    ``values`` holds the ``ast`` value of module and class attributes by path, so that an
    annotation that names an alias can be followed to the contract it stands for.
    """

    def __init__(self, collection: griffe.ModulesCollection,
                 values: Mapping[str, ast.expr]) -> None:
        self.collection = collection
        self.values = values

    # -- the decorator ---------------------------------------------------------------------

    def is_checked(self, func: griffe.Function) -> bool:
        """Whether one of the function's decorators is shapecontract's ``check``."""
        for decorator in func.decorators:
            try:
                path = decorator.callable_path
            except (griffe.AliasResolutionError, griffe.CyclicAliasError):
                continue
            if not CHECK_PATHS.isdisjoint(self._chain(path)):
                return True
        return False

    # -- the annotations -------------------------------------------------------------------

    def places(self, func: griffe.Function,
               node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Place]:
        """The checked places of a function: array parameters in order, then the return.

        Raises ContractSyntaxError for a contract ``@check`` would refuse, and Unreadable for
        one that cannot be read without running the code.
        """
        scope = _scope(func)
        args = node.args
        params: list[tuple[ast.arg, str]] = [(a, "") for a in (*args.posonlyargs, *args.args)]
        if args.vararg is not None:
            params.append((args.vararg, "*"))
        params += [(a, "") for a in args.kwonlyargs]
        if args.kwarg is not None:
            params.append((args.kwarg, "**"))
        out: list[Place] = []
        for arg, stars in params:
            found = self._contract(arg.annotation, scope, 0)
            if found is not None:
                out.append(_place(stars + arg.arg, found))
        out += self._returns(node.returns, scope)
        return out

    def _returns(self, node: ast.expr | None, scope: griffe.Object) -> list[Place]:
        found = self._contract(node, scope, 0)
        if found is not None:
            return [_place("return", found)]
        node, scope = self._expand(node, scope, 0)
        if isinstance(node, ast.Subscript) and self._is(node.value, scope, _TUPLE):
            parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if any(isinstance(p, ast.Constant) and p.value is Ellipsis for p in parts):
                return []  # tuple[X, ...]: beartype's to check, not a contract per element
            out = []
            for i, part in enumerate(parts):
                element = self._contract(part, scope, 0)
                if element is not None:
                    out.append(_place(f"return[{i}]", element))
            return out
        return []

    def _contract(self, node: ast.expr | None, scope: griffe.Object, depth: int
                  ) -> _Found | None:
        """The contract an annotation stands for, or None where it is not a contract."""
        node, scope = self._expand(node, scope, depth)
        if node is None:
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self._union(_flatten_or(node), scope, depth)
        if not isinstance(node, ast.Subscript):
            return None
        if self._is(node.value, scope, _OPTIONAL):
            return self._union([node.slice, ast.Constant(None)], scope, depth)
        if self._is(node.value, scope, _UNION):
            members = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return self._union(members, scope, depth)
        marker = self._marker(node.value, scope)
        if marker is None:
            return None
        if not (isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2):
            return None  # jaxtyping itself refuses anything but Marker[array_type, "dims"]
        array, dims_node = node.slice.elts
        dims = self._string(dims_node, scope, depth)
        contract = Contract.of(dims)  # ContractSyntaxError for a malformed contract
        shown = f'{ast.unparse(node.value)}[{ast.unparse(array)}, "{contract.dims}"]'
        return _Found(shown, marker, contract)

    def _union(self, members: list[ast.expr], scope: griffe.Object, depth: int
               ) -> _Found | None:
        found: list[_Found] = []
        optional = False
        for written in members:
            member, member_scope = self._expand(written, scope, depth)
            if _is_none(member):
                optional = True
                continue
            contract = self._contract(member, member_scope, depth + 1)
            if contract is None:
                return None  # a union with something else than arrays: beartype's to check
            found.append(contract)
        if not found:
            return None
        kinds = {(f.contract.dims, f.marker) for f in found}
        if len(kinds) > 1:
            raise ContractSyntaxError(
                "a union of different contracts cannot be checked with sizes bound across "
                "arguments; use one contract, with '*name' or '...' where the rank varies",
                contract=" | ".join(sorted(d for d, _ in kinds)),
            )
        first = found[0]
        return _Found(first.annotation, first.marker, first.contract,
                      optional or first.optional)

    def _expand(self, node: ast.expr | None, scope: griffe.Object, depth: int
                ) -> tuple[ast.expr | None, griffe.Object]:
        """Unquote a string annotation and follow names to the aliases they stand for."""
        for _ in range(_MAX_DEPTH - depth):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                try:
                    node = ast.parse(node.value.strip(), mode="eval").body
                except SyntaxError:
                    return None, scope
            elif isinstance(node, (ast.Name, ast.Attribute)):
                target = self._alias_value(node, scope)
                if target is None:
                    return node, scope
                node, scope = target
            else:
                break
        return node, scope

    def _alias_value(self, node: ast.expr, scope: griffe.Object
                     ) -> tuple[ast.expr, griffe.Object] | None:
        for path in self._chain(self._path(node, scope)):
            value = self.values.get(path)
            if value is not None:
                owner = self._lookup(path)
                parent = owner.parent if owner is not None else None
                return value, parent if isinstance(parent, griffe.Object) else scope
        return None

    def _string(self, node: ast.expr, scope: griffe.Object, depth: int) -> str:
        """The shape string: a literal, or the name of a module-level string constant."""
        if isinstance(node, (ast.Name, ast.Attribute)):
            target = self._alias_value(node, scope)
            if target is not None:
                node = target[0]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        raise Unreadable(ast.unparse(node))

    def _marker(self, node: ast.expr, scope: griffe.Object) -> str | None:
        """The dtype marker's name where ``node`` names a jaxtyping marker."""
        for path in self._chain(self._path(node, scope)):
            root, _, rest = path.rpartition(".")
            name = rest if root else path
            if name in MARKER_NAMES and (not root or root.split(".")[0] in _MARKER_ROOTS):
                return name
        return None

    def _is(self, node: ast.expr, scope: griffe.Object, paths: frozenset[str]) -> bool:
        return not paths.isdisjoint(self._chain(self._path(node, scope)))

    # -- names -----------------------------------------------------------------------------

    @staticmethod
    def _path(node: ast.expr, scope: griffe.Object) -> str:
        """The path a name or attribute is imported from, as griffe resolves it in scope."""
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return ""
        parent = scope if isinstance(scope, (griffe.Module, griffe.Class)) else scope.module
        try:
            expr = griffe.get_expression(node, parent, parse_strings=False)
        except Exception:  # griffe could not build it: not a name we can follow
            return ast.unparse(node)
        if isinstance(expr, (griffe.ExprName, griffe.ExprAttribute)):
            try:
                return expr.canonical_path
            except (griffe.AliasResolutionError, griffe.CyclicAliasError):
                return expr.path
        return ast.unparse(node)

    def _chain(self, path: str) -> list[str]:
        """``path`` and the paths it is an alias of, following re-exports through the
        modules griffe has loaded."""
        out = [path]
        for _ in range(16):
            obj = self._lookup(path)
            if obj is None:
                break
            if not obj.is_alias:
                if obj.path != path:
                    out.append(obj.path)
                break
            assert isinstance(obj, griffe.Alias)
            path = obj.target_path
            if path in out:
                break
            out.append(path)
        return out

    def _lookup(self, path: str) -> griffe.Object | griffe.Alias | None:
        if not path or "." not in path:
            return None
        try:
            return self.collection[path]  # type: ignore[no-any-return]
        except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            return None


def _scope(func: griffe.Function) -> griffe.Object:
    parent = func.parent
    return parent if isinstance(parent, griffe.Object) else func.module


def _place(argument: str, found: _Found) -> Place:
    return Place(argument, found.annotation, found.contract, found.marker, found.optional)


def _flatten_or(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*_flatten_or(node.left), *_flatten_or(node.right)]
    return [node]


def _is_none(node: ast.expr | None) -> bool:
    return (isinstance(node, ast.Constant) and node.value is None) or (
        isinstance(node, ast.Name) and node.id == "None")

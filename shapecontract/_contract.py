"""Contract: a parsed shape-and-dtype annotation, with the role of each axis."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from ._grammar import Axis, evaluate, parse_dims

Role = Literal["batch", "time", "feature"]

BATCH_NAMES = frozenset({"batch", "b", "n", "bs", "samples"})
TIME_NAMES = frozenset({"time", "t", "seq", "steps", "timesteps", "length"})

# Preferred dtype per family, for fix hints: the first accepted one is suggested.
_PREFERRED_DTYPES = ("float32", "float64", "int64", "int32", "bool", "uint8", "complex64")


@dataclass(frozen=True, eq=False)
class Contract:
    """A parsed contract: its axes, their roles, and the dtypes it accepts.

    Build one with ``Contract.of(Float[Array, "batch time feat"])`` or
    ``Contract.of("batch time feat")`` (any dtype).

    Attributes:
        axes: the axes, one per token of the shape string.
        dims: the shape string, as written: ``"batch time feat"``.
        dtype_marker: the marker's name: ``"Float"``, ``"Int32"``, ``"Shaped"``.
        dtypes: the dtype names the marker accepts; None for any dtype (``Shaped``).
        batch: the index of the batch axis, or None.
        time: the index of the time axis, or None.
        feature: the index of the feature axis, or None.
        array: the array type as the annotation named it, for messages: ``"Array"``,
            ``"np.ndarray"``, ``"torch.Tensor"``.
    """

    axes: tuple[Axis, ...]
    dims: str
    dtype_marker: str = "Shaped"
    dtypes: tuple[str | re.Pattern[str], ...] | None = None
    batch: int | None = None
    time: int | None = None
    feature: int | None = None
    # dtypes seen and accepted, by id (the dtype object kept alive as the value): the compiled
    # checks test `id(x.dtype) in accepted_dtypes`, which no dtype's own __hash__ slows down.
    accepted_dtypes: dict[int, Any] = field(default_factory=dict, repr=False, compare=False)
    # How the annotation named its array type, for messages: Float[np.ndarray, "..."] is
    # shown as written. @check enforces the type itself; the contract is the same.
    array: str = field(default="Array", repr=False, compare=False)

    def accept_dtype(self, dtype: Any) -> None:
        """Remember an accepted dtype object (a bounded cache: odd dtypes take the slow path)."""
        if len(self.accepted_dtypes) < 64:
            self.accepted_dtypes[id(dtype)] = dtype

    @staticmethod
    def of(annotation: Any, *, batch: str | None = None, time: str | None = None,
           feature: str | None = None) -> Contract:
        """The contract of a jaxtyping annotation, a shape string or a Contract.

        ``batch=``, ``time=`` and ``feature=`` name the axes that play those roles where
        the names alone do not say.
        """
        if isinstance(annotation, Contract):
            base = annotation
        elif isinstance(annotation, str):
            base = _cached(annotation, "Shaped", None)
        else:
            dim_str = getattr(annotation, "dim_str", None)
            marker = getattr(getattr(annotation, "dtype", None), "__name__", None)
            if not isinstance(dim_str, str) or marker is None:
                raise TypeError(
                    f"expected a jaxtyping annotation such as Float[Array, \"batch time feat\"], "
                    f"a shape string or a Contract, got {annotation!r}"
                )
            raw = getattr(annotation, "dtypes", None)
            dtypes = tuple(raw) if isinstance(raw, (tuple, list)) else None
            base = _cached(dim_str, marker, dtypes, _array_name(getattr(annotation,
                                                                        "array_type", None)))
        if batch is None and time is None and feature is None:
            return base
        return base._with_roles(batch=batch, time=time, feature=feature)

    # -- reading a contract ------------------------------------------------------------------

    @property
    def rank(self) -> int | None:
        """The number of axes, or None when a variadic axis makes it open."""
        return None if self.variadic_index is not None else len(self.axes)

    @property
    def variadic_index(self) -> int | None:
        """The index of the variadic axis (``*name`` or ``...``), or None."""
        for i, axis in enumerate(self.axes):
            if axis.kind == "variadic":
                return i
        return None

    @property
    def names(self) -> tuple[str, ...]:
        """The names this contract binds, in order of first appearance."""
        seen: list[str] = []
        for axis in self.axes:
            if axis.kind in ("named", "variadic") and axis.name and axis.name not in seen:
                seen.append(axis.name)
        return tuple(seen)

    @property
    def size_names(self) -> tuple[str, ...]:
        """The names a size may be given for: [`names`][shapecontract.Contract.names] and
        those only arithmetic axes use (``sensors`` and ``sites`` in
        ``"batch time sensors+sites"``)."""
        extra = [n for a in self.axes for n in a.names_used if n not in self.names]
        return (*self.names, *dict.fromkeys(extra))

    def role_of(self, index: int) -> Role | None:
        """The role of axis ``index``: ``"batch"``, ``"time"``, ``"feature"`` or None."""
        if index == self.batch:
            return "batch"
        if index == self.time:
            return "time"
        if index == self.feature:
            return "feature"
        return None

    def accepts_dtype(self, name: str) -> bool:
        """Whether the marker accepts the dtype called ``name`` (``"float32"``)."""
        if self.dtypes is None:
            return True
        return any(d == name if isinstance(d, str) else d.fullmatch(name) for d in self.dtypes)

    def preferred_dtype(self) -> str | None:
        """The dtype a fix should convert to: float32 for Float, int64 for Int, and so on."""
        if self.dtypes is None:
            return None
        for name in _PREFERRED_DTYPES:
            if self.accepts_dtype(name):
                return name
        first = self.dtypes[0]
        return first if isinstance(first, str) else None

    def shape(self, **sizes: int | tuple[int, ...]) -> tuple[int | None, ...]:
        """The shape this contract asks for, with None for every axis that is not bound.

        A variadic axis needs its sizes given as a tuple (``contract.shape(batch=(8, 2))``);
        ``...`` cannot be expanded and raises ValueError.
        """
        known = {k: v for k, v in sizes.items() if isinstance(v, int)}
        out: list[int | None] = []
        for axis in self.axes:
            if axis.kind == "fixed":
                out.append(axis.size)
            elif axis.kind == "named":
                out.append(known.get(axis.name or ""))
            elif axis.kind == "expr":
                try:
                    out.append(evaluate(axis.expr or "", known))
                except KeyError:
                    out.append(None)
            elif axis.kind == "any":
                out.append(None)
            else:
                group = sizes.get(axis.name or "")
                if not isinstance(group, tuple):
                    raise ValueError(
                        f"{self} has the variadic axis {axis.token!r}, so its shape has no fixed "
                        f"rank; pass its sizes as a tuple: .shape({axis.name or 'name'}=(...))"
                    )
                out.extend(group)
        return tuple(out)

    def __str__(self) -> str:
        return f'{self.dtype_marker}[{self.array}, "{self.dims}"]'

    def __repr__(self) -> str:
        roles = ", ".join(
            f"{role}={self.axes[i].label!r}"
            for role, i in (("batch", self.batch), ("time", self.time), ("feature", self.feature))
            if i is not None
        )
        return f"Contract({self}{', ' + roles if roles else ''})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Contract):
            return NotImplemented
        return (self.dims, self.dtype_marker, self.dtypes, self.batch, self.time, self.feature) == (
            other.dims, other.dtype_marker, other.dtypes, other.batch, other.time, other.feature
        )

    def __hash__(self) -> int:
        return hash((self.dims, self.dtype_marker, self.batch, self.time, self.feature))

    def _with_roles(self, *, batch: str | None, time: str | None, feature: str | None) -> Contract:
        overrides = {"batch": batch, "time": time, "feature": feature}
        roles = {"batch": self.batch, "time": self.time, "feature": self.feature}
        for role, name in overrides.items():
            if name is None:
                continue
            matches = [i for i, a in enumerate(self.axes) if a.label == name]
            if not matches:
                raise ValueError(f"{role}={name!r}: {self} has no axis called {name!r}")
            roles[role] = matches[0]
            for other in roles:
                if other != role and roles[other] == matches[0] and overrides[other] is None:
                    roles[other] = None
        return Contract(self.axes, self.dims, self.dtype_marker, self.dtypes,
                        roles["batch"], roles["time"], roles["feature"], array=self.array)


_CACHE: dict[tuple[Any, ...], Contract] = {}


def _cached(dims: str, marker: str, dtypes: tuple[Any, ...] | None,
            array: str = "Array") -> Contract:
    key = (dims, marker, dtypes, array)
    contract = _CACHE.get(key)
    if contract is None:
        axes = parse_dims(dims)
        contract = _CACHE[key] = Contract(axes, dims.strip(), marker, dtypes, *_roles(axes),
                                          array=array)
    return contract


# The names users import these modules by, for a type shown as they wrote it.
_MODULE_ALIASES = {"numpy": "np", "tensorflow": "tf"}


def _array_name(array_type: Any) -> str:
    """``np.ndarray``, ``torch.Tensor``, ``tf.Tensor``: an annotation's array type as a user
    writes it; ``Array`` for shapecontract's own, jaxtyping's ``Any`` or a union."""
    # jax.Array calls itself "jaxlib._jax.Array": its last part is the name users write.
    name = array_type.__name__.rpartition(".")[2] if isinstance(array_type, type) else "Array"
    if name == "Array":
        return "Array"
    top = array_type.__module__.partition(".")[0]
    return f"{_MODULE_ALIASES.get(top, top)}.{name}"


def _roles(axes: tuple[Axis, ...]) -> tuple[int | None, int | None, int | None]:
    """Batch is the axis named like a batch, else the first; time the one named like time,
    else the one left over in a rank-3 contract; feature the last axis, unless time is last
    (channels-first data, ``batch feat time``), where it is the one left over."""
    fixed_rank = [i for i, a in enumerate(axes) if a.kind != "variadic"]
    if not axes or len(fixed_rank) != len(axes):
        # A variadic axis leaves the positions open; only the last axis keeps its role.
        last = len(axes) - 1
        feature = last if axes and axes[last].kind != "variadic" else None
        return None, None, feature
    last = len(axes) - 1
    named = {a.name: i for i, a in enumerate(axes) if a.name is not None}
    time = next((named[n] for n in named if n in TIME_NAMES), None)
    if time == last and len(axes) != 3:
        time = None  # (batch, time) of scalars or a 4-D layout: the last axis stays features
    feature = last if time != last else None
    batch = next((named[n] for n in named if n in BATCH_NAMES and named[n] not in (feature, time)),
                 None)
    if batch is None and len(axes) >= 2 and time != 0:
        batch = 0
    rest = [i for i in range(len(axes)) if i not in (batch, time, feature)]
    if len(axes) == 3 and len(rest) == 1:
        if time is None:
            time = rest[0]
        elif feature is None:
            feature = rest[0]
    return batch, time, feature

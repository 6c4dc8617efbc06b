"""The two exceptions shapecontract raises, and how their messages read."""

from __future__ import annotations

from typing import Any


class ContractSyntaxError(ValueError):
    """A contract string that cannot be parsed.

    Raised when the annotation is built or when the function is decorated, never per call.
    ``token`` is the offending piece of the contract, ``contract`` the whole string and
    ``function`` the function being decorated, where it is known.
    """

    def __init__(
        self,
        reason: str,
        *,
        contract: str,
        token: str | None = None,
        function: str | None = None,
    ) -> None:
        self.reason = reason
        self.contract = contract
        self.token = token
        self.function = function
        super().__init__(self._render())

    def with_function(self, function: str) -> ContractSyntaxError:
        """The same error, now naming the function whose annotation holds the contract."""
        return ContractSyntaxError(
            self.reason, contract=self.contract, token=self.token, function=function
        )

    def _render(self) -> str:
        where = f"in the contract of {self.function}(), " if self.function else "in the contract "
        token = f": token {self.token!r}" if self.token is not None else ""
        return f'{where}"{self.contract}"{token}: {self.reason}'


class ShapeContractError(TypeError, ValueError):
    """A value that breaks its contract at a checked boundary.

    Attributes:
        function: the checked function (``"check_shape"`` for direct checks, ``"dims"`` for a
            conflicting ``dims()`` block).
        argument: the parameter name, ``"return"`` (``"return[1]"`` for a tuple element).
        axis: the axis's name where it has one, else its index; None when the whole value
            failed (its rank, dtype or type).
        axis_index: the axis's index, or None.
        expected: what the contract wanted: a size, a number of axes, a dtype, a type.
        actual: what the value had instead.
        origin: where the expected size was bound: an argument, a ``dims()`` block with
            file and line, the contract itself; None where nothing bound it.
        hint: one line of code that fixes it, or None.
        kind: ``"type"``, ``"rank"``, ``"size"``, ``"dtype"``, ``"unbound"``, ``"dims"``, or
            ``"layout"`` (data laid out in another axis order than a module reads); empty
            for an error rebuilt from its message alone.
        value: a short description of the value, such as ``float64[144000, 3] (numpy)``.
        contract: the contract, as written.
        summary: the message's first line, without its ``; fix:`` part.
        details: the message's further lines (the contract, the sizes in force, notes).
    """

    # Inside tf.function, AutoGraph re-raises user errors as StagingError unless told not to.
    ag_pass_through = True

    def __init__(
        self,
        message: str | None = None,
        /,
        *,
        kind: str = "",
        function: str = "",
        argument: str | None = None,
        axis: str | int | None = None,
        axis_index: int | None = None,
        expected: Any = None,
        actual: Any = None,
        origin: str | None = None,
        hint: str | None = None,
        value: str | None = None,
        contract: str | None = None,
        summary: str = "",
        details: tuple[str, ...] = (),
    ) -> None:
        # A lone message is how other libraries re-raise an error they caught elsewhere
        # (a DataLoader worker's, say): the text survives, the fields stay empty.
        self.kind = kind
        self.function = function
        self.argument = argument
        self.axis = axis
        self.axis_index = axis_index
        self.expected = expected
        self.actual = actual
        self.origin = origin
        self.hint = hint
        self.value = value
        self.contract = contract
        self.summary = summary if message is None else message
        self.details = details
        super().__init__(self._render())

    def _render(self) -> str:
        line = self.summary
        if self.hint:
            line += f"; fix: {self.hint}"
        return "\n".join((line, *(f"    {d}" for d in self.details)))

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only __init__: rebuild from the attribute dict when pickled (multiprocessing).
        return (_rebuild, (self.__dict__.copy(),))


# Shown as shapecontract.ShapeContractError in tracebacks: the public name, not the module.
ContractSyntaxError.__module__ = "shapecontract"
ShapeContractError.__module__ = "shapecontract"


def _rebuild(state: dict[str, Any]) -> ShapeContractError:
    fields = ("kind", "function", "argument", "axis", "axis_index", "expected", "actual",
              "origin", "hint", "value", "contract", "summary", "details")
    return ShapeContractError(**{k: state[k] for k in fields})

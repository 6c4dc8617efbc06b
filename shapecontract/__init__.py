"""shapecontract: shape contracts checked at the function boundary.

Write the contract once, as a jaxtyping annotation, and decorate the function:

    from shapecontract import Array, Float, check, dims

    @check
    def window(readings: Float[Array, "rows sensors"], *, steps: int
               ) -> Float[Array, "machines steps sensors"]:
        ...

A value that breaks its contract raises ShapeContractError, which names the function,
argument and axis, the size expected and who set it, the size found, and a fix.
"""

from typing import TYPE_CHECKING

from ._array import Array
from ._check import check, check_shape
from ._contract import Contract
from ._dims import Scope, current_scope, dims
from ._errors import ContractSyntaxError, ShapeContractError

if TYPE_CHECKING:
    # Static checkers see jaxtyping's own markers, which they already understand.
    from jaxtyping import (
        BFloat16,
        Bool,
        Complex,
        Complex64,
        Complex128,
        Float,
        Float16,
        Float32,
        Float64,
        Inexact,
        Int,
        Int8,
        Int16,
        Int32,
        Int64,
        Integer,
        Num,
        Real,
        Shaped,
        UInt,
        UInt8,
        UInt16,
        UInt32,
        UInt64,
    )
else:
    from ._markers import MARKERS as _MARKERS

    globals().update(_MARKERS)
    del _MARKERS

__version__ = "0.1.0"

__all__ = [
    "Array", "BFloat16", "Bool", "Complex", "Complex64", "Complex128", "Contract",
    "ContractSyntaxError", "Float", "Float16", "Float32", "Float64", "Inexact", "Int", "Int8",
    "Int16", "Int32", "Int64", "Integer", "Num", "Real", "Scope", "ShapeContractError", "Shaped",
    "UInt", "UInt8", "UInt16", "UInt32", "UInt64", "check", "check_shape", "current_scope",
    "dims",
]

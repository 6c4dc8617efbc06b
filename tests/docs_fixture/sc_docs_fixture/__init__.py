"""A package annotated with shapecontract, documented by the shape-table tests.

It imports ``models`` so that griffe's inspection (which reads what the package imports)
finds it; the other modules are read from source only.
"""

from . import models

__all__ = ["models"]

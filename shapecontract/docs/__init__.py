"""Shape tables in API docs: a griffe extension for mkdocstrings.

Every function decorated with `@check` gets a **Shape contract** table in its API page: a
row per array parameter and for the return value, with the contract, its axes (and their
batch, time and feature roles), its dtype, and where each size is bound: which argument
sets it, which others must match it, fixed sizes, arithmetic axes such as `sensors+sites`,
and the names only a `dims()` block can give.

A library that annotates its API with shapecontract gets the tables by adding one line,
`- shapecontract.docs`, under the Python handler's `extensions` in its `mkdocs.yml`:

```yaml
plugins:
  - mkdocstrings:
      handlers:
        python:
          options:
            extensions:
              - shapecontract.docs
```

Contracts are read from the source, as mkdocstrings reads the rest, so the documented package
is not imported; `check` and the dtype markers (`Float`, `Float32`, ...) count only when they
are imported from shapecontract or jaxtyping, so a `check` decorator of another library is
left alone. A contract that does not parse leaves the docstring as it is and logs a warning
naming the function: `mkdocs build --strict` then fails, as `@check` would at import.

`import shapecontract` does not import this module, nor griffe.
"""

from ._extension import ShapeContractExtension

__all__ = ["ShapeContractExtension"]

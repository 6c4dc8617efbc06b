"""Load a saved model for the command: a Keras ``.keras`` file, a TorchScript file, or a
module pickled with ``torch.save(module)``, recognised by content.

The framework is imported only once the file says which one it needs.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ._cli_progress import import_framework
from ._loading import Unreadable, existing, one_line, sniff
from ._quiet import quiet

Framework = Literal["keras", "torch"]

_READS = ("a Keras .keras file, a TorchScript file (torch.jit.script(m).save(path)) or a "
          "module saved with torch.save(module)")


@dataclass(frozen=True)
class LoadedModel:
    framework: Framework
    model: Any
    path: pathlib.Path
    saved_as: str  # "a .keras file", "TorchScript", "torch.save(module)"

    def describe(self) -> str:
        """``Keras model 'forecaster' (Sequential)``, ``torch module Forecaster (TorchScript)``."""
        if self.framework == "keras":
            return f"Keras model '{self.model.name}' ({type(self.model).__name__})"
        name = getattr(self.model, "original_name", None) if self.saved_as == "TorchScript" \
            else None
        return f"torch module {name or type(self.model).__name__} ({self.saved_as})"


def load_model(path: str) -> LoadedModel:
    """The model saved at ``path``, or Unreadable saying why not."""
    found = existing(path, "MODEL")
    kind, words = sniff(found)
    if kind in ("keras", "keras-h5"):
        return LoadedModel("keras", _load_keras(found, kind, words), found,
                           "a .keras file" if kind == "keras" else "a legacy .h5 file")
    if kind == "torchscript":
        torch = _framework("PyTorch", "torch", found)
        with quiet():
            try:
                module = torch.jit.load(str(found), map_location="cpu")
            except Exception as exc:  # a damaged archive raises whatever torch's reader hits
                raise Unreadable(f"MODEL {path}: TorchScript could not load it: "
                                 f"{one_line(exc)}") from None
        return LoadedModel("torch", module, found, "TorchScript")
    if kind == "torch":
        return LoadedModel("torch", _load_pickled(found), found, "torch.save(module)")
    if kind in ("npy", "npz"):
        raise Unreadable(f"MODEL {path} is {words}: data, not a model (the model comes "
                         f"first: shapecontract check MODEL DATA)")
    raise Unreadable(f"MODEL {path} is {words}, not a saved model; shapecontract reads "
                     f"{_READS}")


def _framework(name: str, module: str, found: pathlib.Path) -> Any:
    try:
        return import_framework(name, module, transient=True)
    except ImportError:
        extra = "tensorflow" if module == "keras" else "torch"
        raise Unreadable(f"MODEL {found} needs {module}, which is not installed (pip install "
                         f"'shapecontract[{extra}]')") from None


def _load_keras(found: pathlib.Path, kind: str, words: str) -> Any:
    keras = _framework("Keras", "keras", found)
    suffixes = (".keras",) if kind == "keras" else (".h5", ".hdf5")
    if kind == "keras-h5" and found.suffix not in suffixes:
        raise Unreadable(f"MODEL {found} is {words}; if it is a Keras model in the legacy "
                         f"format, name it with .h5, or re-save it as .keras")
    with _named(found, suffixes[0]) as named, quiet():
        try:
            return keras.saving.load_model(named)
        except Exception as first:  # whatever Keras raised: reported below, in one line
            try:
                # A custom loss or metric that is not registered: the model itself still loads.
                return keras.saving.load_model(named, compile=False)
            except Exception:
                raise Unreadable(f"MODEL {found}: Keras could not load it: "
                                 f"{one_line(first)}") from None


@contextlib.contextmanager
def _named(found: pathlib.Path, suffix: str) -> Iterator[str]:
    """The path under a name Keras accepts: Keras goes by the suffix, this command by the
    content, so a .keras archive saved as ``model.zip`` is linked as ``model.keras``."""
    if found.suffix == suffix:
        yield str(found)
        return
    with tempfile.TemporaryDirectory(prefix="shapecontract-") as tmp:
        link = pathlib.Path(tmp) / (found.stem + suffix)
        try:
            link.symlink_to(found.resolve())
        except OSError:
            link.write_bytes(found.read_bytes())
        yield str(link)


@contextlib.contextmanager
def _importable_from_cwd() -> Iterator[None]:
    """A pickled module names its class by module path: look for that module from the
    current directory too, as ``python -m`` would."""
    cwd = os.getcwd()
    added = "" not in sys.path and cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        yield
    finally:
        if added:
            sys.path.remove(cwd)


def _load_pickled(found: pathlib.Path) -> Any:
    torch = _framework("PyTorch", "torch", found)
    # weights_only=False unpickles the module's class: this runs code from the file, as
    # torch.load does; only check files you trust.
    with _importable_from_cwd(), quiet():
        try:
            loaded = torch.load(str(found), map_location="cpu", weights_only=False)
        except (AttributeError, ModuleNotFoundError) as exc:
            raise Unreadable(_class_missing(found, exc)) from None
        except Exception as exc:  # a damaged archive raises whatever the unpickler hits
            raise Unreadable(f"MODEL {found}: torch.load could not read it: "
                             f"{one_line(exc)}") from None
    if isinstance(loaded, torch.nn.Module):
        return loaded
    if isinstance(loaded, dict) and loaded and all(isinstance(v, torch.Tensor)
                                                   for v in loaded.values()):
        raise Unreadable(
            f"MODEL {found} holds a state_dict ({len(loaded)} tensors by name), not a module: "
            f"weights alone do not say the layout; save the module (torch.save(model)) or a "
            f"TorchScript file (torch.jit.script(model).save(path))"
        )
    raise Unreadable(f"MODEL {found} holds a {type(loaded).__module__}."
                     f"{type(loaded).__qualname__}, not a torch.nn.Module")


def _class_missing(found: pathlib.Path, exc: BaseException) -> str:
    fix = ("save it as TorchScript instead (torch.jit.script(model).save(path)), which "
           "needs no class to load")
    if isinstance(exc, ModuleNotFoundError):
        return (f"MODEL {found} was pickled with torch.save(module), whose class is in "
                f"module '{exc.name}', which cannot be imported here: run from the directory "
                f"that holds it or add it to PYTHONPATH, or {fix}")
    text = one_line(exc)
    if "__main__" in text:
        return (f"MODEL {found} was pickled with torch.save(module) from a script, and its "
                f"class lives in that script's __main__, which cannot be imported here: "
                f"define the class in a module, or {fix}")
    return f"MODEL {found}: torch.load could not find the module's class ({text}); {fix}"

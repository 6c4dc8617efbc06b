"""What a file holds, told from its content, not its name; shared by the command's loaders.

A ``.keras`` model is a zip with ``config.json``; ``torch.save`` writes a zip with
``<name>/data.pkl``; a TorchScript file is a zip with ``<name>/code/`` and
``<name>/constants.pkl``; ``.npz`` is a zip of ``.npy`` files; ``.npy`` starts with
``\\x93NUMPY``. Nothing here imports a framework.
"""

from __future__ import annotations

import pathlib
import re
import zipfile
from typing import Literal

Kind = Literal["keras", "keras-h5", "torchscript", "torch", "npy", "npz", "text", "unknown"]

_HDF5 = b"\x89HDF\r\n\x1a\n"
# torch.save's format before torch 1.6 (and with _use_new_zipfile_serialization=False): a
# pickle that starts with this magic number.
_TORCH_LEGACY = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"


class Unreadable(Exception):
    """A file the command cannot use, and why, in one line (exit status 2)."""


def existing(path: str, role: str) -> pathlib.Path:
    """The path, or Unreadable saying it is missing or is a directory."""
    found = pathlib.Path(path)
    if not found.exists():
        raise Unreadable(f"{role} {path}: no such file")
    if found.is_dir():
        if (found / "saved_model.pb").exists():
            raise Unreadable(
                f"{role} {path} is a TensorFlow SavedModel directory, which Keras 3 does not "
                f"load as a model: save it with model.save('model.keras')"
            )
        raise Unreadable(f"{role} {path} is a directory, not a file")
    return found


def sniff(path: pathlib.Path) -> tuple[Kind, str]:
    """What the file is, and the same in words for messages (``a zip of 3 files: ...``)."""
    try:
        with path.open("rb") as f:
            head = f.read(64)
    except OSError as exc:
        raise Unreadable(f"{path}: {exc.strerror or exc}") from None
    if head.startswith(b"\x93NUMPY"):
        return "npy", "a numpy .npy array"
    if head.startswith(_HDF5):
        return "keras-h5", "an HDF5 file"
    if head.startswith(_TORCH_LEGACY):
        return "torch", "a torch.save file (legacy format)"
    if zipfile.is_zipfile(path):
        return _sniff_zip(path)
    if not head:
        return "unknown", "an empty file"
    if _is_text(head):
        return "text", "a text file"
    if head.startswith(b"\x80"):
        return "unknown", "a Python pickle"
    return "unknown", f"a file that starts with {head[:8]!r}"


def _sniff_zip(path: pathlib.Path) -> tuple[Kind, str]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        return "unknown", f"a damaged zip archive ({exc})"
    top = {name.split("/", 1)[1] if "/" in name else name for name in names}
    if "config.json" in names and ("model.weights.h5" in names or "metadata.json" in names):
        return "keras", "a Keras .keras archive"
    if "constants.pkl" in top and any(name.startswith("code/") for name in top):
        return "torchscript", "a TorchScript archive"
    if "data.pkl" in top:
        return "torch", "a torch.save archive"
    if names and all(name.endswith(".npy") for name in names):
        return "npz", "a numpy .npz archive"
    shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
    return "unknown", f"a zip archive of {len(names)} files ({shown or 'none'})"


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at byte 64 is still text.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return b"\x00" not in head


_PREFIX = re.compile(r"^[\w.]+\(\): ")


def one_line(exc: BaseException) -> str:
    """An exception's message as one line, without a leading ``preflight(): `` and Keras'
    terminal colours."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    text = _PREFIX.sub("", text)
    if len(text) > 300:
        text = text[:297] + "..."
    return text or type(exc).__name__

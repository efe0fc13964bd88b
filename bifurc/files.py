"""Writing files: atomically (a temporary file in the same folder, then
``os.replace``, so an interrupted write never leaves a half-written or
corrupted file behind) and with the usual permissions (0666 minus the
process's umask, typically 0644; temporary files start as 0600).
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path
from typing import Callable


@functools.cache
def _umask() -> int:
    """The process's umask, read once (os.umask sets it, so reading it is not
    thread-safe: do it before threads write files)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path, write: Callable, mode: str = "w") -> Path:
    """Call ``write(stream)`` on a temporary file next to ``path`` (text mode
    "w" or binary "wb"), then move it onto ``path``. Creates the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, mode) as stream:
            write(stream)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_write(path, lambda stream: stream.write(text), "w")


def write_json(path, data, indent: int = 1) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (floats by their shortest
    round-trip repr, so numbers are kept exactly)."""
    return atomic_write(path, lambda stream: json.dump(data, stream, indent=indent), "w")


__all__ = ["atomic_write", "write_text", "write_json"]

_umask()  # read at import, before any thread writes

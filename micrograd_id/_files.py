"""Writing files whole or not at all: write a temporary file, then rename it.

Every error names the user's path and the reason, never the temporary file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], content: str | bytes) -> Path:
    """Write str or bytes to path atomically; return the path as a Path.

    A crash or an error mid-write leaves any earlier file untouched and no
    half-written one behind.
    """
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = _temporary_beside(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename, so a power cut cannot leave it empty
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as problem:
        _remove(tmp)
        raise _about(path, problem) from None
    except BaseException:
        _remove(tmp)
        raise
    return path


def check_writable(path):
    """Raise the error write_atomic would give if path cannot be written; write nothing.

    Lets a command refuse before a long computation rather than after it.
    """
    path = Path(path)
    fd, tmp = _temporary_beside(path)
    os.close(fd)
    _remove(tmp)
    return path


def _temporary_beside(path):
    """(fd, name) of a new temporary file in path's folder, so the final rename stays on one disk."""
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    try:
        return tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except PermissionError:
        raise PermissionError(f"cannot write {path}: folder {folder} is not writable") from None
    except OSError as problem:
        raise _about(path, problem) from None


def _about(path, problem):
    """The same kind of error, saying which of the user's files and why, without the temp file's name."""
    reason = problem.strerror or str(problem)
    return type(problem)(f"cannot write {path}: {reason}")


def _remove(tmp):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)

"""Writing files whole or not at all: write a temporary file, then rename it."""

import os
import tempfile
from pathlib import Path


def write_atomic(path, content):
    """Write str or bytes to path atomically; return the path as a Path.

    A crash or an error mid-write leaves any earlier file untouched and no
    half-written one behind.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except PermissionError:
        raise PermissionError(f"cannot write {path}: folder {folder} is not writable") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename, so a power cut cannot leave it empty
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path

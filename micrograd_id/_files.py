"""Writing files whole or not at all, and text that other programs read safely.

``write_atomic`` writes a temporary file beside the target, then renames it
over the target: a reader sees the old file or the new one, never half of
one. It behaves like a careful ``>`` redirection: a symbolic link is
followed (its target is replaced, the link stays), an existing file keeps
its permission bits, a new one gets those the umask allows, and a target
that is not a regular file (a folder, a named pipe, a device such as
/dev/null) is refused rather than replaced by a file. Every error names
the user's path and the reason, never the temporary file.

``spreadsheet_cell`` and ``strict_json`` shape what goes into a CSV or a
JSON file; ``from_spreadsheet_cell`` and ``from_strict_json`` undo them.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import stat
from pathlib import Path
from typing import Any

# How a target that is not a regular file is described in the error.
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def write_atomic(path: str | os.PathLike[str], content: str | bytes) -> Path:
    """Write str (as UTF-8) or bytes to path atomically; return the path as given, as a Path.

    A crash or an error mid-write leaves any earlier file untouched and no
    half-written one behind. Raises OSError (FileNotFoundError,
    PermissionError, IsADirectoryError, ...) naming ``path``.
    """
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    target, existing = _regular_target(path)
    fd, tmp = _temporary_beside(path, target)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename, so a power cut cannot leave it empty
        if existing is not None:
            _copy_permissions(existing, tmp)
        os.replace(tmp, target)
    except OSError as problem:
        _remove(tmp)
        raise _about(path, problem) from None
    except BaseException:
        _remove(tmp)
        raise
    _sync_folder(target.parent)
    return path


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Raise the error write_atomic would give if path cannot be written; write nothing.

    Lets a command refuse before a long computation rather than after it.
    """
    path = Path(path)
    target, _ = _regular_target(path)
    fd, tmp = _temporary_beside(path, target)
    os.close(fd)
    _remove(tmp)
    return path


def _regular_target(path: Path) -> tuple[Path, os.stat_result | None]:
    """(the file to replace, its stat or None if it does not exist yet), links followed.

    Refuses a target that is not a regular file: renaming over a pipe or a
    device would replace it by a plain file (as root, /dev/null itself).
    """
    target = Path(os.path.realpath(path))
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        return target, None
    except OSError as problem:
        raise _about(path, problem) from None
    if not stat.S_ISREG(existing.st_mode):
        kind = next((name for is_kind, name in _KINDS if is_kind(existing.st_mode)), "not a regular file")
        via = f" (a link to {target})" if os.path.islink(path) else ""
        error = IsADirectoryError if stat.S_ISDIR(existing.st_mode) else OSError
        raise error(f"cannot write {path}{via}: it is {kind}, not a regular file")
    return target, existing


def _temporary_beside(path: Path, target: Path) -> tuple[int, str]:
    """(fd, name) of a new empty file in target's folder, so the final rename stays on one disk.

    Made with mode 0o666, so the umask decides a new file's permissions as it
    would for any program's output (mkstemp's 0o600 would hide it from others).
    """
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    for _ in range(100):
        tmp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), str(tmp)
        except FileExistsError:
            continue
        except PermissionError:
            raise PermissionError(f"cannot write {path}: folder {folder} is not writable") from None
        except OSError as problem:
            raise _about(path, problem) from None
    raise FileExistsError(f"cannot write {path}: no free temporary name in {folder}")


def _copy_permissions(existing: os.stat_result, tmp: str) -> None:
    """Give the new file the old one's permission bits (and owner and group, where allowed)."""
    if hasattr(os, "chown"):  # POSIX
        with contextlib.suppress(OSError):  # only root may give a file away; others keep their own
            os.chown(tmp, existing.st_uid, existing.st_gid)
    os.chmod(tmp, stat.S_IMODE(existing.st_mode))  # after chown, which clears set-id bits


def _sync_folder(folder: Path) -> None:
    """Flush the rename itself to disk (POSIX); a folder cannot be opened on Windows: skip there."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _about(path: Path, problem: OSError) -> OSError:
    """The same kind of error, saying which of the user's files and why, without the temp file's name."""
    reason = problem.strerror or str(problem)
    return type(problem)(f"cannot write {path}: {reason}")


def _remove(tmp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


# ----- what goes into the files -----------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a leading quote.

    A cell such as ``=HYPERLINK(...)`` would run as a formula when the CSV is
    opened in a spreadsheet. Numbers (``-0.5``, ``-inf``) stay as they are;
    a cell that already starts with ``'`` gets one more, so
    ``from_spreadsheet_cell`` gives back exactly the text written.
    """
    if text.startswith("'") or (text.startswith(_FORMULA_STARTS) and not _is_number(text)):
        return "'" + text
    return text


def from_spreadsheet_cell(text: str) -> str:
    """The text ``spreadsheet_cell`` was given."""
    return text[1:] if text.startswith("'") else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def strict_json(value: Any, **options: Any) -> str:
    """JSON that every parser accepts: nan, inf and -inf are written as the strings "nan", "inf", "-inf".

    (Python's json module writes NaN and Infinity, which are not JSON.)
    """
    return json.dumps(_finite_or_named(value), allow_nan=False, **options)


def from_strict_json(value: Any) -> Any:
    """Undo ``strict_json``'s naming in parsed JSON: the strings "nan", "inf", "-inf" become floats again."""
    if isinstance(value, str):
        return _NON_FINITE.get(value, value)
    if isinstance(value, list):
        return [from_strict_json(v) for v in value]
    if isinstance(value, dict):
        return {k: from_strict_json(v) for k, v in value.items()}
    return value


def _finite_or_named(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (list, tuple)):
        return [_finite_or_named(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite_or_named(v) for k, v in value.items()}
    return value

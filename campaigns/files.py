"""Private, whole files: what the service writes holds phone numbers.

Every file is created owner-only (0600, directories 0700) and written to a
temporary name in its own directory, then renamed over the target with
``os.replace``: a reader (a download, another replica) sees the old file,
the new one, or nothing, never a part.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
PRIVATE_UMASK = 0o077


def private_umask() -> int:
    """Make files this process creates owner-only; returns the old umask.
    The server and its workers call it once at start-up, so files written by
    libraries (SQLite's WAL, pyarrow, matplotlib) are private too."""
    return os.umask(PRIVATE_UMASK)


def private_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` and its missing parents created 0700; an existing ``path``
    is narrowed to 0700 (parents that already exist are left alone)."""
    p = Path(path)
    p.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _narrow(p, DIR_MODE)
    return p


def _narrow(path: str | os.PathLike[str], mode: int) -> None:
    """chmod, except on a file another user owns (a shared folder): that
    one keeps the mode its owner gave it."""
    with suppress(PermissionError):
        os.chmod(path, mode)


def temp_name(target: str | os.PathLike[str]) -> Path:
    """A fresh temporary name beside ``target`` (same directory, so the
    final ``os.replace`` is atomic); it starts with a dot and ends ``.tmp``."""
    t = Path(target)
    return t.with_name(f".{t.name}.{secrets.token_hex(6)}.tmp")


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write ``target`` through; on success it is
    made 0600 and renamed over ``target``, on error it is removed."""
    tmp = temp_name(target)
    try:
        yield tmp
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(target: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` to ``target`` whole (0600, temp name + rename)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(target) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())


def create_private_file(path: str | os.PathLike[str]) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist, and narrow
    an existing one to 0600 (a database file made before this release)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        os.close(fd)
    except FileExistsError:
        _narrow(path, FILE_MODE)

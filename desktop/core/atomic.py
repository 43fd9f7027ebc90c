"""Output files written aside and renamed into place.

A file the program writes (``--output`` of ``check`` and ``ingest``, exports) is first written to
a temporary file in the same folder, flushed to disk, and then renamed over the target with
``os.replace`` (atomic on POSIX and Windows). A full disk, a crash or a kill while writing leaves
the previous file whole and no partial one; the temporary file is removed on failure.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal, overload

from desktop.core.errors import InputError


@overload
def atomic_output(
    path: str | Path, mode: Literal["w"] = "w", *, encoding: str = "utf-8"
) -> contextlib.AbstractContextManager[IO[str]]: ...
@overload
def atomic_output(
    path: str | Path, mode: Literal["wb"], *, encoding: str = "utf-8"
) -> contextlib.AbstractContextManager[IO[bytes]]: ...
def atomic_output(path: str | Path, mode: str = "w", *, encoding: str = "utf-8") -> (
    contextlib.AbstractContextManager[IO[str]] | contextlib.AbstractContextManager[IO[bytes]]
):
    """A file object to write ``path`` through: the content replaces ``path`` only when the
    ``with`` block ends without an exception. ``mode`` is ``"w"`` (text, ``\\n`` kept as is) or
    ``"wb"``. Raises ``InputError`` naming ``path`` when it cannot be written."""
    return _atomic_output(Path(path), mode, encoding)


@contextlib.contextmanager
def _atomic_output(path: Path, mode: str, encoding: str) -> Iterator[IO[str] | IO[bytes]]:
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    folder = path.parent
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        if mode == "w":
            handle: IO[str] | IO[bytes] = os.fdopen(fd, "w", encoding=encoding, newline="")
        else:
            handle = os.fdopen(fd, "wb")
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _keep_mode(path, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _keep_mode(path: Path, tmp: Path) -> None:
    # mkstemp makes the file 0600; the file replaced keeps its permissions, a new file gets the
    # ones open() would have given it (0666 less the umask).
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    os.chmod(tmp, mode)


def _umask() -> int:
    # Read, not set-and-restore: os.umask changes the whole process, and the app writes from
    # worker threads.
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def write_text_atomic(path: str | Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (see the module)."""
    with atomic_output(path, "w", encoding=encoding) as handle:
        handle.write(text)


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (see the module)."""
    with atomic_output(path, "wb") as handle:
        handle.write(data)

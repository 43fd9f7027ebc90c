"""Reading small input files (zones, watch lists) that must be regular files.

A FIFO, a device or a socket given where a file is expected would block ``open()`` or ``read()``
for ever (a FIFO waits for a writer; ``/dev/zero`` never ends). ``read_regular_file`` opens
without blocking, checks on the open descriptor that it is a regular file, and only then reads.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from desktop.core.errors import InputError
from desktop.core.textsafe import printable_path

_KINDS: Final = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str:
    """'a FIFO (named pipe)', 'a character device', ... for a ``st_mode`` that is not a file."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def read_regular_file(path: str | Path, what: str, *, label: str | None = None) -> bytes:
    """The bytes of ``path``; ``InputError`` naming it (as ``label``, default the path) and saying
    "cannot read ``what``" when it cannot be read or is not a regular file (see the module)."""
    name = label or printable_path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputError(f"{name}: cannot read {what} ({exc.strerror or exc})") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(
                f"{name}: cannot read {what}: it is {kind_of(mode)}, not a regular file"
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    except OSError as exc:
        raise InputError(f"{name}: cannot read {what} ({exc.strerror or exc})") from exc
    finally:
        os.close(fd)

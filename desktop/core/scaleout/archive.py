"""The ``ArchiveSlice`` of an archive (DESIGN.md §8) for a screening: the files its manifest
lists for the days the local path reads, so that both paths read exactly the same data."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from desktop.core.scaleout.layout import ArchiveSlice


def _base(archive: str) -> str:
    """The archive's address as every worker must see it: a URL as given, a folder made
    absolute (a worker's working directory is not the client's)."""
    return archive.rstrip("/") if "://" in archive else os.path.abspath(archive)


def archive_slice(
    archive: str,
    as_of: datetime,
    window_days: float,
    storage_options: Mapping[str, Any] | None = None,
) -> ArchiveSlice:
    """The files of the days ``desktop.core.archive.read.load_for_screening`` reads as of
    ``as_of`` (``day_range``), as the manifest lists them, with the manifest's reports for
    the JSON's ``inputs``. Static records are read on a worker by the archive's own reader
    (``ArchiveSlice.archive``), undated ones included, exactly as the local path reads them."""
    from desktop.core.archive.read import _reports, day_range, open_reader

    options = dict(storage_options or {})
    reader = open_reader(archive, options)
    first, last = day_range(as_of, window_days)
    base = _base(archive)
    fixes: dict[date, tuple[str, ...]] = {}
    sizes: dict[date, int] = {}
    for day, part in sorted(reader.manifest["fixes"].items()):
        if first <= day <= last:
            fixes[date.fromisoformat(day)] = (f"{base}/{part['path']}",)
            sizes[date.fromisoformat(day)] = int(part.get("bytes") or 0)
    return ArchiveSlice(
        date.fromisoformat(first), date.fromisoformat(last), fixes, {}, options,
        tuple(_reports(reader.manifest, first, last)), sizes, archive=base,
    )

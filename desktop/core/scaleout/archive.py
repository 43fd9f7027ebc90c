"""The ``ArchiveSlice`` of an archive (DESIGN.md §8) for a screening: the files its manifest
lists for the days the local path reads, so that both paths read exactly the same data; and
``screen_archive_on_dask``, the Dask twin of ``desktop.core.archive.screen.screen_archive``
(with a vessel selection too)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from desktop.core.params import DEFAULT_PARAMS, ScreeningParams
from desktop.core.scaleout.layout import ArchiveSlice

if TYPE_CHECKING:
    from distributed import Client

    from desktop.core.archive.read import VesselList
    from desktop.core.scaleout.engine import EngineOptions, TaskProgress
    from desktop.core.screening import ScreeningResult
    from desktop.core.watchlist import Watchlist
    from desktop.core.zones import ZoneSet


def _base(archive: str) -> str:
    """The archive's address as every worker must see it: a URL as given, a folder made
    absolute (a worker's working directory is not the client's)."""
    return archive.rstrip("/") if "://" in archive else os.path.abspath(archive)


def archive_slice(
    archive: str,
    as_of: datetime,
    window_days: float,
    storage_options: Mapping[str, Any] | None = None,
    *,
    first_day: str | None = None,
    last_day: str | None = None,
) -> ArchiveSlice:
    """The files of the days ``desktop.core.archive.read.load_for_screening`` reads as of
    ``as_of`` (``day_range``, or ``first_day``..``last_day``, ISO dates, as it takes them),
    as the manifest lists them, with the manifest's reports for the JSON's ``inputs``. Static
    records are read on a worker by the archive's own reader (``ArchiveSlice.archive``),
    undated ones included, exactly as the local path reads them."""
    from desktop.core.archive.read import _reports, day_range, open_reader

    options = dict(storage_options or {})
    reader = open_reader(archive, options)
    first, last = day_range(as_of, window_days)
    first, last = first_day or first, last_day or last
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


def select_on_dask(
    client: Client,
    archive: ArchiveSlice,
    selection: VesselList,
    params: ScreeningParams = DEFAULT_PARAMS,
    *,
    progress: TaskProgress | None = None,
    cancel: Callable[[], bool] | None = None,
    options: EngineOptions | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The vessels a screening of ``selection`` needs (sorted MMSIs: the listed vessels, their
    neighbours and their neighbours' neighbours), the listed vessels found (sorted MMSIs), and
    the list entries found nowhere: ``load_for_screening``'s search, one task per block of
    days (``engine.day_blocks``) and hop, on the cluster."""
    from desktop.core.archive.read import _around
    from desktop.core.scaleout import tasks
    from desktop.core.scaleout.engine import EngineOptions, _Tracker, day_blocks, fit_to_memory

    options = options or EngineOptions()
    run = _Tracker(client, options, progress, cancel)
    try:
        [(listed, missing)] = run.gather(
            [run.submit(tasks.resolve_selection, archive, selection, key="selection")],
            "finding the listed vessels",
        )
        workers = client.scheduler_info().get("workers", {})
        n_workers = max(1, len(workers))
        options = fit_to_memory(options, workers)  # day runs that fit the workers' limit
        blocks = day_blocks(archive, params, options.days_per_task, options.block_bytes,
                            n_workers)  # fmt: skip
        have = np.unique(listed.astype("int64"))
        frontier = have
        for hop in (1, 2):
            if not len(frontier):
                break
            stage = ("finding the counterparts" if hop == 1
                     else "finding the counterparts of the counterparts")  # fmt: skip
            keys = run.gather([
                run.submit(tasks.near_keys, archive, a, b, frontier, hop,
                           key=f"near-keys-{hop}-{a}-{b}")
                for a, b in blocks
            ], stage)
            cells = _around(np.unique(np.concatenate(keys))) if keys else np.zeros(0, "int64")
            found = run.gather([
                run.submit(tasks.near_vessels, archive, a, b, cells, hop,
                           key=f"near-vessels-{hop}-{a}-{b}")
                for a, b in blocks
            ], stage)
            near = np.unique(np.concatenate(found)) if found else np.zeros(0, "int64")
            frontier = np.setdiff1d(near, have)
            have = np.union1d(have, frontier)
    finally:
        run.release()
    return have, listed, missing


def screen_archive_on_dask(
    client: Client,
    archive: str,
    zones: ZoneSet | None = None,
    params: ScreeningParams = DEFAULT_PARAMS,
    as_of: datetime | date | None = None,
    *,
    vessels: VesselList | str | Path | None = None,
    watchlist: Watchlist | None = None,
    storage_options: dict[str, Any] | None = None,
    first_day: str | None = None,
    last_day: str | None = None,
    progress: TaskProgress | None = None,
    cancel: Callable[[], bool] | None = None,
    warn: Callable[[str], None] | None = None,
    options: EngineOptions | None = None,
) -> ScreeningResult:
    """``screen_archive`` on the cluster of ``client``: the same result, byte for byte in
    JSON. With ``vessels`` the search for the vessels their verdicts depend on runs first
    (``select_on_dask``), the screening reads only those, and only the listed vessels'
    verdicts and events are kept; ``warn`` receives one line per listed vessel that is not in
    the archive, worded as ``screen_archive`` words it."""
    from desktop.core.archive.read import VesselList, read_vessel_list
    from desktop.core.scaleout.engine import EngineOptions, screen_on_dask
    from desktop.core.screening import normalise_as_of

    moment = normalise_as_of(as_of)
    options = options or EngineOptions()
    selection = vessels if isinstance(vessels, VesselList) or vessels is None else (
        read_vessel_list(vessels)
    )
    cut = archive_slice(archive, moment, params.window_days, storage_options,
                        first_day=first_day, last_day=last_day)  # fmt: skip
    listed: set[int] | None = None
    if selection is not None:
        wanted, found, missing = select_on_dask(
            client, cut, selection, params, progress=progress, cancel=cancel, options=options
        )
        if warn is not None:
            for entry in missing:
                warn(f"{entry}: not in the archive between {cut.first_day} and {cut.last_day}")
        cut = replace(cut, vessels=tuple(int(m) for m in wanted))
        listed = {int(m) for m in found}
    result = screen_on_dask(
        client, cut, zones, params, moment, watchlist=watchlist, progress=progress,
        cancel=cancel, options=options,
    )
    if listed is None:
        return result
    return replace(
        result,
        verdicts=[v for v in result.verdicts if v.mmsi in listed],
        events=[e for e in result.events if e.mmsi in listed],
    )

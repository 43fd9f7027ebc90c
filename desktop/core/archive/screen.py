"""Screening an archive: ``load_for_screening`` then the one ``screen`` function.

With a vessel selection the screening runs over the listed vessels and the vessels their
verdicts depend on (counterparts, and the counterparts' counterparts); only the listed
vessels' verdicts are kept in the result, so the output lists exactly the vessels asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from desktop.core.archive.read import VesselList, load_for_screening, read_vessel_list
from desktop.core.params import DEFAULT_PARAMS, ScreeningParams
from desktop.core.screening import Progress, ScreeningResult, normalise_as_of, screen
from desktop.core.watchlist import Watchlist
from desktop.core.zones import ZoneSet


def screen_archive(
    archive: str,
    zones: ZoneSet | None = None,
    params: ScreeningParams = DEFAULT_PARAMS,
    as_of: datetime | date | None = None,
    *,
    vessels: VesselList | str | Path | None = None,
    watchlist: Watchlist | None = None,
    storage_options: dict[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    warn: Callable[[str], None] | None = None,
) -> ScreeningResult:
    """Screen the archive at ``archive`` as of ``as_of`` (see the module docstring).
    ``vessels``: a ``VesselList`` or the path of a list file (``read_vessel_list``); ``warn``
    receives one line per listed vessel that is not in the archive."""
    moment = normalise_as_of(as_of)
    selection = vessels if isinstance(vessels, VesselList) or vessels is None else (
        read_vessel_list(vessels)
    )

    def loading(fraction: float, what: str) -> None:
        if progress is not None:
            progress(0.5 * fraction, what)

    def detecting(fraction: float, what: str) -> None:
        if progress is not None:
            progress(0.5 + 0.5 * fraction, what)

    data = load_for_screening(
        archive, moment, params.window_days, selection, storage_options=storage_options,
        progress=loading, cancel=cancel,
    )
    if warn is not None:
        for entry in data.not_found:
            warn(f"{entry}: not in the archive between {data.days[0]} and {data.days[1]}")
    result = screen(
        data, zones, params, moment, progress=detecting, cancel=cancel, watchlist=watchlist
    )
    if data.listed is None:
        return result
    listed = data.listed
    return replace(
        result,
        verdicts=[v for v in result.verdicts if v.mmsi in listed],
        events=[e for e in result.events if e.mmsi in listed],
    )

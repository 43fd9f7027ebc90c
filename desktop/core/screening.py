"""The one screening function (DESIGN.md §5): files or fixes -> events -> verdicts.

``screen`` is what the CLI, the GUI and any batch path call, so they cannot disagree. It
truncates the data at ``as_of`` first (fixes and static records at or before ``as_of``), then
runs every detector, then the rule: a call in progress at ``as_of`` is an ``ongoing`` call,
exactly as if the data ended there.

``as_of``: an aware ``datetime`` (converted to UTC), a ``date`` (00:00 UTC of that day), or
None for now (UTC). A naive ``datetime`` is refused (``ParameterError``): the core never
guesses a time zone (the CLI's ``--as-of`` takes a zone-less time as UTC, ``parse_as_of``).

Choices: every vessel of the input gets a verdict, including one whose fixes all come after
``as_of`` (it is clear: nothing is known of it yet). Static records without a time are left
out of the identity test. ``to_json`` gives each input exactly the keys of DESIGN.md §6
(``path``, ``format``, ``lines``, ``fixes``, ``rejected``); the full per-file report stays in
``ingest.reports``. ``events`` holds everything the detectors found, for the map; every event
is also one of its vessel's reasons, with the effect the rule gave it (``desktop.core.rule``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from desktop.core.coverage import NO_FIX, data_end_of, data_end_warning, vessel_coverage
from desktop.core.detect.flag import detect_kp_flag
from desktop.core.detect.gap_evidence import with_gap_evidence
from desktop.core.detect.gaps import detect_gaps
from desktop.core.detect.geo import time_ns, to_ns
from desktop.core.detect.identity import detect_identity_changes
from desktop.core.detect.loitering import detect_loitering, drop_sts_candidates
from desktop.core.detect.port_calls import detect_port_visits
from desktop.core.detect.sts import detect_encounters
from desktop.core.detect.watchlist import detect_watchlist_hits
from desktop.core.detect.waters import detect_waters_presence
from desktop.core.errors import Cancelled, ParameterError
from desktop.core.fixes import empty_fixes
from desktop.core.flags import flags_of
from desktop.core.ingest.base import STATIC_COLUMNS
from desktop.core.ingest.result import FileReport, IngestResult
from desktop.core.model import Coverage, Event, VesselVerdict, iso_utc
from desktop.core.params import DEFAULT_PARAMS, ScreeningParams
from desktop.core.rule import VesselInfo, apply_rule
from desktop.core.watchlist import Watchlist
from desktop.core.zones import ZONE_COLUMNS, ZoneSet

SCHEMA = "exposure-check/1"
Progress = Callable[[float, str], None]
KnownPorts = tuple[np.ndarray, np.ndarray]


# Times are nanoseconds since 1970 in int64 throughout (pandas' datetime64[ns]): as_of must lie
# in that span, with room for the look-back windows of the rule.
AS_OF_MIN: Final = datetime(1678, 1, 1, tzinfo=UTC)
AS_OF_MAX: Final = datetime(2262, 4, 11, tzinfo=UTC)
AS_OF_RANGE: Final = f"{AS_OF_MIN:%Y-%m-%d} to {AS_OF_MAX:%Y-%m-%d} 00:00 UTC"


def _in_range(moment: datetime, shown: str) -> datetime:
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset
        utc = datetime.min.replace(tzinfo=UTC)
    if not AS_OF_MIN <= utc <= AS_OF_MAX:
        raise ParameterError(
            f"as-of {shown} is outside the supported range {AS_OF_RANGE} (pandas' nanosecond "
            "times span 1677-09-21 to 2262-04-11; the rule needs room for its look-back windows)"
        )
    return utc


def normalise_as_of(as_of: datetime | date | None) -> datetime:
    """``as_of`` as an aware UTC datetime (see the module docstring); ``ParameterError`` when it
    lies outside ``AS_OF_MIN`` .. ``AS_OF_MAX``."""
    if as_of is None:
        return datetime.now(UTC)
    if isinstance(as_of, datetime):
        if as_of.tzinfo is None:
            raise ParameterError(f"as_of {as_of.isoformat()} has no time zone (give UTC)")
        return _in_range(as_of, as_of.isoformat())
    if isinstance(as_of, date):
        return _in_range(datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC),
                         as_of.isoformat())
    raise ParameterError(f"as_of must be a date or a datetime, got {as_of!r}")


def parse_as_of(text: str | None) -> datetime | date | None:
    """``--as-of`` text: a date (``2026-11-28``, 00:00 UTC) or an ISO 8601 date and time; a
    time without a zone is taken as UTC (the whole program works in UTC). None stays None."""
    if text is None:
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            normalise_as_of(day)  # refused before any file is read
            return day
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ParameterError(
            f"--as-of {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 date and time"
        ) from None
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    _in_range(moment, value)  # refused before any file is read
    return moment


def empty_zones() -> ZoneSet:
    """A ZoneSet with no zones (the documented columns, EPSG:4326)."""
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {c: pd.Series([], dtype=object) for c in ZONE_COLUMNS if c != "geometry"},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
    )
    return ZoneSet(frame)


@cache
def default_known_ports() -> KnownPorts:
    """The bundled port and anchorage points (lon, lat), read once per process."""
    from desktop.core import ports

    return ports.known_port_points()


def known_port_names(indices: np.ndarray) -> list[str | None]:
    """Names of the bundled known port points (indices into ``known_port_points()``: the ports,
    then GFW's anchorages), read only when an encounter in port needs one."""
    from desktop.core import ports

    table = ports.port_table()
    n_ports = len(table["name"])
    out: list[str | None] = []
    for i in np.asarray(indices, dtype="int64").tolist():
        if 0 <= i < n_ports:
            out.append(str(table["name"][i]))
        elif i >= n_ports:
            labels = ports.anchorage_table()["label"]
            label = labels[i - n_ports] if i - n_ports < len(labels) else None
            out.append(f"{label} anchorage" if label else None)
        else:
            out.append(None)
    return out


def ingest_result_of(
    fixes: pd.DataFrame,
    statics: pd.DataFrame | None = None,
    vessels: pd.DataFrame | None = None,
    reports: Sequence[FileReport] = (),
) -> IngestResult:
    """An IngestResult around a fixes table built in memory (tests, benchmarks, the GUI)."""
    if statics is None:
        columns = (*STATIC_COLUMNS, "source")
        statics = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    if vessels is None:
        vessels = pd.DataFrame({"mmsi": pd.Series([], dtype="uint32")})
    return IngestResult(
        fixes=fixes,
        statics=statics,
        vessels=vessels,
        flagged=empty_fixes().iloc[0:0],
        reports=list(reports),
    )


@dataclass
class ScreeningResult:
    """Everything one screening produced; ``to_json`` is DESIGN.md §6 exactly, plus a
    ``watchlist`` key (the list's files and counts) when a watch list was checked."""

    as_of: datetime
    params: ScreeningParams
    ingest: IngestResult
    zones: ZoneSet
    events: list[Event]
    verdicts: list[VesselVerdict]
    known_ports: KnownPorts | None = field(default=None, repr=False)
    watchlist: Watchlist | None = field(default=None, repr=False)
    data_end: datetime | None = None  # the latest fix of all inputs at or before as_of

    @property
    def warning(self) -> str | None:
        """Set when the data end ``stale_after_h`` or more before ``as_of`` (DESIGN.md §2)."""
        return data_end_warning(self.data_end, self.as_of, self.params.stale_after_h)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "as_of": iso_utc(self.as_of),
            "parameters": self.params.as_dict(),
            "inputs": [_input_json(r) for r in self.ingest.reports],
            "data_end": iso_utc(self.data_end),
        }
        warning = self.warning
        if warning is not None:
            out["warning"] = warning
        out["vessels"] = [v.to_json() for v in self.verdicts]
        if self.watchlist is not None:  # what the verdicts were checked against
            out["watchlist"] = self.watchlist.to_json()
        return out

    def reapply(self, as_of: datetime | date | None) -> ScreeningResult:
        """The same data screened at another ``as_of`` (detectors and rule, no re-ingest)."""
        return screen(
            self.ingest, self.zones, self.params, as_of, known_ports=self.known_ports,
            watchlist=self.watchlist,
        )

    def verdict_of(self, mmsi: int) -> VesselVerdict:
        for v in self.verdicts:
            if v.mmsi == mmsi:
                return v
        raise KeyError(mmsi)


def _input_json(report: FileReport) -> dict[str, Any]:
    return {
        "path": report.path,
        "format": report.format,
        "lines": int(report.lines),
        "fixes": int(report.fixes),
        "rejected": {k: int(report.rejected[k]) for k in sorted(report.rejected)},
    }


def truncate_fixes(frame: pd.DataFrame, as_of_ns: int) -> pd.DataFrame:
    """The rows at or before ``as_of`` (the data as if it ended there)."""
    if len(frame) == 0:
        return frame
    t = time_ns(frame)
    if t.max() <= as_of_ns:  # the common case: no copy of a large table
        return frame
    return frame[t <= as_of_ns].reset_index(drop=True)


def truncate_statics(statics: pd.DataFrame | None, as_of_ns: int) -> pd.DataFrame | None:
    """The timed static records at or before ``as_of`` (those the identity test reads)."""
    if statics is not None and len(statics) and "time" in statics:
        times = pd.to_datetime(statics["time"], utc=True)
        statics = statics[times.notna() & (times <= pd.Timestamp(as_of_ns, tz="UTC"))]
    return statics


def _vessel_info(vessels: pd.DataFrame | None, mmsis: np.ndarray) -> dict[int, VesselInfo]:
    flags = flags_of(mmsis)
    info = {int(m): VesselInfo(flag=f) for m, f in zip(mmsis, flags, strict=True)}
    if vessels is not None and len(vessels) and "mmsi" in vessels:
        for row in vessels.itertuples(index=False):
            m = int(row.mmsi)
            imo = getattr(row, "imo", None)
            info[m] = VesselInfo(
                imo=None if imo is None or pd.isna(imo) else int(imo),
                name=_str_or_none(getattr(row, "name", None)),
                callsign=_str_or_none(getattr(row, "callsign", None)),
                flag=info.get(m, VesselInfo(flag=flags_of(np.array([m]))[0])).flag,
            )
    return info


def _str_or_none(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value) or None


def _second_half(progress: Progress) -> Progress:
    def report(fraction: float, what: str) -> None:
        progress(0.5 + 0.5 * fraction, what)

    return report


def run_detectors(
    fixes: pd.DataFrame,
    statics: pd.DataFrame | None,
    zones: ZoneSet,
    params: ScreeningParams,
    known_ports: KnownPorts,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[Event]:
    """Every detector on already-truncated data; events sorted by (mmsi, start, kind)."""

    def step(fraction: float, what: str) -> None:
        if cancel is not None and cancel():
            raise Cancelled("screening cancelled")
        if progress is not None:
            progress(fraction, what)

    step(0.0, "port calls")
    visits = detect_port_visits(fixes, zones, params)
    events = list(visits.events)
    step(0.2, "KP waters")
    events += detect_waters_presence(fixes, zones, visits)
    step(0.3, "ship-to-ship encounters")
    # Names only for the bundled points: indices into a caller's own points mean nothing here.
    names = known_port_names if known_ports is default_known_ports() else None
    encounters = detect_encounters(fixes, zones, params, known_ports, names)
    events += encounters
    step(0.7, "AIS gaps")
    # The gaps are per vessel; the other ships heard near them need every vessel's fixes.
    gaps = detect_gaps(fixes, zones, params)
    if gaps:
        gaps = with_gap_evidence(gaps, fixes["mmsi"].to_numpy(), time_ns(fixes),
                                 fixes["lon"].to_numpy(), fixes["lat"].to_numpy())
    events += gaps
    step(0.75, "loitering")
    events += drop_sts_candidates(detect_loitering(fixes, zones, params, known_ports), encounters)
    step(0.8, "identity and flag")
    if statics is not None and len(statics) and len(fixes):
        mmsi = fixes["mmsi"].to_numpy()
        last = np.flatnonzero(np.append(mmsi[1:] != mmsi[:-1], True))
        last_seen = dict(zip(mmsi[last].tolist(), fixes["time"].iloc[last], strict=True))
        events += detect_identity_changes(statics, last_seen)
    elif statics is not None:
        events += detect_identity_changes(statics)
    events += detect_kp_flag(fixes)
    return sort_events(events)


def event_key(e: Event) -> tuple[Any, ...]:
    """The one order of events (a stable sort on it keeps each detector's own order of ties)."""
    return (e.mmsi, e.start, e.end, str(e.kind), e.with_mmsi or 0)


def sort_events(events: list[Event]) -> list[Event]:
    """``events`` sorted in place by ``event_key`` (stable), and returned."""
    events.sort(key=event_key)
    return events


def judge_events(
    events: list[Event],
    moment: datetime,
    params: ScreeningParams,
    all_mmsi: np.ndarray,
    vessels: pd.DataFrame | None,
    coverage: Mapping[int, Coverage],
) -> list[VesselVerdict]:
    """Everything after the detectors, shared by ``screen`` and the Dask engine
    (``desktop.core.scaleout``) so that both judge the same events the same way: the rule as
    of ``moment`` over ``events`` (already in ``event_key`` order) for every vessel of
    ``all_mmsi`` (sorted unique MMSIs of the input), named from the ``vessels`` table, each
    with its ``coverage`` (``vessel_coverage``; ``NO_FIX`` for a vessel not in it)."""
    verdicts = apply_rule(
        events, moment, params.window_days, all_mmsi.tolist(), _vessel_info(vessels, all_mmsi)
    )
    # Coverage is attached after the rule on purpose: it never changes a verdict.
    return [replace(v, coverage=coverage.get(v.mmsi, NO_FIX)) for v in verdicts]


def screen(
    source: Sequence[str | Path] | IngestResult,
    zones: ZoneSet | None = None,
    params: ScreeningParams = DEFAULT_PARAMS,
    as_of: datetime | date | None = None,
    *,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    known_ports: KnownPorts | None = None,
    watchlist: Watchlist | None = None,
) -> ScreeningResult:
    """Screen files (ingested here) or an ``IngestResult`` as of ``as_of``.

    ``zones`` None means the bundled defaults (``desktop.core.zones.default_zones``).
    ``known_ports`` (lon, lat arrays, degrees) are the ports and anchorages an STS must keep
    away from; None means ``desktop.core.ports.known_port_points()``. ``watchlist`` (from
    ``desktop.core.watchlist.load_watchlist``) adds watch-list hits; None checks no list.
    """
    moment = normalise_as_of(as_of)
    if isinstance(source, IngestResult):
        ingested = source
    else:
        from desktop.core.ingest import ingest

        def reading(fraction: float, what: str) -> None:
            if progress is not None:
                progress(0.5 * fraction, what)

        ingested = ingest(
            list(source), max_speed_kn=params.max_speed_kn, progress=reading, cancel=cancel
        )
        if progress is not None:  # the detectors report over the second half
            progress = _second_half(progress)

    if zones is None:
        from desktop.core.zones import default_zones  # type: ignore[attr-defined]

        zones = default_zones()
    if known_ports is None:
        known_ports = default_known_ports()
    as_of_ns = to_ns(moment)
    fixes = truncate_fixes(ingested.fixes, as_of_ns)
    statics = truncate_statics(ingested.statics, as_of_ns)
    events = run_detectors(fixes, statics, zones, params, known_ports, progress, cancel)
    if watchlist is not None:
        events += detect_watchlist_hits(
            watchlist, fixes, ingested.statics, ingested.vessels, as_of_ns
        )
        sort_events(events)
    all_mmsi = np.unique(ingested.fixes["mmsi"].to_numpy())
    coverage = vessel_coverage(fixes, moment, params)
    verdicts = judge_events(events, moment, params, all_mmsi, ingested.vessels, coverage)
    if progress is not None:
        progress(1.0, "done")
    return ScreeningResult(
        moment, params, ingested, zones, events, verdicts, known_ports, watchlist,
        data_end_of(fixes, moment),
    )


def screen_fixes(
    fixes: pd.DataFrame,
    zones: ZoneSet | None = None,
    params: ScreeningParams = DEFAULT_PARAMS,
    as_of: datetime | date | None = None,
    *,
    statics: pd.DataFrame | None = None,
    known_ports: KnownPorts | None = None,
    watchlist: Watchlist | None = None,
) -> ScreeningResult:
    """Screen a fixes table built in memory (tests, benchmarks, the GUI's own tables): ``screen``
    on ``ingest_result_of(fixes, statics)``, with the same defaults (bundled zones, bundled
    known ports, no watch list)."""
    return screen(
        ingest_result_of(fixes, statics), zones, params, as_of, known_ports=known_ports,
        watchlist=watchlist,
    )

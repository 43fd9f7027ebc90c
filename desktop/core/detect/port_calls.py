"""Port visits: port calls and port entries (DESIGN.md §3).

A *visit* is a maximal run of consecutive fixes of one vessel inside one port, however far
apart in time; an ``anchorage`` zone counts as the port whose ``locode`` it shares
(``ZoneSet.port_index``), so moving from a port's anchorage into its harbour is one visit.
A visit is a *port call* when it contains a stop of at least ``port_stop_min_h``:

* a run of consecutive fixes each with ``sog_kn <= stop_sog_kn`` or ``nav_status`` 1 (at
  anchor) or 5 (moored), measured from its first to its last fix (a missing ``sog_kn`` is
  replaced by the speed implied by the neighbouring fixes, ``geo.effective_sog_kn``);
* two consecutive fixes of the visit at least ``silent_stay_min_h`` apart, which count as a
  stop for the time between them (a silent stay).

Otherwise it is a *port entry*. ``start``/``end`` are the first/last fix of the visit; a visit
whose last fix is the vessel's last fix is ``ongoing`` (the data ends in port). Visits are
found in every port zone, whatever its country; the rule decides which matter.

Every step is vectorised over the fixes inside a port, found by ``geo.locate_points`` (a
raster of the zones, then shapely's point-in-polygon near zone edges only), so the cost is one
pass over the table plus work proportional to the fixes in port.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from desktop.core.detect.geo import (
    NS_PER_H,
    effective_sog_kn,
    locate_points,
    round_or_none,
    time_ns,
    to_datetime,
)
from desktop.core.model import Event, EventKind
from desktop.core.params import DEFAULT_PARAMS, ScreeningParams
from desktop.core.zones import ZoneSet

PORT_KINDS = ("port", "anchorage")
STOPPED_NAV_STATUS = (1, 5)  # ITU-R M.1371 navigational status: at anchor, moored


@dataclass(frozen=True)
class PortVisits:
    """The visits found, and where the port calls lie in the fixes table.

    ``call_starts``/``call_stops`` are row ranges [start, stop) of the fixes of every port
    call (sorted), so that other detectors can leave those fixes out (waters presence).
    """

    events: list[Event]
    call_starts: np.ndarray
    call_stops: np.ndarray


def _empty() -> PortVisits:
    return PortVisits([], np.zeros(0, dtype="int64"), np.zeros(0, dtype="int64"))


def detect_port_visits(
    fixes: pd.DataFrame, zones: ZoneSet, params: ScreeningParams = DEFAULT_PARAMS
) -> PortVisits:
    """Port calls and port entries of every vessel, as events sorted by (mmsi, start)."""
    n = len(fixes)
    port_zones = zones.indices(PORT_KINDS) if len(zones) else np.zeros(0, dtype="int64")
    if n == 0 or len(port_zones) == 0:
        return _empty()
    mmsi = fixes["mmsi"].to_numpy()
    lon = fixes["lon"].to_numpy()
    lat = fixes["lat"].to_numpy()
    rows, zone = locate_points(zones, PORT_KINDS, lon, lat)
    if len(rows) == 0:
        return _empty()
    port = zones.port_index()[zone]
    t_ns = time_ns(fixes)
    t = t_ns[rows]
    m = mmsi[rows]

    # Visits: runs of rows that are consecutive in the table, same vessel, same port.
    new_visit = np.ones(len(rows), dtype=bool)
    new_visit[1:] = (np.diff(rows) != 1) | (m[1:] != m[:-1]) | (port[1:] != port[:-1])
    v_start = np.flatnonzero(new_visit)
    v_stop = np.append(v_start[1:], len(rows))
    visit = np.cumsum(new_visit) - 1
    n_visits = len(v_start)

    # Stopped fixes: slow, or at anchor / moored.
    sog = effective_sog_kn(mmsi, t_ns, lon, lat, fixes["sog_kn"].to_numpy(), rows)
    nav = fixes["nav_status"].array[rows].to_numpy(dtype="int16", na_value=-1)
    stopped = (sog <= params.stop_sog_kn) | np.isin(nav, STOPPED_NAV_STATUS)

    # Longest stopped run per visit, first to last fix.
    new_run = new_visit.copy()
    new_run[1:] |= stopped[1:] != stopped[:-1]
    r_start = np.flatnonzero(new_run)
    r_last = np.append(r_start[1:], len(rows)) - 1
    r_dur = np.where(stopped[r_start], t[r_last] - t[r_start], 0)
    stop_ns = np.zeros(n_visits, dtype="int64")
    np.maximum.at(stop_ns, visit[r_start], r_dur)

    # Silent stays: consecutive in-visit fixes far apart count as a stop of that length.
    silent_ns = np.zeros(n_visits, dtype="int64")
    if len(rows) > 1:
        dt = np.diff(t)
        same = ~new_visit[1:]
        silent = same & (dt >= params.silent_stay_min_h * NS_PER_H)
        np.maximum.at(silent_ns, visit[1:][silent], dt[silent])

    longest = np.maximum(stop_ns, silent_ns)
    is_call = longest >= params.port_stop_min_h * NS_PER_H
    last_row = rows[v_stop - 1]
    ongoing = (last_row == n - 1) | (mmsi[np.minimum(last_row + 1, n - 1)] != mmsi[last_row])
    counts = v_stop - v_start
    mean_lat = np.add.reduceat(lat[rows], v_start) / counts
    mean_lon = np.add.reduceat(lon[rows], v_start) / counts

    frame = zones.frame
    names = frame["name"].to_numpy()
    locodes = frame["locode"].to_numpy()
    countries = frame["country"].to_numpy()
    events: list[Event] = []
    for k in range(n_visits):
        p = int(port[v_start[k]])
        first, last = int(t[v_start[k]]), int(t[v_stop[k] - 1])
        kind_of_stop = None
        if longest[k] > 0:
            kind_of_stop = "stopped" if stop_ns[k] >= silent_ns[k] else "silent"
        events.append(
            Event(
                kind=EventKind.PORT_CALL if is_call[k] else EventKind.PORT_ENTRY,
                mmsi=int(m[v_start[k]]),
                start=to_datetime(first),
                end=to_datetime(last),
                zone=str(names[p]),
                locode=_text(locodes[p]),
                country=_text(countries[p]),
                lat=float(mean_lat[k]),
                lon=float(mean_lon[k]),
                ongoing=bool(ongoing[k]),
                details={
                    "duration_h": round_or_none((last - first) / NS_PER_H),
                    "longest_stop_h": round_or_none(longest[k] / NS_PER_H),
                    "stop": kind_of_stop,
                    "min_stop_h": params.port_stop_min_h,
                    "fixes": int(counts[k]),
                },
            )
        )
    calls = np.flatnonzero(is_call)
    return PortVisits(events, rows[v_start[calls]], rows[v_stop[calls] - 1] + 1)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value)
    return text or None

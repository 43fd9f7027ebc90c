"""Waters presence (DESIGN.md §3): fixes inside a ``waters`` zone outside any port call.

An episode is a maximal run of consecutive fixes of one vessel inside one waters zone; the
fixes of a port call (``PortVisits.call_starts/call_stops``) are left out and break a run, so
a call at Nampo is reported as the call and the approach through the territorial sea as
presence. Episodes are reported for every waters zone; the rule decides which matter. An
episode whose last fix is the vessel's last fix is ``ongoing``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from desktop.core.detect.geo import (
    NS_PER_H,
    locate_points,
    round_or_none,
    time_ns,
    to_datetime,
)
from desktop.core.detect.port_calls import PortVisits, _text
from desktop.core.model import Event, EventKind
from desktop.core.zones import ZoneSet

WATERS_KINDS = ("waters",)


def detect_waters_presence(
    fixes: pd.DataFrame, zones: ZoneSet, visits: PortVisits | None = None
) -> list[Event]:
    """Waters presence episodes, sorted by (mmsi, start)."""
    n = len(fixes)
    waters = zones.indices(WATERS_KINDS) if len(zones) else np.zeros(0, dtype="int64")
    if n == 0 or len(waters) == 0:
        return []
    mmsi = fixes["mmsi"].to_numpy()
    lon = fixes["lon"].to_numpy()
    lat = fixes["lat"].to_numpy()
    rows, zone = locate_points(zones, WATERS_KINDS, lon, lat)
    if visits is not None and len(visits.call_starts) and len(rows):
        k = np.searchsorted(visits.call_starts, rows, side="right") - 1
        in_call = (k >= 0) & (rows < visits.call_stops[np.maximum(k, 0)])
        rows, zone = rows[~in_call], zone[~in_call]
    if len(rows) == 0:
        return []
    t = time_ns(fixes)[rows]
    m = mmsi[rows]
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (np.diff(rows) != 1) | (m[1:] != m[:-1]) | (zone[1:] != zone[:-1])
    starts = np.flatnonzero(new)
    stops = np.append(starts[1:], len(rows))
    counts = stops - starts
    mean_lat = np.add.reduceat(lat[rows], starts) / counts
    mean_lon = np.add.reduceat(lon[rows], starts) / counts
    last_row = rows[stops - 1]
    ongoing = (last_row == n - 1) | (mmsi[np.minimum(last_row + 1, n - 1)] != mmsi[last_row])
    frame = zones.frame
    names = frame["name"].to_numpy()
    locodes = frame["locode"].to_numpy()
    countries = frame["country"].to_numpy()
    events = []
    for k in range(len(starts)):
        z = int(zone[starts[k]])
        first, last = int(t[starts[k]]), int(t[stops[k] - 1])
        events.append(
            Event(
                kind=EventKind.WATERS_PRESENCE,
                mmsi=int(m[starts[k]]),
                start=to_datetime(first),
                end=to_datetime(last),
                zone=str(names[z]),
                locode=_text(locodes[z]),
                country=_text(countries[z]),
                lat=float(mean_lat[k]),
                lon=float(mean_lon[k]),
                ongoing=bool(ongoing[k]),
                details={
                    "duration_h": round_or_none((last - first) / NS_PER_H),
                    "fixes": int(counts[k]),
                },
            )
        )
    return events

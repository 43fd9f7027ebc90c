"""Real data: one boat's year in Sydney Harbour (AMSA ``503000530.csv``) against AMSA's own port
polygons (``au_port_visit_polygons.geojson``), screened through ingest, zones and ``screen``.

The expected calls are derived independently of the detectors by ``reference_calls`` below: a
plain loop over the CSV rows read with pandas and the polygons tested one by one with shapely,
following the words of DESIGN.md §3 (visit = consecutive fixes in one port; stop = run of fixes
at sog <= 1 kn, first to last fix, or two consecutive in-port fixes >= 1 h apart; call = a stop
of >= 1 h). The file has a speed on every row and no nav_status, so no implied speeds are
needed (asserted). Reading the file by hand gives the first call: the first fix,
17 May 2014 22:40:27 UTC, is at 0.0 kn inside the Sydney polygon, and the next fixes (22 May
02:13:38 and 02:19:38) are still inside; the one after (24 May 01:24:15, -33.9998 151.2331) is
outside Sydney, so the first call runs 17 May 22:40:27 - 22 May 02:19:38 (a silent stay).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from screening_kit import utc

from desktop.core.ingest import ingest
from desktop.core.model import EventKind
from desktop.core.screening import screen
from desktop.core.zones import ZoneSet

pytestmark = pytest.mark.corpus


def amsa_zones(path: Path) -> tuple[ZoneSet, list[shapely.Geometry], list[str]]:
    obj = json.loads(path.read_text(encoding="utf-8"))
    for feature in obj["features"]:
        props = feature["properties"]
        feature["properties"] = {"name": props["port"], "kind": "port", "country": "AU",
                                 "locode": None, "source": "AMSA"}
    geoms = [shapely.geometry.shape(f["geometry"]) for f in obj["features"]]
    names = [f["properties"]["name"] for f in obj["features"]]
    return ZoneSet.from_geojson(obj, str(path)), geoms, names


def reference_calls(csv_path: Path, geoms: list, names: list[str]) -> list[tuple]:
    rows = pd.read_csv(csv_path).sort_values("timestamp_utc", kind="stable")
    assert rows["sog_kn"].notna().all()
    visits: list[list[tuple]] = []
    previous = None
    for row in rows.itertuples():
        point = shapely.Point(row.lon, row.lat)
        port = next((k for k, g in enumerate(geoms) if g.covers(point)), None)
        if port is not None:
            fix = (pd.Timestamp(row.timestamp_utc), float(row.sog_kn))
            if port == previous:
                visits[-1][1].append(fix)
            else:
                visits.append((port, [fix]))
        previous = port
    calls = []
    for port, fixes in visits:
        longest = timedelta(0)
        run_start = None
        for k, (when, sog) in enumerate(fixes):
            if sog <= 1.0:
                run_start = when if run_start is None else run_start
                longest = max(longest, when - run_start)
            else:
                run_start = None
            if k and when - fixes[k - 1][0] >= timedelta(hours=1):
                longest = max(longest, when - fixes[k - 1][0])
        if longest >= timedelta(hours=1):
            calls.append((names[port], fixes[0][0].to_pydatetime(), fixes[-1][0].to_pydatetime()))
    return calls


def test_sydney_boat_port_calls_match_design_definition(corpus: Path) -> None:
    csv_path = corpus / "amsa" / "503000530.csv"
    zones, geoms, names = amsa_zones(corpus / "amsa" / "au_port_visit_polygons.geojson")
    result = screen(ingest([csv_path]), zones, as_of=utc("2015-01-01 00:00"),
                    known_ports=(np.zeros(0), np.zeros(0)))
    calls = [(e.zone, e.start, e.end) for e in result.events if e.kind == EventKind.PORT_CALL]
    expected = reference_calls(csv_path, geoms, names)
    assert calls == expected
    assert len(calls) == 8
    assert calls[0] == ("Sydney", utc("2014-05-17 22:40:27"), utc("2014-05-22 02:19:38"))
    # Australian ports are not KP: listed as reasons without effect, and a clear verdict
    [verdict] = result.verdicts
    assert (verdict.mmsi, str(verdict.verdict)) == (503000530, "clear")
    listed = [(r.event.zone, r.event.start, r.event.end) for r in verdict.reasons
              if r.event.kind == EventKind.PORT_CALL]
    assert listed == calls[::-1]
    assert {r.effect for r in verdict.reasons} == {"none"}

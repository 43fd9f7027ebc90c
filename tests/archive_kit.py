"""A generated multi-day AIS set for the archive tests (no test here).

Seven vessels over 2026-09-01..2026-09-21, fixes every 30 min under way and 10 min in the
meetings, written as two "receivers" whose CSV files each hold part of the fixes and overlap
(a fix heard by both is in both files, as two shore stations hearing one ship):

- CALLER (351000001, IMO 9300001) stops at Nampo (the bundled KP zone) 2026-09-03 06:00-16:00.
- HOP1 (352000002, IMO 9300013) meets CALLER at sea, 38.0 N 123.5 E, 2026-09-06 02:00-06:00
  (4 h): one hop.
- HOP2 (353000003) meets HOP1 at 37.6 N 123.2 E, 2026-09-10 10:00-14:00: a second hop, review.
- RENAMED (354000004) sails, and its name changes on 2026-09-12 (an identity change).
- Three more vessels sail the Yellow Sea and meet nobody.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

CALLER, HOP1, HOP2, RENAMED = 351000001, 352000002, 353000003, 354000004
OTHERS = (355000005, 356000006, 357000007)
NAMPO = (38.72, 125.38)
STS1 = (38.0, 123.5)
STS2 = (37.6, 123.2)
START = datetime(2026, 9, 1, tzinfo=UTC)
END = datetime(2026, 9, 21, tzinfo=UTC)
AS_OF = "2026-09-25"

Row = tuple[int, datetime, float, float, float, str, str]


def _leg(rows: list[Row], mmsi: int, t0: datetime, t1: datetime, a: tuple[float, float],
         b: tuple[float, float], step_min: float, sog: float, name: str = "",
         imo: str = "") -> None:  # fmt: skip
    steps = max(int((t1 - t0).total_seconds() // (step_min * 60)), 1)
    for i in range(steps + 1):
        f = i / steps
        t = t0 + (t1 - t0) * f
        lat = a[0] + (b[0] - a[0]) * f
        lon = a[1] + (b[1] - a[1]) * f
        rows.append((mmsi, t, round(lat, 6), round(lon, 6), sog, name, imo))


def _at(day: int, hour: float = 0.0) -> datetime:
    return START + timedelta(days=day, hours=hour)


def generated_rows(seed: int = 8) -> list[Row]:
    rng = random.Random(seed)
    rows: list[Row] = []
    # CALLER: sea -> Nampo, 10 h stop, -> STS1, meeting, -> west.
    _leg(rows, CALLER, _at(0), _at(2, 5.5), (38.2, 124.2), (38.70, 125.20), 30, 11.0,
         "CALLER", "9300001")  # fmt: skip
    _leg(rows, CALLER, _at(2, 6), _at(2, 16), NAMPO, NAMPO, 60, 0.0, "CALLER", "9300001")
    _leg(rows, CALLER, _at(2, 17), _at(5, 1.5), (38.70, 125.20), (38.01, 123.51), 30, 5.0)
    _leg(rows, CALLER, _at(5, 2), _at(5, 6), STS1, STS1, 10, 0.4)
    _leg(rows, CALLER, _at(5, 6.5), _at(19), (38.0, 123.4), (37.0, 121.5), 30, 1.5)
    # HOP1: sails to STS1, meets CALLER, sails to STS2, meets HOP2, sails on.
    hop1_sts1 = (STS1[0] + 0.001, STS1[1])
    hop1_sts2 = (STS2[0] + 0.001, STS2[1])
    _leg(rows, HOP1, _at(0), _at(5, 1.5), (36.0, 122.0), (37.99, 123.49), 30, 2.0, "HOP ONE",
         "9300013")  # fmt: skip
    _leg(rows, HOP1, _at(5, 2), _at(5, 6), hop1_sts1, hop1_sts1, 10, 0.4)
    _leg(rows, HOP1, _at(5, 6.5), _at(9, 9.5), (37.99, 123.49), (37.61, 123.21), 30, 0.3)
    _leg(rows, HOP1, _at(9, 10), _at(9, 14), hop1_sts2, hop1_sts2, 10, 0.4)
    _leg(rows, HOP1, _at(9, 14.5), _at(20), (37.6, 123.1), (35.5, 122.5), 30, 2.0)
    # HOP2: meets HOP1 at STS2.
    _leg(rows, HOP2, _at(1), _at(9, 9.5), (35.0, 124.0), (37.59, 123.19), 30, 2.5)
    _leg(rows, HOP2, _at(9, 10), _at(9, 14), STS2, STS2, 10, 0.4)
    _leg(rows, HOP2, _at(9, 14.5), _at(18), (37.6, 123.3), (36.0, 124.5), 30, 2.0)
    # RENAMED: a name change half-way.
    _leg(rows, RENAMED, _at(0), _at(11), (35.0, 121.0), (36.5, 122.5), 30, 3.0, "OLD NAME",
         "9300025")  # fmt: skip
    _leg(rows, RENAMED, _at(11, 0.5), _at(20), (36.5, 122.5), (35.0, 121.0), 30, 3.0,
         "NEW NAME", "9300025")  # fmt: skip
    for number, mmsi in enumerate(OTHERS):
        lat, lon = 34.0 + number, 122.0 + 0.3 * number
        t = _at(rng.uniform(0, 2))
        while t < END:
            heading = rng.uniform(0, 2 * math.pi)
            t1 = t + timedelta(hours=rng.uniform(6, 30))
            dist_deg = 11.0 * (t1 - t).total_seconds() / 3600 / 60  # 11 kn
            end = (min(max(lat + dist_deg * math.cos(heading) * 0.3, 33.0), 37.5),
                   min(max(lon + dist_deg * math.sin(heading) * 0.3, 121.0), 124.0))
            _leg(rows, mmsi, t, t1, (lat, lon), end, 30, 3.0)
            lat, lon = end
            t = t1 + timedelta(minutes=30)
    rows.sort(key=lambda r: (r[1], r[0]))
    # No two fixes of one vessel at one instant (legs end and start 30 min apart).
    return rows


def write_receivers(folder: Path, seed: int = 8) -> tuple[Path, Path]:
    """Two CSV files: each fix goes to receiver A, B or both (about a third each)."""
    rng = random.Random(seed + 1)
    header = "mmsi,timestamp_utc,lat,lon,sog_kn,vessel_name,imo"
    a_rows, b_rows = [header], [header]
    for mmsi, t, lat, lon, sog, name, imo in generated_rows(seed):
        line = f"{mmsi},{t:%Y-%m-%dT%H:%M:%SZ},{lat},{lon},{sog},{name},{imo}"
        pick = rng.random()
        if pick < 0.67:
            a_rows.append(line)
        if pick > 0.33:
            b_rows.append(line)
    folder.mkdir(parents=True, exist_ok=True)
    a, b = folder / "receiver_a.csv", folder / "receiver_b.csv"
    a.write_text("\n".join(a_rows) + "\n", encoding="utf-8")
    b.write_text("\n".join(b_rows) + "\n", encoding="utf-8")
    return a, b

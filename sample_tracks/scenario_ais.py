"""AIS of the sample scenario: timelines sampled into fixes, written as NMEA 0183 and CSV.

Positions are quantised to the AIS resolution first (1/10000 minute) and the CSV carries the
exact values pyais decodes (6 decimals), so both files give the same fixes to the bit.
"""

from __future__ import annotations

import gzip
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyais import encode_dict
from scenario_world import (
    GRID_S,
    KN_MS,
    PORTS,
    Drift,
    Stay,
    Vessel,
    bearing_deg,
    distance_m,
    drift_pos,
    offset,
)

# ---------------------------------------------------------------------------------------------
# Sampling: from segments to fixes quantised to what AIS can carry


@dataclass(frozen=True)
class Fix:
    t: int  # seconds since the epoch, UTC
    lat_i: int  # 1/600000 degree (AIS units)
    lon_i: int
    sog10: int  # 0.1 kn
    cog10: int  # 0.1 degree
    heading: int  # degrees, 511 = not available
    status: int | None  # ITU nav status; None for class B


def _q(lat: float, lon: float) -> tuple[int, int]:
    return round(lat * 600000), round(lon * 600000)


def _ends(v: Vessel, i: int) -> tuple[tuple[float, float], tuple[float, float]]:
    prev, nxt = v.segs[i - 1], v.segs[i + 1]
    a = prev.berth if isinstance(prev, Stay) else drift_pos(prev, prev.t1)
    b = nxt.berth if isinstance(nxt, Stay) else nxt.p0
    assert a is not None and b is not None
    return a, b


def _grid_times(a: datetime, b: datetime) -> list[int]:
    """Grid instants strictly inside (a, b), seconds."""
    lo, hi = int(a.timestamp()), int(b.timestamp())
    first = lo - lo % GRID_S + GRID_S
    return list(range(first, hi, GRID_S))


def sample(v: Vessel, rng: random.Random) -> list[Fix]:
    out: list[Fix] = []
    class_b = v.cls == "B"
    for i, seg in enumerate(v.segs):
        if isinstance(seg, Stay):
            t0, t1 = int(seg.t0.timestamp()), int((seg.t1 or v.end).timestamp())
            if i == 0:
                t0 += rng.randrange(0, 1800)
            times = [t0]
            if not seg.silent:
                t = t0
                while True:
                    t += rng.randrange(5 * 3600, 8 * 3600)
                    if t > t1 - 1800:
                        break
                    times.append(t)
            if i < len(v.segs) - 1:
                times.append(t1)
            for a, b in seg.fine:
                ta, tb = int(a.timestamp()), int(b.timestamp())
                times = [t for t in times if not ta - 1800 < t < tb + 1800]
                times += [ta] + _grid_times(a, b) + [tb]
            times = sorted(set(t for t in times if t0 <= t <= t1))
            heading = rng.randrange(360)
            status = seg.status if seg.status is not None else PORTS[seg.port].status
            assert seg.berth is not None
            for t in times:
                lat, lon = offset(seg.berth, rng.uniform(-6, 6), rng.uniform(-6, 6))
                out.append(
                    Fix(
                        t,
                        *_q(lat, lon),
                        rng.choice((0, 0, 0, 1)),
                        rng.randrange(3600),
                        511 if class_b else (heading + rng.randrange(-2, 3)) % 360,
                        None if class_b else status,
                    )
                )
        elif isinstance(seg, Drift):
            heading = rng.randrange(360)
            t = int(seg.t0.timestamp())
            while t <= int(seg.t1.timestamp()):
                lat, lon = drift_pos(seg, datetime.fromtimestamp(t, tz=UTC))
                out.append(
                    Fix(
                        t,
                        *_q(lat, lon),
                        rng.randrange(3, 6),
                        (530 + rng.randrange(-150, 150)) % 3600,
                        511 if class_b else (heading + rng.randrange(-2, 3)) % 360,
                        None if class_b else 0,
                    )
                )
                t += GRID_S
        else:
            a, b = _ends(v, i)
            pts = [a, *seg.via, b]
            legs = [distance_m(p, q) for p, q in zip(pts, pts[1:], strict=False)]
            total = sum(legs)
            dur = (seg.t1 - seg.t0).total_seconds()
            sog = total / dur / KN_MS
            t0, t1 = int(seg.t0.timestamp()), int(seg.t1.timestamp())
            times: list[int] = []
            head_end = t0
            if seg.fine_head_s:
                head_end = t0 + seg.fine_head_s
                times += [t for t in _grid_times(seg.t0, seg.t1) if t <= head_end]
            tail_start = t1 - seg.fine_tail_s if seg.fine_tail_s else t1
            t = max(head_end, t0 + seg.first_step_s - 1200)
            while True:
                t += rng.randrange(30 * 60, 50 * 60)
                if t >= tail_start - 600:
                    break
                times.append(t)
            if seg.fine_tail_s:
                times += [t for t in _grid_times(seg.t0, seg.t1) if t >= tail_start]
            for t in sorted(set(times)):
                if not t0 < t < t1:
                    continue
                along = (t - t0) / dur * total
                k = 0
                while k < len(legs) - 1 and along > legs[k]:
                    along -= legs[k]
                    k += 1
                f = min(along / legs[k], 1.0) if legs[k] else 0.0
                p, q = pts[k], pts[k + 1]
                lat, lon = p[0] + (q[0] - p[0]) * f, p[1] + (q[1] - p[1]) * f
                cog = (bearing_deg(p, q) + rng.gauss(0, 1.5)) % 360
                out.append(
                    Fix(
                        t,
                        *_q(lat, lon),
                        max(0, round((sog + rng.gauss(0, 0.15)) * 10)),
                        round(cog * 10) % 3600,
                        511 if class_b else round(cog + rng.gauss(0, 2)) % 360,
                        None if class_b else 0,
                    )
                )
    end = int(v.end.timestamp())
    dark = [(int(a.timestamp()), int(b.timestamp())) for a, b in v.dark]
    kept = [f for f in out if f.t <= end and not any(a < f.t < b for a, b in dark)]
    kept.sort(key=lambda f: f.t)
    # one fix per second at most (a stay's last fix may meet a sail's first)
    return [f for i, f in enumerate(kept) if i == 0 or f.t != kept[i - 1].t]


# ---------------------------------------------------------------------------------------------
# Writers


def nmea_checksum(body: str) -> str:
    x = 0
    for ch in body:
        x ^= ord(ch)
    return f"{x:02X}"


def tag_block(fields: str) -> str:
    return f"\\{fields}*{nmea_checksum(fields)}\\"


def next_stay(v: Vessel, t: datetime) -> Stay | None:
    """The stay the vessel is in at t, or the next one it sails to."""
    for seg in v.segs:
        if isinstance(seg, Stay) and (seg.t1 or v.end) >= t:
            return seg
    return None


def lat_text(lat_i: int) -> str:
    """The decimal pyais decodes from an AIS latitude/longitude (round(v / 600000, 6))."""
    n = (10 * lat_i + 3) // 6
    sign = "-" if n < 0 else ""
    n = abs(n)
    return f"{sign}{n // 1_000_000}.{n % 1_000_000:06d}"


def static_dict(v: Vessel, t: datetime) -> dict:
    bow = round(v.length_m * 0.8)
    port = v.width_m // 2
    return {
        "imo": v.imo or 0,
        "callsign": v.callsign,
        "shipname": v.name_at(t),
        "ship_type": v.ship_type,
        "to_bow": bow,
        "to_stern": v.length_m - bow,
        "to_port": port,
        "to_starboard": v.width_m - port,
    }


def records(
    vessels: list[Vessel], fixes: dict[str, list[Fix]]
) -> Iterator[tuple[int, int, int, dict, str]]:
    """(time, mmsi, order, pyais message dict, radio channel) for every message, unsorted."""
    for v in vessels:
        last_static = -(10**12)
        for n, f in enumerate(fixes[v.key]):
            lat, lon = f.lat_i / 600000.0, f.lon_i / 600000.0
            if v.cls == "A":
                msg_type = 1 if n % 7 else 3
                data = {
                    "type": msg_type,
                    "mmsi": v.mmsi,
                    "status": f.status,
                    "turn": 0,
                    "speed": f.sog10 / 10.0,
                    "accuracy": 0,
                    "lon": lon,
                    "lat": lat,
                    "course": f.cog10 / 10.0,
                    "heading": f.heading,
                    "second": f.t % 60,
                }
            else:
                data = {
                    "type": 18,
                    "mmsi": v.mmsi,
                    "speed": f.sog10 / 10.0,
                    "accuracy": 0,
                    "lon": lon,
                    "lat": lat,
                    "course": f.cog10 / 10.0,
                    "heading": 511,
                    "second": f.t % 60,
                    "cs": 1,
                    "band": 1,
                    "msg22": 1,
                }
            channel = "AB"[(f.t // 7) % 2]
            yield f.t, v.mmsi, 0, data, channel
            when = datetime.fromtimestamp(f.t, tz=UTC)
            renamed = any(last_static < int(s.timestamp()) <= f.t for s, _ in v.renames)
            if f.t - last_static < 86400 and not renamed:
                continue
            last_static = f.t
            st = static_dict(v, when)
            if v.cls == "A":
                nxt = next_stay(v, when)
                dest = nxt.port if nxt else ""
                eta = nxt.t0 if nxt and nxt.t0 > when else when
                data = {
                    "type": 5,
                    "mmsi": v.mmsi,
                    "ais_version": 0,
                    **st,
                    "epfd": 1,
                    "month": eta.month,
                    "day": eta.day,
                    "hour": eta.hour,
                    "minute": eta.minute,
                    "draught": v.draught_m,
                    "destination": dest.split()[0],
                    "dte": 0,
                }
                yield f.t, v.mmsi, 1, data, "A"
            else:
                a = {"type": 24, "mmsi": v.mmsi, "partno": 0, "shipname": st["shipname"]}
                b = {
                    "type": 24,
                    "mmsi": v.mmsi,
                    "partno": 1,
                    "ship_type": v.ship_type,
                    "callsign": v.callsign,
                    "to_bow": st["to_bow"],
                    "to_stern": st["to_stern"],
                    "to_port": st["to_port"],
                    "to_starboard": st["to_starboard"],
                }
                yield f.t, v.mmsi, 1, a, "B"
                yield f.t, v.mmsi, 2, b, "B"


def nmea_text(vessels: list[Vessel], fixes: dict[str, list[Fix]]) -> str:
    lines: list[str] = []
    group = 0
    for t, _mmsi, _order, data, channel in sorted(records(vessels, fixes), key=lambda r: r[:3]):
        if data["type"] != 5:
            sentence = encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel=channel)
            assert len(sentence) == 1
            lines.append(tag_block(f"s:sample,c:{t}") + sentence[0])
            continue
        # Type 5 takes two sentences: joined by the tag-block group and by the message id.
        group += 1
        sentences = encode_dict(
            data, talker_id="AI", sentence_type="VDM", radio_channel=channel, seq_id=group % 10
        )
        for k, sentence in enumerate(sentences, start=1):
            fields = f"g:{k}-{len(sentences)}-{group},s:sample,c:{t}"
            lines.append(tag_block(fields) + sentence)
    return "\n".join(lines) + "\n"


CSV_HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,"
    "Status,Length,Width,Draft,Cargo,TransceiverClass"
)


def csv_text(vessels: list[Vessel], fixes: dict[str, list[Fix]]) -> str:
    rows: list[tuple[int, int, str]] = []
    for v in vessels:
        for f in fixes[v.key]:
            when = datetime.fromtimestamp(f.t, tz=UTC)
            b = v.cls == "B"
            rows.append(
                (
                    f.t,
                    v.mmsi,
                    ",".join(
                        (
                            str(v.mmsi),
                            when.strftime("%Y-%m-%dT%H:%M:%S"),
                            lat_text(f.lat_i),
                            lat_text(f.lon_i),
                            f"{f.sog10 / 10:.1f}",
                            f"{f.cog10 / 10:.1f}",
                            str(f.heading),
                            v.name_at(when),
                            "" if b or not v.imo else f"IMO{v.imo}",
                            v.callsign,
                            str(v.ship_type),
                            "" if f.status is None else str(f.status),
                            str(v.length_m),
                            str(v.width_m),
                            "" if b else f"{v.draught_m:.1f}",
                            "" if b else str(v.ship_type),
                            v.cls,
                        )
                    ),
                )
            )
    rows.sort(key=lambda r: r[:2])
    return CSV_HEADER + "\n" + "\n".join(r[2] for r in rows) + "\n"


def write_gzip(path: Path, text: str) -> None:
    """Gzip with a fixed header (mtime 0, no name) so that equal text gives equal bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("ascii"))
    path.write_bytes(buf.getvalue())



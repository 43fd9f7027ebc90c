"""The world of the sample scenario: the sea, its ports, and the vessels' timelines.

The geography is data, ``seaways.json`` (waypoints at sea, the sea graph, the ports and their
frozen berths); the timeline verbs (``Plan``) turn the steps of ``timeline.json`` into stays in
port, sails along sea routes and drifts at sea (STS). ``generate.py`` plays the tables.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 20260301
START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 10, 31, 23, 50, tzinfo=UTC)
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
WINDOW = timedelta(days=180)
HERE = Path(__file__).resolve().parent
SEAWAYS_FILE = HERE / "seaways.json"
REFERENCE = HERE.parent.parent / "shared" / "reference" / "gfw_anchorages"

EARTH_RADIUS_M = 6_371_008.8
NM_M = 1852.0
KN_MS = NM_M / 3600.0


# ---------------------------------------------------------------------------------------------
# Geography


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points, metres."""
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def bearing_deg(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Initial great-circle bearing from a to b, degrees true."""
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    y = math.sin(lo2 - lo1) * math.cos(la2)
    x = math.cos(la1) * math.sin(la2) - math.sin(la1) * math.cos(la2) * math.cos(lo2 - lo1)
    return math.degrees(math.atan2(y, x)) % 360.0


def offset(p: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    """A point ``north_m``/``east_m`` metres from p (flat-earth, fine below a few km)."""
    dlat = north_m / 111_195.0
    dlon = east_m / (111_195.0 * math.cos(math.radians(p[0])))
    return (p[0] + dlat, p[1] + dlon)


# Waypoints at sea (lat, lon). Each edge below was checked against the GSHHG basemap

with open(SEAWAYS_FILE, encoding="utf-8") as _fh:
    _SEAWAYS: dict[str, Any] = json.load(_fh)
# Waypoints at sea (lat, lon[, where it is]), the edges between them (each checked against the
# GSHHG basemap by --check), and the nodes only KP-bound vessels may route through (ordinary
# traffic must never pass them).
NODES: dict[str, tuple[float, float]] = {k: (v[0], v[1]) for k, v in _SEAWAYS["nodes"].items()}
EDGES: list[tuple[str, str]] = [(a, b) for a, b in _SEAWAYS["edges"]]
KP_NODES = frozenset(_SEAWAYS["kp_only"])
PORT_SPECS: dict[str, dict[str, Any]] = _SEAWAYS["ports"]


@dataclass(frozen=True)
class Port:
    name: str
    country: str  # ISO 3166 alpha-2
    approach: tuple[str, ...]  # waypoints from the sea graph into the harbour, outermost first
    berths: tuple[tuple[float, float], ...]  # distinct stopping places, >= 1 km apart
    status: int  # nav status while stopped: 5 moored, 1 at anchor
    locode: str = ""


def _gfw_cells(
    label: str, centre: tuple[float, float], radius_km: float
) -> list[tuple[float, float]]:
    """GFW named anchorage cells of ``label`` near ``centre``, thinned to >= 1.2 km apart."""
    import csv

    rows = []
    with open(REFERENCE / "anchorage_overrides.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["label"] != label:
                continue
            p = (round(float(row["latitude"]), 5), round(float(row["longitude"]), 5))
            d = distance_m(p, centre)
            if d <= radius_km * 1000:
                rows.append((d, p))
    rows.sort()
    kept: list[tuple[float, float]] = []
    for _, p in rows:
        if all(distance_m(p, q) >= 1200 for q in kept):
            kept.append(p)
    return kept


def freeze_berths(land: object = None) -> dict[str, tuple[tuple[float, float], ...]]:
    """Recompute the berth lists from GFW (used by hand to refresh ``berths`` in seaways.json;
    needs ../shared). Ports with ``fixed = true`` keep their hand-placed berths.

    With ``land`` (a prepared shapely geometry of the basemap), cells on land or not reachable in
    a straight line from the port's innermost approach waypoint are left out.
    """
    import shapely

    out = {}
    for name, spec in PORT_SPECS.items():
        if spec.get("fixed"):
            out[name] = tuple(tuple(b) for b in spec["berths"])
            continue
        gfw = spec["gfw"]
        cells = _gfw_cells(gfw["label"], tuple(gfw["centre"]), gfw["radius_km"])
        if land is not None:
            inner = NODES[spec["approach"][-1]]
            cells = [
                c
                for c in cells
                if shapely.intersection(
                    shapely.LineString([(inner[1], inner[0]), (c[1], c[0])]), land
                ).length
                < 0.002
            ]
        out[name] = tuple(cells[:12]) + tuple(tuple(e) for e in spec.get("extra", ()))
    return out


def ports() -> dict[str, Port]:
    """The ports of seaways.json with their frozen berths (the generator never needs ../shared)."""
    return {
        name: Port(
            name,
            spec["country"],
            tuple(spec["approach"]),
            tuple(tuple(b) for b in spec["berths"]),
            spec["status"],
            spec.get("locode", ""),
        )
        for name, spec in PORT_SPECS.items()
    }


PORTS: dict[str, Port] = ports()


class SeaGraph:
    """Shortest sea routes between waypoints (Dijkstra on great-circle edge lengths)."""

    def __init__(self, allow_kp: bool) -> None:
        self.adj: dict[str, list[tuple[str, float]]] = {n: [] for n in NODES}
        for a, b in EDGES:
            if not allow_kp and (a in KP_NODES or b in KP_NODES):
                continue
            d = distance_m(NODES[a], NODES[b])
            self.adj[a].append((b, d))
            self.adj[b].append((a, d))

    def path(self, a: str, b: str) -> list[str]:
        dist = {a: 0.0}
        prev: dict[str, str] = {}
        heap = [(0.0, a)]
        while heap:
            d, n = heapq.heappop(heap)
            if n == b:
                break
            if d > dist[n]:
                continue
            for m, w in self.adj[n]:
                nd = d + w
                if nd < dist.get(m, math.inf):
                    dist[m] = nd
                    prev[m] = n
                    heapq.heappush(heap, (nd, m))
        if b not in dist:
            raise ValueError(f"no sea route {a} -> {b}")
        out = [b]
        while out[-1] != a:
            out.append(prev[out[-1]])
        return out[::-1]


# ---------------------------------------------------------------------------------------------
# Timelines: what each vessel does, as segments (stay in port, sail, drift at sea)

GRID_S = 600  # the STS resampling grid of DESIGN §3: scripted meetings put fixes on it


def grid_floor(t: datetime) -> datetime:
    s = int(t.timestamp())
    return datetime.fromtimestamp(s - s % GRID_S, tz=UTC)


@dataclass
class Stay:
    port: str
    t0: datetime
    t1: datetime | None = None
    berth: tuple[float, float] | None = None  # assigned later unless given
    silent: bool = False  # AIS off in port: only the arrival and departure fixes
    fine: list[tuple[datetime, datetime]] = field(default_factory=list)  # 10-min fixes
    status: int | None = None


@dataclass
class Drift:
    """Stopped at sea (STS): fixes on the 10-minute grid from t0 to t1 inclusive."""

    t0: datetime
    t1: datetime
    p0: tuple[float, float]  # position at t0
    drift_nm: tuple[float, float]  # (north, east) metres per second of the drift current


@dataclass
class Sail:
    t0: datetime
    t1: datetime
    via: list[tuple[float, float]]  # waypoints between the two ends
    first_step_s: int = 0  # >0: no fix before t0 + this (AIS coverage off KP ports is sparse)
    fine_head_s: int = 0  # 10-min grid fixes right after t0
    fine_tail_s: int = 0  # 10-min grid fixes right before t1


Segment = Stay | Drift | Sail


def drift_pos(d: Drift, t: datetime) -> tuple[float, float]:
    dt = (t - d.t0).total_seconds()
    return offset(d.p0, d.drift_nm[0] * dt, d.drift_nm[1] * dt)


@dataclass
class Vessel:
    key: str
    mmsi: int
    name: str
    imo: int | None
    callsign: str
    flag: str
    ship_type: int  # ITU ship and cargo type
    length_m: int
    width_m: int
    draught_m: float
    speed_kn: float
    cls: str = "A"
    story: str = ""
    expect: str = "clear"  # expected verdict as of AS_OF
    why: str = ""
    renames: list[tuple[datetime, str]] = field(default_factory=list)  # (from, new name)
    dark: list[tuple[datetime, datetime]] = field(default_factory=list)  # no fixes inside
    segs: list[Segment] = field(default_factory=list)
    start: datetime = START
    end: datetime = END
    kp_calls: list[Stay] = field(default_factory=list)
    sts: list[tuple[str, Drift]] = field(default_factory=list)  # (counterpart key, drift)

    def name_at(self, t: datetime) -> str:
        name = self.name
        for since, new in self.renames:
            if t >= since:
                name = new
        return name


class Plan:
    """Builds one vessel's timeline; every movement starts from an open stay or drift."""

    def __init__(self, v: Vessel, port: str, rng: random.Random, start: datetime = START) -> None:
        self.v = v
        self.rng = rng
        self.graph = SeaGraph(allow_kp=False)
        self.kp_graph = SeaGraph(allow_kp=True)
        v.start = start
        v.segs.append(Stay(port, start))

    # --- helpers
    @property
    def last(self) -> Segment:
        return self.v.segs[-1]

    def _here_node_path(self, dest_nodes: list[str], kp: bool) -> list[tuple[float, float]]:
        last = self.last
        graph = self.kp_graph if kp else self.graph
        if isinstance(last, Stay):
            src = PORTS[last.port].approach
            src_pts = [NODES[n] for n in reversed(src[1:])]
            route = graph.path(src[0], dest_nodes[0])
        else:
            here = drift_pos(last, last.t1)
            near = min(
                (n for n in NODES if kp or n not in KP_NODES),
                key=lambda n: distance_m(NODES[n], here),
            )
            src_pts = []
            route = graph.path(near, dest_nodes[0])
        pts = src_pts + [NODES[n] for n in route[:-1]] + [NODES[n] for n in dest_nodes]
        return [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]

    def _start_point(self) -> tuple[float, float]:
        last = self.last
        if isinstance(last, Stay):
            return PORTS[last.port].berths[0]
        return drift_pos(last, last.t1)

    def _leave(self, depart: datetime) -> None:
        last = self.last
        if isinstance(last, Stay):
            if depart <= last.t0:
                raise ValueError(f"{self.v.key}: departs {depart} before arriving at {last.port}")
            last.t1 = depart
        elif depart != last.t1:
            raise ValueError(f"{self.v.key}: drift ends {last.t1}, departure {depart}")

    def _sail(
        self,
        via: list[tuple[float, float]],
        end: tuple[float, float],
        depart: datetime | None,
        arrive: datetime | None,
        dwell_h: float | None,
        speed_kn: float | None,
        **opts: int,
    ) -> datetime:
        speed = (speed_kn or self.v.speed_kn) * KN_MS
        pts = [self._start_point(), *via, end]
        length = sum(distance_m(a, b) for a, b in zip(pts, pts[1:], strict=False))
        travel = timedelta(seconds=round(length / speed))
        if depart is None and arrive is not None:
            depart = arrive - travel
        if depart is None and isinstance(self.last, Drift):
            depart = self.last.t1
            opts.setdefault("fine_head_s", 1800)
        if depart is None:
            last = self.last
            assert isinstance(last, Stay) and dwell_h is not None
            depart = last.t0 + timedelta(seconds=round(dwell_h * 3600))
        depart = depart.replace(microsecond=0)
        if arrive is None:
            arrive = depart + travel
        self._leave(depart)
        self.v.segs.append(Sail(depart, arrive, via, **opts))
        return arrive

    # --- the verbs
    def go(
        self,
        port: str,
        *,
        depart: datetime | None = None,
        arrive: datetime | None = None,
        dwell_h: float | None = None,
        speed_kn: float | None = None,
        via_pts: list[tuple[float, float]] | None = None,
        **opts: int,
    ) -> Stay:
        kp = PORTS[port].country == "KP" or (
            isinstance(self.last, Stay) and PORTS[self.last.port].country == "KP"
        )
        if via_pts is not None:
            last = self.last
            out = (
                [NODES[n] for n in reversed(PORTS[last.port].approach)]
                if isinstance(last, Stay)
                else []
            )
            via_all = out + via_pts + [NODES[n] for n in PORTS[port].approach]
        else:
            via_all = self._here_node_path(list(PORTS[port].approach), kp)
        arrive = self._sail(
            via_all, PORTS[port].berths[0], depart, arrive, dwell_h, speed_kn, **opts
        )
        stay = Stay(port, arrive)
        self.v.segs.append(stay)
        if PORTS[port].country == "KP":
            self.v.kp_calls.append(stay)
        return stay

    def go_to(
        self,
        point: tuple[float, float],
        arrive: datetime,
        *,
        via: list[str] | None = None,
        speed_kn: float | None = None,
        **opts: int,
    ) -> None:
        """Sail to a point at sea and stop there (the caller adds the Drift)."""
        nodes = via or [
            min((n for n in NODES if n not in KP_NODES), key=lambda n: distance_m(NODES[n], point))
        ]
        pts = self._here_node_path(nodes, kp=False)
        self._sail(pts, point, None, arrive, None, speed_kn, **opts)

    def drift(
        self, t0: datetime, t1: datetime, p0: tuple[float, float], vel: tuple[float, float]
    ) -> Drift:
        d = Drift(t0, t1, p0, vel)
        self.v.segs.append(d)
        return d

    def shuttle(
        self,
        cycle: list[str],
        until: datetime,
        dwell_h: tuple[float, float] = (40, 120),
        speed_kn: float | None = None,
    ) -> None:
        """Trade between ``cycle`` ports until the next arrival would pass ``until``."""
        i = 0
        while True:
            last = self.last
            assert isinstance(last, Stay)
            nxt = cycle[i % len(cycle)]
            i += 1
            if nxt == last.port:
                continue
            dwell = self.rng.uniform(*dwell_h)
            depart = last.t0 + timedelta(hours=dwell)
            probe = distance_m(PORTS[last.port].berths[0], PORTS[nxt].berths[0]) * 1.3
            eta = depart + timedelta(seconds=probe / ((speed_kn or self.v.speed_kn) * KN_MS))
            if eta + timedelta(hours=dwell_h[0]) > until:
                return
            self.go(nxt, dwell_h=dwell, speed_kn=speed_kn)

    def finish(self, end: datetime = END) -> None:
        last = self.last
        self.v.end = end
        if isinstance(last, Stay):
            last.t1 = end
        elif isinstance(last, Sail) and last.t1 > end:
            pass  # truncated at sampling


def sts(
    a: Plan,
    b: Plan,
    point: tuple[float, float],
    t0: datetime,
    hours: float,
    via_a: list[str] | None = None,
    via_b: list[str] | None = None,
) -> tuple[Drift, Drift]:
    """A ship-to-ship transfer: ``a`` waits from t0-1h, ``b`` comes alongside t0..t0+hours.

    Every fix of both vessels is on the 10-minute grid, so that the resampled tracks of DESIGN §3
    meet exactly from t0 to t1 (< 500 m, both <= 2 kn) and not a grid step more.
    """
    assert t0 == grid_floor(t0)
    t1 = t0 + timedelta(hours=hours)
    vel = (0.12, 0.16)  # a 0.39 kn set towards the north-east
    a.go_to(point, arrive=t0 - timedelta(hours=1), via=via_a, fine_tail_s=1800)
    da = a.drift(t0 - timedelta(hours=1), t1 + timedelta(hours=1), point, vel)
    alongside = offset(drift_pos(da, t0), 60.0, 90.0)  # about 110 m abeam
    b.go_to(alongside, arrive=t0, via=via_b, fine_tail_s=1800)
    db = b.drift(t0, t1, alongside, vel)
    a.v.sts.append((b.v.key, db))
    b.v.sts.append((a.v.key, db))
    return da, db


def loiter(
    a: Plan, point: tuple[float, float], t0: datetime, hours: float, via: list[str] | None = None
) -> Drift:
    """Loitering: ``a`` stops at ``point`` at t0 and drifts alone until t0 + hours, fixes on the
    10-minute grid at 0.3-0.5 kn (DESIGN §3: slow for hours, away from ports, nobody alongside).
    """
    assert t0 == grid_floor(t0)
    a.go_to(point, arrive=t0, via=via, fine_tail_s=1800)
    return a.drift(t0, t0 + timedelta(hours=hours), point, (0.12, 0.16))


# ---------------------------------------------------------------------------------------------
# Berths: every stay gets a stopping place no other vessel uses at the same time


def assign_berths(vessels: list[Vessel], rng: random.Random) -> None:
    """Give each stay without a berth one >= 1 km from every other vessel stopped there then."""
    by_port: dict[str, list[tuple[Stay, str]]] = {}
    for v in vessels:
        for seg in v.segs:
            if isinstance(seg, Stay):
                by_port.setdefault(seg.port, []).append((seg, v.key))
    for port, stays in sorted(by_port.items()):
        stays.sort(key=lambda sv: (sv[0].t0, sv[1]))
        placed: list[tuple[Stay, str]] = [sv for sv in stays if sv[0].berth is not None]
        for stay, key in stays:
            if stay.berth is not None:
                continue
            t1 = stay.t1 or END
            busy = [
                s.berth
                for s, k in placed
                if k != key
                and s.t0 < t1 + timedelta(hours=3)
                and stay.t0 < (s.t1 or END) + timedelta(hours=3)
            ]
            free = [b for b in PORTS[port].berths if all(distance_m(b, q) >= 1000 for q in busy)]
            if not free:
                raise ValueError(f"no free berth at {port} for {key} at {stay.t0}")
            stay.berth = free[rng.randrange(len(free))] if len(free) > 1 else free[0]
            placed.append((stay, key))


"""Write the bundled demo scenario: 47 vessels, 2026-03-01..2026-10-31, Yellow Sea to Sea of Japan.

Usage: ``python sample_tracks/generate.py [OUTPUT_DIR] [--check]`` (default: this folder).

The scenario is data: ``vessels.json`` (who each vessel is, its story, its expected verdict),
``timeline.json`` (what each vessel does, step by step: trade, call, meet at sea, go dark) and
``seaways.json`` (waypoints, sea graph, ports), described in ``SCENARIO.md``: adding a vessel is
adding lines there. JSON because the app opens this folder and skips ``.json`` files, while a
CSV would be read as a track file. This file plays the tables, with the seed:
re-running rewrites byte-identical files (gzip with mtime 0 and no file name in the header).
It writes

- ``sample_2026.nmea.gz``: NMEA 0183 ``!AIVDM`` with tag blocks (``\\s:...,c:<epoch>*hh\\``),
  types 1/2/3 (class A) and 18 (class B) positions, type 5 (two-part, tag-block group ``g:``
  plus a sequential message id) and type 24 static data, encoded with ``pyais.encode_dict``;
- ``sample_2026.csv.gz``: the same fixes as a NOAA MarineCadastre-style CSV;
- ``README.md``: the story of every vessel and the expected verdict table for AS_OF.

Positions are quantised to the AIS resolution first (1/10000 minute) and the CSV carries the
exact values pyais decodes (6 decimals), so both files give the same fixes to the bit.

Sea routes follow hand-placed waypoints at sea (a small graph, shortest path by great circle);
``--check`` tests every leg against the bundled basemap and the scenario against the rules of
DESIGN.md §3 (gaps, accidental encounters, KP zones) where those resources exist.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scenario_ais import Fix, _ends, csv_text, nmea_text, sample, write_gzip
from scenario_world import (
    AS_OF,
    END,
    HERE,
    PORTS,
    SEED,
    START,
    WINDOW,
    Drift,
    Plan,
    Sail,
    Stay,
    Vessel,
    assign_berths,
    distance_m,
    loiter,
    offset,
    sts,
)

# check_scenario.py reads these through this module
__all__ = ["UTC", "Drift", "Fix", "Sail", "_ends", "distance_m", "build", "iso"]

NMEA_NAME = "sample_2026.nmea.gz"
CSV_NAME = "sample_2026.csv.gz"
README_NAME = "README.md"
README_TEMPLATE = HERE / "readme_template.md"


# ---------------------------------------------------------------------------------------------
# The scenario


def imo(base6: int) -> int:
    """A valid IMO number from its first six digits (the seventh is the check digit)."""
    digits = [int(c) for c in f"{base6:06d}"]
    check = sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return base6 * 10 + check


def at(text: str) -> datetime:
    """'2026-06-10 06:00' as an aware UTC datetime."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


VESSELS_FILE = HERE / "vessels.json"
TIMELINE_FILE = HERE / "timeline.json"


def _point(text: str) -> tuple[float, float]:
    """'38.0/123.5' as (lat, lon)."""
    lat, lon = text.split("/")
    return float(lat), float(lon)


def _points(text: str) -> list[tuple[float, float]]:
    return [_point(p) for p in text.split()]


_RELATIVE = re.compile(r"@(\w+)\.(t0|t1)(?:\+(\d+(?:\.\d+)?)(h|min))?")


def _time(text: str, labels: dict[str, Stay]) -> datetime:
    """'2026-06-10 06:00', 'end', or '@label.t0+30h' (a labelled stay's arrival, t0, or
    departure, t1, plus hours or minutes)."""
    if text == "end":
        return END
    found = _RELATIVE.fullmatch(text)
    if found is None:
        return at(text)
    moment = getattr(labels[found[1]], found[2])
    if found[3]:
        unit = "hours" if found[4] == "h" else "minutes"
        moment += timedelta(**{unit: float(found[3])})
    return moment


def read_vessels() -> dict[str, Plan]:
    """One plan per vessel of vessels.json, each starting at its home port."""
    with open(VESSELS_FILE, encoding="utf-8") as fh:
        rows = json.load(fh)["vessels"]
    plans: dict[str, Plan] = {}
    for row in rows:
        v = Vessel(
            row["key"],
            row["mmsi"],
            row["name"],
            row["imo"],
            row["callsign"],
            _flag(row["mmsi"]),
            row["ship_type"],
            row["length_m"],
            row["width_m"],
            row["draught_m"],
            row["speed_kn"],
            row["class"],
            story=row["story"],
            expect=row["expect"],
            why=row["why"],
            renames=[(at(since), new) for since, new in row["renames"]],
        )
        start = at(row["start"]) if row["start"] else START
        plans[v.key] = Plan(v, row["home_port"], random.Random(f"{SEED}-{v.key}"), start)
    return plans


def _set_stay(stay: Stay, opts: dict[str, Any], labels: dict[str, Stay]) -> None:
    """The options of a step that describe a stay: label, berth, status, silent, fine."""
    if "label" in opts:
        labels[opts["label"]] = stay
    if "status" in opts:
        stay.status = int(opts["status"])
    if "silent" in opts:
        stay.silent = bool(opts["silent"])
    if "berth" in opts:
        where, _, shift = opts["berth"].partition(" ")
        if where.startswith("@"):  # beside a labelled stay: 'north/east' metres from its berth
            base = labels[where[1:]].berth
            assert base is not None
            stay.berth = offset(base, *_point(shift))
        else:  # 'PORT#i': the port's i-th berth
            port, _, index = where.partition("#")
            stay.berth = PORTS[port].berths[int(index)]
    if "fine" in opts:
        a, _, b = opts["fine"].partition("..")
        stay.fine.append((_time(a, labels), _time(b, labels)))


_SAIL_OPTS = ("first_step_s", "fine_head_s", "fine_tail_s")


def _day_trips(p: Plan, port: str, grounds: list[tuple[float, float]], speed_kn: float) -> None:
    """A class B fishing boat: on about half the days, out at 19:00 round ``grounds``, back."""
    day = START
    while day + timedelta(days=2) < END:
        day += timedelta(days=1)
        if p.rng.random() < 0.5:
            continue  # a day in port
        depart = day.replace(hour=19) + timedelta(minutes=p.rng.randrange(60))
        k = p.rng.randrange(len(grounds))
        p.go(port, depart=depart, via_pts=grounds[k:] + grounds[:k], speed_kn=speed_kn)


def scenario() -> list[Vessel]:
    """Every vessel of vessels.json, its timeline played from timeline.json, step by step."""
    plans = read_vessels()
    labels: dict[str, Stay] = {}
    with open(TIMELINE_FILE, encoding="utf-8") as fh:
        steps = json.load(fh)["steps"]
    for n, step in enumerate(steps, start=1):
        opts = {k: v for k, v in step.items() if k not in ("vessel", "verb", "port")}
        try:
            _play(plans[step["vessel"]], step["verb"], step.get("port", ""), opts, plans, labels)
        except (KeyError, ValueError, AssertionError) as exc:
            raise ValueError(f"{TIMELINE_FILE.name} step {n} ({step}): {exc!r}") from exc
    return _finish_scenario({k: p.v for k, p in plans.items()}, plans)


def _play(p: Plan, verb: str, port: str, opts: dict[str, Any], plans: dict[str, Plan],
          labels: dict[str, Stay]) -> None:
    """One step of timeline.json (the verbs are described in SCENARIO.md)."""
    dwell = tuple(float(d) for d in opts["dwell_h"].split("/")) if "dwell_h" in opts else None
    speed = float(opts["speed_kn"]) if "speed_kn" in opts else None
    if verb == "shuttle":
        scale = float(opts.get("dwell_scale", 1))
        low, high = dwell or (40, 120)
        if "dwell_scale" in opts:
            low, high = low * scale, high * scale
        p.shuttle(port.split("-"), _time(opts["until"], labels), (low, high), speed)
    elif verb in ("go", "be_at"):
        if verb == "be_at":
            if p.last.port == port:  # type: ignore[union-attr]
                return
        stay = p.go(
            port,
            depart=_time(opts["depart"], labels) if "depart" in opts else None,
            arrive=_time(opts["arrive"], labels) if "arrive" in opts else None,
            dwell_h=dwell[0] if dwell else None,
            speed_kn=speed,
            via_pts=_points(opts["via"]) if "via" in opts else None,
            **{k: int(opts[k]) for k in _SAIL_OPTS if k in opts},
        )
        _set_stay(stay, opts, labels)
    elif verb == "sts":
        via_a = opts["via_a"].split() if "via_a" in opts else None
        via_b = opts["via_b"].split() if "via_b" in opts else None
        sts(p, plans[port], _point(opts["point"]), at(opts["at"]), float(opts["hours"]),
            via_a, via_b)
    elif verb == "loiter":
        via = opts["via"].split() if "via" in opts else None
        loiter(p, _point(opts["point"]), at(opts["at"]), float(opts["hours"]), via)
    elif verb == "stay":
        assert isinstance(p.last, Stay)
        _set_stay(p.last, opts, labels)
    elif verb == "dark":
        p.v.dark.append((_time(opts["from"], labels), _time(opts["to"], labels)))
    elif verb == "unseen_calls":
        p.v.kp_calls.clear()
    elif verb == "day_trips":
        _day_trips(p, port, _points(opts["grounds"]), speed or p.v.speed_kn)
    elif verb == "finish":
        p.finish(_time(opts["end"], labels) if "end" in opts else END)
        if opts.keys() - {"end"}:
            assert isinstance(p.last, Stay)
            _set_stay(p.last, opts, labels)
    else:
        raise ValueError(f"unknown verb {verb!r}")


def _flag(mmsi: int) -> str:
    from pyais.constants import COUNTRY_MAPPING

    return COUNTRY_MAPPING[int(str(mmsi)[:3])][0]


def _finish_scenario(vs: dict[str, Vessel], plans: dict[str, Plan]) -> list[Vessel]:
    out = sorted(vs.values(), key=lambda v: v.key)
    for v in out:
        if v.segs and isinstance(v.segs[-1], Stay) and v.segs[-1].t1 is None:
            raise ValueError(f"{v.key}: timeline not finished")
    return out


# ---------------------------------------------------------------------------------------------
# Expected verdicts (DESIGN §1-§2) from the scenario's own facts


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected(
    vessels: list[Vessel], fixes: dict[str, list[Fix]]
) -> dict[str, tuple[str, datetime | None]]:
    """verdict and barred_until per vessel key, as DESIGN defines them for AS_OF."""
    by_key = {v.key: v for v in vessels}

    def call_ends(v: Vessel) -> list[datetime]:
        ends = []
        for stay in v.kp_calls:
            if stay.t1 is not None and stay.t1 < v.end:
                ends.append(stay.t1)
            else:  # ongoing: the visit ends at its last fix
                ends.append(datetime.fromtimestamp(fixes[v.key][-1].t, tz=UTC))
        return ends

    out: dict[str, tuple[str, datetime | None]] = {}
    for v in vessels:
        bars = [e + WINDOW for e in call_ends(v) if e + WINDOW > AS_OF]
        for other, drift in v.sts:
            counterpart = by_key[other]
            if any(drift.t0 - WINDOW <= e <= drift.t0 for e in call_ends(counterpart)):
                if drift.t1 + WINDOW > AS_OF:
                    bars.append(drift.t1 + WINDOW)
        if bars:
            verdict, until = "barred", max(bars)
        else:
            verdict, until = ("review" if v.expect == "review" else "clear"), None
        if verdict != v.expect:
            raise ValueError(f"{v.key}: scenario says {v.expect}, the rule gives {verdict}")
        out[v.key] = (verdict, until)
    return out


# ---------------------------------------------------------------------------------------------
# README


README_HEAD = README_TEMPLATE.read_text(encoding="utf-8")


def readme_text(
    vessels: list[Vessel], exp: dict[str, tuple[str, datetime | None]], n_fixes: int
) -> str:
    order = {"barred": 0, "review": 1, "clear": 2}
    head = README_HEAD.format(
        n_fixes=n_fixes,
        nmea=NMEA_NAME,
        csv=CSV_NAME,
        n=len(vessels),
        start=START.date(),
        end=END.date(),
        seed=SEED,
        as_of=iso(AS_OF),
        window=WINDOW.days,
        opens=iso(AS_OF - WINDOW),
    )
    rows = sorted(vessels, key=lambda v: (order[exp[v.key][0]], v.mmsi))
    table = [
        f"| {v.mmsi} | {v.name_at(v.end)} | {exp[v.key][0]} | "
        f"{iso(exp[v.key][1]) if exp[v.key][1] else '-'} | {v.why} |"
        for v in rows
    ]
    roster = [
        "",
        "## The vessels",
        "",
        "| key | mmsi | name | imo | flag | call sign | class | story |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in vessels:
        name = v.name + "".join(f" -> {new} (from {since.date()})" for since, new in v.renames)
        roster.append(
            f"| {v.key} | {v.mmsi} | {name} | {v.imo or '-'} | {v.flag} | {v.callsign} "
            f"| {v.cls} | {v.story} |"
        )
    return head + "\n".join(table) + "\n" + "\n".join(roster) + "\n"


# ---------------------------------------------------------------------------------------------


def build() -> tuple[list[Vessel], dict[str, list[Fix]]]:
    vessels = scenario()
    assign_berths(vessels, random.Random(SEED))
    fixes = {v.key: sample(v, random.Random(f"{SEED}-fixes-{v.key}")) for v in vessels}
    return vessels, fixes


def generate(out_dir: Path) -> dict[str, str]:
    """Write the three files into ``out_dir``; returns file name -> sha256 of its bytes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    vessels, fixes = build()
    exp = expected(vessels, fixes)
    write_gzip(out_dir / NMEA_NAME, nmea_text(vessels, fixes))
    write_gzip(out_dir / CSV_NAME, csv_text(vessels, fixes))
    (out_dir / README_NAME).write_text(
        readme_text(vessels, exp, sum(len(f) for f in fixes.values())), encoding="utf-8"
    )
    return {
        name: hashlib.sha256((out_dir / name).read_bytes()).hexdigest()
        for name in (NMEA_NAME, CSV_NAME, README_NAME)
    }


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    out_dir = Path(args[0]) if args else HERE
    for name, digest in generate(out_dir).items():
        print(f"{digest}  {out_dir / name}")
    if "--check" in argv:
        from check_scenario import run_checks  # noqa: PLC0415

        return run_checks(*build())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

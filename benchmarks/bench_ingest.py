"""Ingest benchmark: our whole ``ingest()`` against the plain peers, same file, same run.

1. NMEA: a generated file of 200,000 sentences (90 % types 1-3, two-part type 5 joined by
   tag-block ``g:`` groups, some type 18, tag-block ``c:`` times), read by our ``ingest()``
   (decode + timestamps + cleaning + tables) against pyais ``FileReaderStream`` with
   ``msg.decode()`` on every message (decoding alone, no tables).
2. CSV: the NOAA MarineCadastre corpus file repeated ten times with the date shifted by one day
   per copy (999,990 rows in NOAA format), read by ``ingest()`` against ``pandas.read_csv``
   (C engine, and pyarrow engine for reference).

Each measurement runs in its own child process (so peak memory is that of one reader), the
runs are interleaved, and the best time of ``--repeats`` is kept; peak memory is the child's
peak RSS above its RSS after imports. Results replace this script's section of
``benchmarks/RESULTS.md``.

    .venv/bin/python benchmarks/bench_ingest.py [--sentences 200000] [--repeats 3]
"""

# ruff: noqa: E501  (the Markdown tables of the report are long lines on purpose)
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench_common import ROOT, machine, pyais_decode, run_child, status_mb, write_section

CORPUS_NOAA = ROOT.parent / "shared/corpus/noaa_marinecadastre/AIS_2022_01_03_first99999.csv.gz"
START, END = "<!-- bench_ingest:start -->", "<!-- bench_ingest:end -->"


# --- data ------------------------------------------------------------------------------------


def _tag(body: str) -> str:
    checksum = 0
    for char in body:
        checksum ^= ord(char)
    return f"\\{body}*{checksum:02X}\\"


def make_nmea(path: Path, sentences: int, seed: int = 7) -> dict[str, int]:
    """Write ``sentences`` tag-blocked sentences of 2,000 vessels on straight tracks."""
    from pyais import encode_dict

    rng = random.Random(seed)
    vessels = []
    for _ in range(2000):
        vessels.append(
            {
                "mmsi": rng.randint(201_000_000, 775_999_999),
                "lat": rng.uniform(30.0, 40.0),
                "lon": rng.uniform(120.0, 130.0),
                "sog": rng.choice([0.0, 0.1, rng.uniform(5, 20)]),
                "cog": rng.uniform(0, 359.9),
            }
        )
    t0 = 1_704_067_200  # 2024-01-01T00:00:00Z
    seconds = 7200.0  # two hours of a regional feed, ~28 sentences a second
    counts = {"type1_3": 0, "type5": 0, "type18": 0, "sentences": 0}
    group = 0
    lines: list[str] = []
    while counts["sentences"] < sentences:
        frac = counts["sentences"] / sentences
        epoch = int(t0 + frac * seconds)
        v = rng.choice(vessels)
        hours = frac * seconds / 3600
        lat = v["lat"] + v["sog"] * hours / 60 * math.cos(v["cog"] / 57.29578)
        lon = v["lon"] + v["sog"] * hours / 60 * math.sin(v["cog"] / 57.29578)
        roll = rng.random()
        channel = rng.choice("AB")
        if roll < 0.935:
            kind = 1 if roll < 0.75 else (2 if roll < 0.85 else 3)
            data = {"type": kind, "mmsi": v["mmsi"], "lat": lat, "lon": lon, "speed": v["sog"],
                    "course": v["cog"], "heading": int(v["cog"]), "status": 0}  # fmt: skip
            (sentence,) = encode_dict(data, radio_channel=channel, talker_id="AI", sentence_type="VDM")
            lines.append(_tag(f"s:bench,c:{epoch}") + sentence)
            counts["type1_3"] += 1
            counts["sentences"] += 1
        elif roll < 0.97 and counts["sentences"] + 2 <= sentences:
            group += 1
            data = {"type": 5, "mmsi": v["mmsi"], "imo": 9_000_000 + v["mmsi"] % 999_999,
                    "callsign": "BENCH", "shipname": f"SHIP {v['mmsi']}", "ship_type": 70,
                    "to_bow": 100, "to_stern": 20, "to_port": 10, "to_starboard": 10,
                    "destination": "NAMPO"}  # fmt: skip
            first, second = encode_dict(
                data, radio_channel=channel, talker_id="AI", sentence_type="VDM", seq_id=group % 10
            )
            lines.append(_tag(f"g:1-2-{group},s:bench,c:{epoch}") + first)
            lines.append(_tag(f"g:2-2-{group}") + second)
            counts["type5"] += 1
            counts["sentences"] += 2
        else:
            data = {"type": 18, "mmsi": v["mmsi"], "lat": lat, "lon": lon, "speed": v["sog"],
                    "course": v["cog"], "heading": int(v["cog"])}  # fmt: skip
            (sentence,) = encode_dict(data, radio_channel=channel, talker_id="AI", sentence_type="VDM")
            lines.append(_tag(f"s:bench,c:{epoch}") + sentence)
            counts["type18"] += 1
            counts["sentences"] += 1
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return counts


def make_noaa(path: Path, copies: int = 10) -> int:
    """The NOAA corpus file repeated ``copies`` times, one day later per copy."""
    import pandas as pd

    frame = pd.read_csv(CORPUS_NOAA, dtype=str, keep_default_na=False)
    parts = []
    for k in range(copies):
        part = frame.copy()
        part["BaseDateTime"] = part["BaseDateTime"].str.replace(
            "2022-01-03", f"2022-01-{3 + k:02d}", regex=False
        )
        parts.append(part)
    pd.concat(parts).to_csv(path, index=False)
    return len(frame) * copies


# --- children --------------------------------------------------------------------------------


def child(kind: str, path: str) -> None:
    """Run one measurement and print it as JSON (imports happen before the clock starts)."""
    import pandas as pd

    from desktop.core.ingest import ingest

    baseline = status_mb()
    start = time.perf_counter()
    if kind == "ours":
        result = ingest([path])
        count = len(result.fixes)
        extra = {"statics": len(result.statics), "lines": result.reports[0].lines}
    elif kind == "pyais":
        count, errors = pyais_decode(path)
        extra = {"errors": errors}
    elif kind == "pandas-c":
        count = len(pd.read_csv(path))
        extra = {}
    elif kind == "pandas-pyarrow":
        count = len(pd.read_csv(path, engine="pyarrow"))
        extra = {}
    else:
        raise SystemExit(f"unknown kind {kind}")
    seconds = time.perf_counter() - start
    peak = status_mb("VmHWM")
    grown = max(peak - baseline, 0.0)
    print(json.dumps({"seconds": seconds, "count": count, "peak_mb": grown, **extra}))


def measure(kind: str, path: Path) -> dict[str, float]:
    return run_child(__file__, kind, str(path))


def best_of(kinds: list[str], path: Path, repeats: int) -> dict[str, dict[str, float]]:
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for _ in range(repeats):
        for kind in kinds:  # interleaved, so a busy moment hurts every contender alike
            runs[kind].append(measure(kind, path))
    best = {}
    for kind, results in runs.items():
        # A run that produced less than the others (a reader edited mid-run in a shared tree)
        # is not a fast run: only runs with the full output compete.
        full = max(r["count"] for r in results)
        dropped = [r for r in results if r["count"] != full]
        if dropped:
            print(f"warning: {kind}: {len(dropped)} run(s) with short output ignored", file=sys.stderr)
        for r in results:
            r["full"] = r["count"] == full
        top = dict(min((r for r in results if r["full"]), key=lambda r: r["seconds"]))
        top["rounds"] = results
        top["peak_mb"] = max(r["peak_mb"] for r in results if r["full"])
        top["all_seconds"] = [round(r["seconds"], 3) for r in results]
        best[kind] = top
    return best


def median_ratio(ours: dict, peer: dict) -> float:
    """Median over rounds of ours/peer time: each round's two runs shared the same moment."""
    ratios = sorted(
        a["seconds"] / b["seconds"]
        for a, b in zip(ours["rounds"], peer["rounds"], strict=True)
        if a["full"] and b["full"]
    )
    middle = len(ratios) // 2
    return ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2


# --- report ----------------------------------------------------------------------------------


def versions() -> str:
    import pandas as pd
    import pyais
    import pyarrow

    return f"pandas {pd.__version__}, pyarrow {pyarrow.__version__}, pyais {pyais.__version__}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=200_000)
    parser.add_argument("--copies", type=int, default=10, help="NOAA corpus copies (99,999 rows each)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench_ingest"))
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    args.workdir.mkdir(parents=True, exist_ok=True)
    nmea = args.workdir / f"synthetic_{args.sentences}.nmea"
    counts_file = nmea.with_suffix(".json")
    if not nmea.exists() or not counts_file.exists():
        counts_file.write_text(json.dumps(make_nmea(nmea, args.sentences)))
    counts = json.loads(counts_file.read_text())
    csv = args.workdir / f"noaa_x{args.copies}.csv"
    if not csv.exists():
        make_noaa(csv, args.copies)
    rows = 99_999 * args.copies

    header = machine(versions())
    nm = best_of(["ours", "pyais"], nmea, args.repeats)
    cs = best_of(["ours", "pandas-c", "pandas-pyarrow"], csv, args.repeats)

    def rate(n: float, r: dict[str, float]) -> str:
        return f"{n / r['seconds']:,.0f}/s"

    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    ours_n, peer_n = nm["ours"], nm["pyais"]
    ours_c, peer_c, arrow_c = cs["ours"], cs["pandas-c"], cs["pandas-pyarrow"]
    s = args.sentences
    text = f"""## Ingest (`benchmarks/bench_ingest.py`, engineer ingest-core), {date}

Machine: {header}.
Best of {args.repeats} interleaved runs, each in its own process; memory = peak RSS above the
RSS after imports (0 = the reader never grew past what the imports had already peaked at: pyais
streams). The machine is shared with other work: absolute times vary up to 2-3x from run to run,
so compare the ratios, which come from interleaved runs of the same moment.
Run with `.venv/bin/python benchmarks/bench_ingest.py`.

### NMEA: {s:,} sentences ({counts['type1_3']:,} type 1-3, {counts['type5']:,} two-part type 5 joined by `g:`, {counts['type18']:,} type 18; tag-block `c:` times)

| reader | what it does | time | sentences/s | peak memory | output |
|---|---|---:|---:|---:|---|
| ours: `ingest()` | decode, time-stamp, join, clean, build fixes/statics/vessels | {ours_n['seconds']:.2f} s | {rate(s, ours_n)} | {ours_n['peak_mb']:.0f} MB | {ours_n['count']:,} fixes, {ours_n.get('statics', 0):,} static records |
| pyais `FileReaderStream` + `decode()` | decoding alone | {peer_n['seconds']:.2f} s | {rate(s, peer_n)} | {peer_n['peak_mb']:.0f} MB | {peer_n['count']:,} messages |

Ratio: our whole ingest is **{1 / median_ratio(ours_n, peer_n):.1f}x** the speed of pyais decoding alone (median over
rounds of the same-round ratio; {peer_n['seconds'] / ours_n['seconds']:.1f}x from the best times). Times of every run:
ours {ours_n['all_seconds']}, pyais {peer_n['all_seconds']}.
Fixes: {counts['type1_3'] + counts['type18']:,} position reports written, {ours_n['count']:,} kept; the
{counts['type1_3'] + counts['type18'] - ours_n['count']:,} others are the generator's repeats of one vessel within one
second (same time, same place), which the cleaning counts as `duplicate`.

### CSV: NOAA MarineCadastre format, {rows:,} rows (corpus file x{args.copies}, dates shifted)

| reader | what it does | time | rows/s | peak memory |
|---|---|---:|---:|---:|
| ours: `ingest()` | parse, map columns, clean, statics history, fixes/vessels tables | {ours_c['seconds']:.2f} s | {rate(rows, ours_c)} | {ours_c['peak_mb']:.0f} MB |
| `pandas.read_csv` (C engine) | parse to a DataFrame only | {peer_c['seconds']:.2f} s | {rate(rows, peer_c)} | {peer_c['peak_mb']:.0f} MB |
| `pandas.read_csv(engine="pyarrow")` | parse to a DataFrame only | {arrow_c['seconds']:.2f} s | {rate(rows, arrow_c)} | {arrow_c['peak_mb']:.0f} MB |

Ratio: our whole ingest takes **{median_ratio(ours_c, peer_c):.1f}x** the time of a plain C-engine
`pandas.read_csv` of the same file and {median_ratio(ours_c, arrow_c):.1f}x that of its pyarrow engine (medians over
rounds of the same-round ratio; {ours_c['seconds'] / peer_c['seconds']:.1f}x and {ours_c['seconds'] / arrow_c['seconds']:.1f}x from the best times).
{ours_c['count']:,} fixes kept. Times of every run: ours {ours_c['all_seconds']}, pandas C
{peer_c['all_seconds']}, pandas pyarrow {arrow_c['all_seconds']}. The parse is a fraction of our
time: the rest is line accounting, the per-vessel static history, the cleaning (two sorts of
a million rows, duplicate and jump checks) and the typed fixes and vessels tables.
"""
    print(text)
    if not args.no_write:
        write_section(START, END, text)


if __name__ == "__main__":
    main()

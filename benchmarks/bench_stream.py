"""Streaming reader benchmark: peak memory of ``stream_file`` against the whole-file ingest.

Files (generated, vectorised, seeded):

- NMEA: ``--sentences`` tag-blocked single-part type 1 sentences (``c:`` times) of 2,000
  vessels on straight tracks at 6-14 kn, 20 sentences a second, with a two-part type 5
  (joined by sequence id) every 500 sentences; about 80 bytes a line.
- CSV: the same fixes as NOAA MarineCadastre rows (``MMSI,BaseDateTime,LAT,LON,...``).

Measurements, each in its own child process (peak RSS from ``ru_maxrss``, and the child's RSS
after imports as the baseline):

- ``stream``: iterate ``stream_file(path)`` to the end (first pass + cleaning by bucket);
- ``ingest``: ``ingest([path])`` (first pass in pieces, then every fix in memory and cleaned
  together, as ``exposure check`` does);
- ``whole``: the whole-file reader (``read_file`` + cleaning), what ingest did before;
- ``pyais``: pyais ``FileReaderStream`` + ``decode()`` on every message (NMEA only).

    .venv/bin/python benchmarks/bench_stream.py [--sizes 1000000,5000000] [--pyais]
"""

# ruff: noqa: E501  (the Markdown tables of the report are long lines on purpose)
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from functools import reduce
from pathlib import Path

import numpy as np
from bench_common import machine, pyais_decode, run_child, status_mb, write_section

START, END = "<!-- bench_stream:start -->", "<!-- bench_stream:end -->"
T0 = 1_700_000_000
VESSELS = 2000
PER_SECOND = 20


# --- data ------------------------------------------------------------------------------------


def _tracks(start: int, n: int, seed: int) -> dict[str, np.ndarray]:
    """Fixes start..start+n-1: fix k is vessel k % VESSELS at second k // 20, straight tracks."""
    rng = np.random.default_rng(seed)
    mmsi0 = 201_000_000 + np.arange(VESSELS) * 287_000 + rng.integers(0, 287_000, VESSELS)
    lat0 = rng.uniform(30, 40, VESSELS)
    lon0 = rng.uniform(120, 130, VESSELS)
    sog = rng.uniform(6, 14, VESSELS)
    cog = rng.uniform(0, 360, VESSELS)
    k = np.arange(start, start + n)
    v = k % VESSELS
    t = T0 + k // PER_SECOND
    hours = (t - T0) / 3600.0
    # Straight runs that bounce off the box's edges (no teleport: no implausible jumps).
    dist_deg = sog[v] * hours / 60.0
    lat = 30 + 10 - np.abs((lat0[v] + dist_deg * np.cos(np.radians(cog[v])) - 30) % 20 - 10)
    lon = 120 + 10 - np.abs((lon0[v] + dist_deg * np.sin(np.radians(cog[v])) - 120) % 20 - 10)
    return {"mmsi": mmsi0[v], "t": t, "lat": np.round(lat, 5), "lon": np.round(lon, 5),
            "sog": np.round(sog[v], 1), "cog": np.round(cog[v], 1)}  # fmt: skip


def _bits(values: np.ndarray, width: int) -> np.ndarray:
    """Each value as ``width`` bits, most significant first (two's complement)."""
    v = values.astype(np.int64) & ((1 << width) - 1)
    out = np.empty((len(v), width), dtype=np.uint8)
    for j in range(width):
        out[:, j] = (v >> (width - 1 - j)) & 1
    return out


def _armour(bits: np.ndarray) -> np.ndarray:
    """168 bits per row to 28 six-bit armoured characters."""
    six = bits.reshape(len(bits), -1, 6)
    value = np.zeros(six.shape[:2], dtype=np.uint8)
    for j in range(6):
        value |= six[:, :, j] << (5 - j)
    return np.where(value < 40, value + 48, value + 56).astype(np.uint8)


def _xor_rows(chars: np.ndarray) -> np.ndarray:
    return np.bitwise_xor.reduce(chars, axis=1)


_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


def _hex2(values: np.ndarray) -> np.ndarray:
    return np.stack([_HEX[values >> 4], _HEX[values & 15]], axis=1)


def _type5_pair(mmsi: int, seq: int, epoch: int) -> list[str]:
    from pyais import encode_dict

    data = {"type": 5, "mmsi": int(mmsi), "imo": 9000000 + int(mmsi) % 999999, "callsign": "BENCH",
            "shipname": f"VESSEL {int(mmsi) % 10000}", "ship_type": 70, "to_bow": 100, "to_stern": 20,
            "to_port": 10, "to_starboard": 10, "destination": "BUSAN"}  # fmt: skip
    first, second = encode_dict(data, talker_id="AI", sentence_type="VDM", seq_id=seq)
    body = f"c:{epoch}"
    tag = f"\\{body}*{reduce(lambda a, c: a ^ ord(c), body, 0):02X}\\"
    return [tag + first, second]


def make_nmea(path: Path, sentences: int, seed: int = 3) -> None:
    """Write the NMEA file in blocks of 100,000 lines (bounded memory while generating)."""
    with path.open("wb") as out:
        for start in range(0, sentences, 100_000):
            n = min(100_000, sentences - start)
            tr = _tracks(start, n, seed)
            fields = [
                _bits(np.ones(n), 6), _bits(np.zeros(n), 2), _bits(tr["mmsi"], 30),
                _bits(np.zeros(n), 4), _bits(np.full(n, -128), 8),
                _bits(np.round(tr["sog"] * 10), 10), _bits(np.zeros(n), 1),
                _bits(np.round(tr["lon"] * 600000), 28), _bits(np.round(tr["lat"] * 600000), 27),
                _bits(np.round(tr["cog"] * 10), 12), _bits(np.round(tr["cog"]) % 360, 9),
                _bits(tr["t"] % 60, 6), _bits(np.zeros(n), 2 + 3 + 1 + 19),
            ]  # fmt: skip
            payload = _armour(np.concatenate(fields, axis=1))
            head = np.frombuffer(b"AIVDM,1,1,,A,", dtype=np.uint8)
            tail = np.frombuffer(b",0", dtype=np.uint8)
            body = np.concatenate(
                [np.broadcast_to(head, (n, len(head))), payload, np.broadcast_to(tail, (n, 2))],
                axis=1,
            )
            sums = _hex2(_xor_rows(body))
            epoch = np.char.encode(np.char.mod("%d", tr["t"]), "ascii").astype("S10")
            tag_body = np.concatenate(
                [np.broadcast_to(np.frombuffer(b"c:", dtype=np.uint8), (n, 2)),
                 epoch.view(np.uint8).reshape(n, 10)], axis=1,
            )  # fmt: skip
            tag_sum = _hex2(_xor_rows(tag_body))
            line = np.concatenate(
                [
                    np.full((n, 1), ord("\\"), np.uint8), tag_body, np.full((n, 1), ord("*"), np.uint8),
                    tag_sum, np.full((n, 1), ord("\\"), np.uint8), np.full((n, 1), ord("!"), np.uint8),
                    body, np.full((n, 1), ord("*"), np.uint8), sums, np.full((n, 1), 10, np.uint8),
                ],
                axis=1,
            )
            text = line.tobytes()
            width = line.shape[1]
            pieces = []
            for k in range(0, n, 500):
                pieces.append(text[k * width : (k + 500) * width])
                mmsi = tr["mmsi"][k]
                pieces.append(("\n".join(_type5_pair(mmsi, k // 500 % 10, int(tr["t"][k]))) + "\n").encode())
            out.write(b"".join(pieces))


def make_csv(path: Path, rows: int, seed: int = 3) -> None:
    """NOAA-style rows of the same tracks (time order), in blocks of 500,000 rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with path.open("wb") as out:
        for start in range(0, rows, 500_000):
            n = min(500_000, rows - start)
            tr = _tracks(start, n, seed)
            ids = tr["mmsi"] % 10000
            table = pa.table({
                "MMSI": tr["mmsi"],
                "BaseDateTime": pa.array(np.datetime_as_string(tr["t"].astype("datetime64[s]"), unit="s")),
                "LAT": tr["lat"], "LON": tr["lon"], "SOG": tr["sog"], "COG": tr["cog"],
                "Heading": np.full(n, 511),
                "VesselName": pa.array([f"VESSEL {k}" for k in ids.tolist()]),
                "IMO": pa.array([f"IMO{9000000 + k}" for k in ids.tolist()]),
                "CallSign": pa.array(["BENCH"] * n), "VesselType": np.full(n, 70),
                "Status": np.zeros(n, dtype=np.int64), "Length": np.full(n, 120),
                "Width": np.full(n, 20), "Draft": np.full(n, 5.0),
                "Cargo": pa.nulls(n, pa.int64()), "TransceiverClass": pa.array(["A"] * n),
            })  # fmt: skip
            options = pacsv.WriteOptions(include_header=start == 0, quoting_style="none")
            pacsv.write_csv(table, out, write_options=options)


# --- children --------------------------------------------------------------------------------


def child(kind: str, path: str) -> None:
    """One measurement, printed as JSON (imports happen before the clock starts)."""
    from desktop.core.ingest import ingest, read_file
    from desktop.core.ingest.assemble import assemble
    from desktop.core.ingest.stream import stream_file

    baseline = status_mb()
    start = time.perf_counter()
    extra: dict[str, object] = {}
    if kind == "stream":
        stream = stream_file(path)
        count = 0
        chunks = 0
        for chunk in stream:
            count += len(chunk.fixes)
            chunks += 1
        extra = {"chunks": chunks, "lines": stream.report.lines}
    elif kind == "ingest":
        count = len(ingest([path]).fixes)
    elif kind == "whole":
        raw = read_file(Path(path))
        count = len(assemble([Path(path)], [raw], 50.0).fixes)
    elif kind == "pyais":
        count, _ = pyais_decode(path)
    else:
        raise SystemExit(f"unknown kind {kind}")
    seconds = time.perf_counter() - start
    peak = status_mb("VmHWM")
    print(json.dumps({"seconds": seconds, "count": count, "peak_mb": peak,
                      "baseline_mb": baseline, **extra}))  # fmt: skip


def measure(kind: str, path: Path) -> dict:
    result = run_child(__file__, kind, str(path))
    print(f"  {kind:7s} {path.name}: {result}", file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000")
    parser.add_argument("--kinds", default="stream,ingest,whole")
    parser.add_argument("--formats", default="nmea,csv")
    parser.add_argument("--pyais", action="store_true", help="also pyais on the first NMEA size")
    parser.add_argument("--tmp", default="/tmp/bench_stream")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"))
    parser.add_argument("--report-only", action="store_true",
                        help="write RESULTS.md from the runs logged in --tmp, measure nothing")  # fmt: skip
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    tmp = Path(args.tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    log = tmp / "runs.jsonl"
    if args.report_only:
        report(log)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with log.open("a") as out:
        out.write(json.dumps({"machine": machine(), "at": f"{datetime.now(UTC):%Y-%m-%d %H:%M}"}) + "\n")
    for fmt in args.formats.split(","):
        for size in sizes:
            path = tmp / f"{fmt}-{size}.{'nmea' if fmt == 'nmea' else 'csv'}"
            if not path.exists():
                (make_nmea if fmt == "nmea" else make_csv)(path, size)
            mb = path.stat().st_size / 1e6
            kinds = args.kinds.split(",")
            if fmt == "nmea" and args.pyais and size == sizes[0]:
                kinds += ["pyais", "stream"]  # alternated: stream, ..., pyais, stream
            for kind in kinds:
                r = measure(kind, path)
                rows.append((fmt, size, mb, kind, r))
                with log.open("a") as out:
                    out.write(json.dumps({"fmt": fmt, "size": size, "mb": mb, "kind": kind, **r}) + "\n")
    report(log)


def report(log: Path) -> None:
    """The results table from every run logged, into RESULTS.md."""
    rows = []
    machines = []
    for text in log.read_text().splitlines():
        entry = json.loads(text)
        if "machine" in entry:
            machines.append(f"{entry['at']} UTC: {entry['machine']}")
            continue
        rows.append((entry["fmt"], entry["size"], entry["mb"], entry["kind"], entry))
    lines = [
        "## Streaming readers (bench_stream.py)",
        "",
        "Runs: " + "; ".join(machines) + ".",
        "Peak RSS is the child process's ``ru_maxrss`` (Python, numpy, pandas and pyarrow",
        "imported: the baseline column). One run per row; the machine is shared and noisy, so",
        "read times as rough and ratios between rows of one run as the result.",
        "",
        "| format | sentences/rows | file MB | reader | seconds | fixes | peak RSS MB | baseline MB |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for fmt, size, mb, kind, r in rows:
        lines.append(
            f"| {fmt} | {size:,} | {mb:.0f} | {kind} | {r['seconds']:.1f} | {r['count']:,} | "
            f"{r['peak_mb']:.0f} | {r['baseline_mb']:.0f} |"
        )
    write_section(START, END, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""Detection benchmark (issue 4): every detector and the rule on synthetic fixes, no file reading.

    .venv/bin/python benchmarks/bench_detect.py            # 1 M and 10 M fixes
    .venv/bin/python benchmarks/bench_detect.py --sizes 1000000 --movingpandas

Each size runs in a fresh process. Memory: ``rss_before_mb`` is the resident size with the
fixes table loaded, ``peak_rss_mb`` the process's high-water mark during screening (reset
just before it through ``/proc/self/clear_refs``), so the screening's own peak is at most
their difference plus what the allocator kept from generating the data. Wall and CPU time
are both reported: on a shared 2-core machine the CPU time is the fairer figure.
``--movingpandas`` also times port-call detection
against movingpandas' ``TrajectoryStopDetector`` (max_diameter 500 m, min_duration 1 h) on
the same 200 k fixes, once each (movingpandas is slow).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _reset_peak() -> bool:
    """Reset the kernel's high-water mark of this process (Linux ``clear_refs`` 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_size(n: int, repeats: int) -> dict:
    """Generate ``n`` fixes, screen them ``repeats`` times, report the best time."""
    from synth_fixes import synth_fixes

    from desktop.core.fixes import bytes_per_fix
    from desktop.core.screening import default_known_ports, ingest_result_of, screen

    t0 = time.perf_counter()
    fixes, zones = synth_fixes(n)
    gen_s = time.perf_counter() - t0
    known = default_known_ports()
    source = ingest_result_of(fixes)
    as_of = (fixes["time"].max().floor("s") + pd.Timedelta(seconds=1)).to_pydatetime()
    before = _rss_mb()
    _reset_peak()
    times = []
    cpu = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = screen(source, zones, as_of=as_of, known_ports=known)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    kinds: dict[str, int] = {}
    for e in result.events:
        kinds[str(e.kind)] = kinds.get(str(e.kind), 0) + 1
    verdicts: dict[str, int] = {}
    for v in result.verdicts:
        verdicts[str(v.verdict)] = verdicts.get(str(v.verdict), 0) + 1
    best = min(times)
    return {
        "fixes": len(fixes),
        "vessels": int(fixes["mmsi"].nunique()),
        "zones": len(zones),
        "generate_s": round(gen_s, 2),
        "screen_s": [round(t, 3) for t in times],
        "screen_cpu_s": [round(t, 3) for t in cpu],
        "fixes_per_s": round(len(fixes) / best),
        "fixes_per_cpu_s": round(len(fixes) / min(cpu)),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "table_mb": round(len(fixes) * bytes_per_fix(fixes) / 2**20, 1),
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(_peak_mb(), 1),
        "events": dict(sorted(kinds.items())),
        "verdicts": dict(sorted(verdicts.items())),
    }


def movingpandas_compare(n: int = 200_000) -> dict:
    import geopandas as gpd
    import movingpandas as mpd
    from synth_fixes import synth_fixes

    from desktop.core.detect.port_calls import detect_port_visits

    fixes, zones = synth_fixes(n, seed=1)
    detect_port_visits(fixes, zones)  # warm (imports, prepared geometries)
    t0 = time.perf_counter()
    visits = detect_port_visits(fixes, zones)
    ours_s = time.perf_counter() - t0
    calls = sum(1 for e in visits.events if str(e.kind) == "port_call")

    frame = gpd.GeoDataFrame(
        {"mmsi": fixes["mmsi"].to_numpy(), "t": fixes["time"].dt.tz_localize(None)},
        geometry=gpd.points_from_xy(fixes["lon"], fixes["lat"]),
        crs="EPSG:4326",
    )
    t0 = time.perf_counter()
    collection = mpd.TrajectoryCollection(frame, "mmsi", t="t")
    ranges = mpd.TrajectoryStopDetector(collection).get_stop_time_ranges(
        max_diameter=500, min_duration=timedelta(hours=1)
    )
    mp_s = time.perf_counter() - t0
    return {
        "fixes": len(fixes),
        "ours_port_visits_s": round(ours_s, 3),
        "ours_port_calls": calls,
        "movingpandas_s": round(mp_s, 2),
        "movingpandas_stops": len(ranges),
        "ratio": round(mp_s / ours_s, 1),
        "movingpandas": mpd.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--movingpandas", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-mp", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_size(args.child, args.repeats)))
        return
    if args.child_mp:
        print(json.dumps(movingpandas_compare()))
        return
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n), "--repeats", str(args.repeats)],
            check=True, capture_output=True, text=True,
        )
        print(out.stdout.strip(), flush=True)
    if args.movingpandas:
        out = subprocess.run(
            [sys.executable, __file__, "--child-mp"], check=True, capture_output=True, text=True
        )
        print(out.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()

"""How long the bundled zones, basemap and port references take to load, cold, in a new process.

    .venv/bin/python benchmarks/bench_resources.py [--runs 7] [--append]

Each run starts a fresh interpreter (no cache, as when the app starts) and times, after the
imports: ``default_zones()`` (both KP GeoJSON files through the validating loader),
``load_land()`` (the whole world basemap) and ``known_port_points()`` (68k points). The peer,
measured in the same session, is the plain geopandas path to the same files
(``geopandas.read_file`` on the GeoJSON, ``geopandas.read_parquet`` on the basemap), which does
no validation. The target (issue 3) is zones + basemap under 0.5 s. ``--append`` adds the table
to benchmarks/RESULTS.md under its own heading.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OURS = r"""
import json, time
t0 = time.perf_counter()
from desktop.core import basemap, ports, zones
t1 = time.perf_counter()
zs = zones.default_zones()
t2 = time.perf_counter()
land = basemap.load_land()
t3 = time.perf_counter()
lon, lat = ports.known_port_points()
t4 = time.perf_counter()
assert len(zs) == 18 and len(land) > 9000 and len(lon) > 68000
print(json.dumps({"import": t1 - t0, "zones": t2 - t1, "land": t3 - t2, "ports": t4 - t3}))
"""

PEER = r"""
import json, time
t0 = time.perf_counter()
import geopandas as gpd
from desktop.core.resources import resource_path
t1 = time.perf_counter()
a = gpd.read_file(resource_path("zones/kp_ports.geojson"))
b = gpd.read_file(resource_path("zones/kp_waters.geojson"))
t2 = time.perf_counter()
land = gpd.read_parquet(resource_path("basemap/land.parquet"))
t3 = time.perf_counter()
assert len(a) == 17 and len(b) == 1 and len(land) > 9000
print(json.dumps({"import": t1 - t0, "zones": t2 - t1, "land": t3 - t2}))
"""


def _run(code: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--append", action="store_true", help="append to benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    ours: list[dict[str, float]] = []
    peer: list[dict[str, float]] = []
    for _ in range(args.runs):  # interleaved, so that load on the machine hits both alike
        ours.append(_run(OURS))
        peer.append(_run(PEER))
    o_zl = statistics.median(r["zones"] + r["land"] for r in ours)
    p_zl = statistics.median(r["zones"] + r["land"] for r in peer)
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    lines = [
        f"## Resources: zones, basemap, ports load time ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f} at the end (a shared machine). "
        f"Median of {args.runs} cold runs, each in a new process "
        "(`benchmarks/bench_resources.py`).",
        "",
        "| step | ours (s) | geopandas peer (s) | ours / peer |",
        "|---|---|---|---|",
    ]
    for key, label in (("import", "imports (numpy, shapely, geopandas, pyarrow)"),
                       ("zones", "default zones (2 GeoJSON files, 18 zones)"),
                       ("land", "basemap, whole world (9,123 polygons)")):
        o, p = _median(ours, key), _median(peer, key)
        lines.append(f"| {label} | {o:.3f} | {p:.3f} | {o / p:.2f} |")
    lines.append(f"| **zones + basemap** (target < 0.5 s) | **{o_zl:.3f}** | {p_zl:.3f} | "
                 f"{o_zl / p_zl:.2f} |")
    lines.append(f"| port points (68,040: WPI + searoute + GFW) | {_median(ours, 'ports'):.3f} "
                 "| - | - |")
    lines.append("")
    lines.append("Ours validates every zone feature (DESIGN §4) and prepares the polygons; the "
                 "peer only parses. Imports are paid once per process by the app anyway.")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append:
        results = ROOT / "benchmarks" / "RESULTS.md"
        prefix = "# Benchmark results\n\n" if not results.exists() else "\n"
        with open(results, "a") as fh:
            fh.write(prefix + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Map repaint time with many fixes in view (issue 5: < 50 ms with 100,000 fixes in view).

Synthetic ships sail the Yellow Sea and the Sea of Japan at 8-14 kn with a fix every 3 minutes
(a typical terrestrial AIS rate after de-duplication). Each case paints the whole MapView
(basemap, zones, tracks, markers, scale bar) into a QImage the size of the map in the
screenshot, after a pan or a zoom, and reports the median and worst of N repaints.
The peer is the same tracks drawn naively: every fix of every vessel in view as one polyline,
without cutting to the view or thinning to the pixel.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_map.py [--append]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.core.fixes import make_fixes  # noqa: E402
from desktop.core.model import Verdict  # noqa: E402
from desktop.gui.map_view import MapView  # noqa: E402
from desktop.gui.track_layer import TrackData, polygon_from_xy  # noqa: E402

WIDTH_PX, HEIGHT_PX = 900, 800
REPEATS = 15


def synthetic_fixes(
    vessels: int, fixes_per_vessel: int, seed: int = 1, step_s: float = 180.0
) -> object:
    rng = np.random.default_rng(seed)
    n = vessels * fixes_per_vessel
    mmsi = np.repeat(np.arange(vessels, dtype="int64") + 412_000_000, fixes_per_vessel)
    speed_kn = rng.uniform(8, 14, vessels)
    heading = rng.uniform(0, 2 * np.pi, vessels)
    # A slow random turn per step keeps tracks plausible (no zig-zag at every fix).
    turn = rng.normal(0, 0.03, n).reshape(vessels, fixes_per_vessel).cumsum(axis=1)
    course = heading[:, None] + turn
    dist_deg = (speed_kn * 1852 * step_s / 3600 / 111_000)[:, None]
    dlat = np.cos(course) * dist_deg
    dlon = np.sin(course) * dist_deg / np.cos(np.radians(36))
    lat0 = rng.uniform(32, 40, vessels)[:, None]
    lon0 = rng.uniform(121, 133, vessels)[:, None]
    lat = (lat0 + dlat.cumsum(axis=1)).ravel()
    lon = (lon0 + dlon.cumsum(axis=1)).ravel()
    t0 = np.datetime64("2026-06-01T00:00:00", "ns").astype("int64")
    times = t0 + np.tile(np.arange(fixes_per_vessel, dtype="int64") * int(step_s * 1e9), vessels)
    return make_fixes(
        {
            "mmsi": mmsi,
            "time": times,
            "lat": lat.astype("float32"),
            "lon": lon.astype("float32"),
            "source": "bench",
        }
    )


def make_map(fixes: object, with_basemap: bool) -> MapView:
    view = MapView()
    view.resize(WIDTH_PX, HEIGHT_PX)
    tracks = TrackData(fixes)  # type: ignore[arg-type]
    verdicts = {
        int(m): (Verdict.BARRED if i % 20 == 0 else Verdict.REVIEW if i % 7 == 0 else Verdict.CLEAR)
        for i, m in enumerate(tracks.mmsi)
    }
    view.set_tracks(tracks, verdicts)
    view.set_selected(int(tracks.mmsi[0]))
    if with_basemap:
        from desktop.core.basemap import load_land

        view.set_land(load_land(None))
        try:
            from desktop.core.zones import default_zones

            view.set_zones(default_zones().frame)
        except Exception:  # noqa: BLE001 -- zones may be missing in an early checkout
            pass
    view.fit_bounds(tracks.bounds_m())
    return view


def time_repaints(
    view: MapView, moves: list[tuple[str, float]], *, gesture: bool = False
) -> list[float]:
    """Repaint after each move; ``gesture`` marks the moves as one drag or wheel run (the map
    then shifts its last tracks layer and re-renders once the gesture pauses)."""
    image = QImage(WIDTH_PX, HEIGHT_PX, QImage.Format.Format_ARGB32_Premultiplied)
    out = []
    for kind, amount in moves:
        if gesture:
            view._interaction()  # noqa: SLF001 -- what mouseMoveEvent/wheelEvent call
        if kind == "pan":
            view.center_m = (view.center_m[0] + amount * view.m_per_px, view.center_m[1])
        else:
            view.zoom_at(QPointF(WIDTH_PX / 2, HEIGHT_PX / 2), amount)
        started = time.perf_counter()
        painter = QPainter(image)
        view.paint(painter)
        painter.end()
        out.append((time.perf_counter() - started) * 1000)
    return out


def naive_polylines(
    self: TrackData, view: object, rows: np.ndarray, t_range_ns: object = None
) -> list[object]:
    """The peer: every fix of every vessel in the rows, no cutting to the view, no thinning."""
    out = []
    for r in rows:
        lo, hi = int(self.start[r]), int(self.stop[r])
        sx, sy = view.to_screen(self.x_m[lo:hi], self.y_m[lo:hi])  # type: ignore[attr-defined]
        out.append(polygon_from_xy(np.column_stack((sx, sy))))
    return out


def naive_repaint(view: MapView, moves: list[tuple[str, float]]) -> list[float]:
    """The same whole-map repaints with the peer's track drawing swapped in."""
    real = TrackData.polylines
    TrackData.polylines = naive_polylines  # type: ignore[method-assign,assignment]
    try:
        return time_repaints(view, moves)
    finally:
        TrackData.polylines = real  # type: ignore[method-assign]


def in_view(view: MapView) -> int:
    tracks = view.tracks
    assert tracks is not None
    xmin, ymin, xmax, ymax = view.view_box().bounds_m
    inside = (
        (tracks.x_m >= xmin) & (tracks.x_m <= xmax) & (tracks.y_m >= ymin) & (tracks.y_m <= ymax)
    )
    return int(inside.sum())


def summary(ms: list[float]) -> str:
    return f"median {statistics.median(ms):.1f} ms, worst {max(ms):.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--append", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    QApplication.instance() or QApplication([])
    load_before = os.getloadavg()[0]
    lines: list[str] = []

    def say(text: str) -> None:
        print(text)
        lines.append(text)

    cases = [
        ("100k fixes (200 vessels x 500, a fix every 3 min)", 200, 500, 180.0),
        ("100k fixes (200 vessels x 500, a fix every 10 s: dense coastal AIS)", 200, 500, 10.0),
        ("1M fixes (2000 vessels x 500, a fix every 3 min)", 2000, 500, 180.0),
    ]
    for title, vessels, per, step_s in cases:
        fixes = synthetic_fixes(vessels, per, step_s=step_s)
        started = time.perf_counter()
        view = make_map(fixes, with_basemap=True)
        build_ms = (time.perf_counter() - started) * 1000
        pans = [("pan", 40.0 if i % 2 else -40.0) for i in range(REPEATS)]
        fit_ms = time_repaints(view, pans)
        n_fit = in_view(view)
        say(f"- {title}, {n_fit:,} fixes in view, whole map after a pan: {summary(fit_ms)}")
        zooms = [("zoom", 1.25 if i % 2 == 0 else 1 / 1.25) for i in range(REPEATS)]
        zoom_ms = time_repaints(view, zooms)
        say(f"  after a wheel zoom step (1.25x): {summary(zoom_ms)}")
        drag_ms = time_repaints(view, pans, gesture=True)
        wheel_ms = time_repaints(view, zooms, gesture=True)
        view._interacting_until = 0.0  # noqa: SLF001 -- the gesture is over
        say(
            f"  frames during a drag: {summary(drag_ms)}; during wheel steps: {summary(wheel_ms)}"
            " (last tracks layer shifted/scaled, full render when the gesture pauses)"
        )
        view.zoom_at(QPointF(WIDTH_PX / 2, HEIGHT_PX / 2), 4.0)
        deep_ms = time_repaints(view, pans)
        say(f"  zoomed in 4x ({in_view(view):,} fixes in view), after a pan: {summary(deep_ms)}")
        view.fit_bounds(view.tracks.bounds_m() if view.tracks else None)
        fit_again = time_repaints(view, pans)
        peer = naive_repaint(view, pans)
        ratio = statistics.median(peer) / statistics.median(fit_again)
        say(
            f"  whole map again: {summary(fit_again)}; peer (same map, every fix drawn, no "
            f"cutting or thinning): {summary(peer)}; ratio peer/map {ratio:.1f}x"
        )
        say(f"  building the projected track arrays: {build_ms:.0f} ms (worker thread)")
    if args.append:
        cpu = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")
            ),
            platform.processor(),
        )
        nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
        header = (
            f"\n## Map\n\n{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, {nproc} cores, "
            f"{cpu}, Python {sys.version.split()[0]}, load average before the run "
            f"{load_before:.2f} (a shared machine), `benchmarks/bench_map.py`, "
            f"{WIDTH_PX}x{HEIGHT_PX} px map, {REPEATS} repaints each.\n\n"
        )
        with open(Path(__file__).with_name("RESULTS.md"), "a", encoding="utf-8") as out:
            out.write(header + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

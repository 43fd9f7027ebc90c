"""The map's geometry on its own: cutting to the view, thinning per pixel, zoom, hit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from PySide6.QtCore import QPointF

from desktop.core.fixes import make_fixes
from desktop.core.model import Verdict
from desktop.gui.map_view import MapView
from desktop.gui.mercator import to_lonlat, to_xy
from desktop.gui.track_layer import TrackData, ViewBox

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def _fixes(tracks: dict[int, list[tuple[float, float]]]):
    mmsi, lon, lat, time = [], [], [], []
    for m, points in tracks.items():
        for i, (x, y) in enumerate(points):
            mmsi.append(m)
            lon.append(x)
            lat.append(y)
            time.append(T0 + timedelta(minutes=10 * i))
    return make_fixes({"mmsi": mmsi, "time": time, "lon": lon, "lat": lat})


def _view_on(lon0: float, lat0: float, m_per_px: float, w: int = 100, h: int = 100) -> ViewBox:
    x, y = to_xy(np.array([lon0]), np.array([lat0]))
    return ViewBox(float(x[0]) - w / 2 * m_per_px, float(y[0]) + h / 2 * m_per_px, m_per_px, w, h)


def _points(polys) -> list[list[tuple[float, float]]]:
    return [[(p.x(), p.y()) for p in poly] for poly in polys]


def test_mercator_round_trip_at_nampo():
    x, y = to_xy(np.array([125.4]), np.array([38.72]))
    lon, lat = to_lonlat(float(x[0]), float(y[0]))
    assert abs(lon - 125.4) < 1e-9 and abs(lat - 38.72) < 1e-9
    assert abs(float(x[0]) - 13959464.1) < 0.1  # 125.4 deg * 111319.4908 m per degree


def test_thinning_merges_fixes_in_one_pixel_and_keeps_the_last(qapp):
    # 50 fixes at one spot (a ship at anchor), then one fix 20 px east.
    at_anchor = [(125.0, 38.0)] * 50
    tracks = TrackData(_fixes({1: [*at_anchor, (125.0 + 20 * 100 / 87_000, 38.0)]}))
    view = _view_on(125.0, 38.0, 100.0)
    polys = _points(tracks.polylines(view, np.array([0])))
    assert len(polys) == 1
    assert len(polys[0]) == 2  # the anchorage collapses to its first fix, then the last fix
    assert abs(polys[0][1][0] - polys[0][0][0] - 20 * 100 / 87_000 * 111_319.49 / 100) < 0.5


def test_segment_crossing_the_view_with_both_ends_outside_is_drawn(qapp):
    tracks = TrackData(_fixes({1: [(124.0, 38.0), (126.0, 38.0)]}))
    polys = _points(tracks.polylines(_view_on(125.0, 38.0, 100.0), np.array([0])))
    assert len(polys) == 1 and len(polys[0]) == 2
    assert polys[0][0][0] < 0 and polys[0][1][0] > 100


def test_segments_wholly_beyond_one_edge_are_dropped_and_the_track_is_split(qapp):
    # In view, far west (two fixes west of the view), back in view: two runs, not one.
    tracks = TrackData(_fixes({1: [(125.0, 38.0), (124.0, 38.0), (123.9, 38.0), (125.001, 38.0)]}))
    polys = _points(tracks.polylines(_view_on(125.0, 38.0, 100.0), np.array([0])))
    assert [len(p) for p in polys] == [2, 2]
    assert polys[0][1][0] < 0 and polys[1][0][0] < 0


def test_tracks_of_two_vessels_are_never_joined(qapp):
    tracks = TrackData(_fixes({1: [(125.0, 38.0), (125.001, 38.0)], 2: [(125.0, 38.001),
                                                                         (125.001, 38.001)]}))
    polys = tracks.polylines(_view_on(125.0, 38.0, 10.0), np.array([0, 1]))
    assert [len(p) for p in polys] == [2, 2]


def test_time_range_limits_the_fixes_drawn(qapp):
    points = [(125.0 + 0.001 * i, 38.0) for i in range(10)]  # fixes every 10 minutes
    tracks = TrackData(_fixes({1: points}))
    view = _view_on(125.005, 38.0, 1.0, 2000, 200)
    t = (int((T0 + timedelta(minutes=20)).timestamp() * 1e9),
         int((T0 + timedelta(minutes=50)).timestamp() * 1e9))
    polys = _points(tracks.polylines(view, np.array([0]), t))
    assert len(polys) == 1 and len(polys[0]) == 4  # minutes 20, 30, 40, 50


def test_wheel_zoom_keeps_the_point_under_the_cursor(qtbot):
    view = MapView()
    view.resize(400, 300)
    qtbot.addWidget(view)
    cursor = QPointF(100, 70)
    before = view.screen_to_world(cursor)
    view.zoom_at(cursor, 1.25)
    after = view.screen_to_world(cursor)
    assert abs(before[0] - after[0]) < 1e-6 and abs(before[1] - after[1]) < 1e-6
    assert abs(view.m_per_px - 1500.0 / 1.25) < 1e-9


def test_click_on_a_segment_between_far_fixes_finds_the_vessel(qtbot):
    view = MapView()
    view.resize(400, 300)
    qtbot.addWidget(view)
    tracks = TrackData(_fixes({7: [(124.0, 37.0), (126.0, 37.0)], 8: [(124.0, 38.0),
                                                                       (126.0, 38.0)]}))
    view.set_tracks(tracks, {7: Verdict.BARRED, 8: Verdict.CLEAR})
    view.fit_bounds(tracks.bounds_m())
    x, y = to_xy(np.array([125.0]), np.array([37.0]))
    on_track = view.world_to_screen(float(x[0]), float(y[0]))
    assert view.vessel_at(on_track) == 7
    assert view.vessel_at(QPointF(on_track.x(), on_track.y() - 4)) == 7
    assert view.vessel_at(QPointF(on_track.x(), on_track.y() - 40)) is None

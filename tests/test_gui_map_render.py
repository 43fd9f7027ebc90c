"""The map as drawn, checked on its pixels: the world basemap without stripes and across 180
degrees, single-fix vessels, port labels that give way, and the verdict filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QImage, QPainter
from test_gui_map import _fixes
from test_gui_support import BARRED, make_window, wait_idle

from desktop.core import basemap
from desktop.core.model import Verdict
from desktop.core.zones import default_zones
from desktop.gui import style
from desktop.gui.map_view import MapView
from desktop.gui.mercator import to_xy
from desktop.gui.track_layer import TrackData

SEA_RGB = style.SEA.rgb()
LAND_RGB = style.LAND.rgb()
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def _render(view: MapView) -> QImage:
    image = QImage(view.width(), view.height(), QImage.Format.Format_RGB32)
    painter = QPainter(image)
    view.paint(painter)
    painter.end()
    return image


def _screen(view: MapView, lon: float, lat: float) -> QPointF:
    x, y = to_xy(np.array([lon]), np.array([lat]))
    return view.world_to_screen(float(x[0]), float(y[0]))


def _rgb_at(view: MapView, image: QImage, lon: float, lat: float) -> int:
    p = _screen(view, lon, lat)
    assert 0 <= p.x() < image.width() and 0 <= p.y() < image.height(), (lon, lat)
    return image.pixelColor(int(p.x()), int(p.y())).rgb()


@pytest.fixture(scope="module")
def land(qapp) -> np.ndarray:
    return basemap.load_land()


@pytest.fixture(scope="module")
def worlds(land) -> list[tuple[MapView, QImage]]:
    """The whole world at once (1200 px for 40,075 km), centred on Greenwich and on 180."""
    out = []
    for lon in (0.0, 180.0):
        view = MapView()
        view.resize(1200, 800)
        view.set_land(land)
        view.centre_on(lon, 40.0, 36_000.0)
        out.append((view, _render(view)))
    return out


_LEGEND = QRectF(0, 0, 240, 160)  # the legend box in the top-left corner hides the map


def _world_rgb(worlds, lon: float, lat: float) -> set[int]:
    """The colours at (lon, lat) in the world renders that show it outside the legend."""
    found = set()
    for view, image in worlds:
        for copy_lon in (lon - 360.0, lon, lon + 360.0):  # the map repeats east and west
            p = _screen(view, copy_lon, lat)
            inside = 0 <= p.x() < image.width() and 0 <= p.y() < image.height()
            if inside and not _LEGEND.contains(p):
                found.add(image.pixelColor(int(p.x()), int(p.y())).rgb())
    assert found, (lon, lat)
    return found


# Rows of open sea (lat, lon from, lon to), each several pixels from any coast at world zoom.
# The Natural Earth land of world-atlas joins pieces across 180 degrees: read as flat polygons
# they filled bands round the world at 65-69 N (Siberia to Canada) and at 71 N (Wrangel Island).
OPEN_SEA_ROWS = {
    "Norwegian Sea 67 N": (67.0, -5.0, 5.0),
    "Beaufort Sea 71.3 N": (71.3, -150.0, -130.0),
    "Barents Sea 72 N": (72.0, 30.0, 48.0),
    "North Pacific 45 N, west of 180": (45.0, 160.0, 179.5),
    "North Pacific 45 N, east of 180": (45.0, -179.5, -130.0),
    "Arctic Ocean 80 N": (80.0, 150.0, 179.5),
    "Arctic Ocean 78 N, east of 180": (78.0, -179.5, -165.0),
}


@pytest.mark.parametrize("row", sorted(OPEN_SEA_ROWS))
def test_world_zoom_open_sea_rows_are_sea_coloured(qapp, worlds, row):
    lat, west, east = OPEN_SEA_ROWS[row]
    colours = set().union(*(_world_rgb(worlds, lon, lat) for lon in np.linspace(west, east, 40)))
    assert colours == {SEA_RGB}


def test_world_zoom_draws_the_continents(qapp, worlds):
    for lon, lat in ((100.0, 60.0), (-100.0, 55.0), (20.0, 5.0), (135.0, -25.0)):
        assert _world_rgb(worlds, lon, lat) == {LAND_RGB}, (lon, lat)


def test_chukotka_is_land_on_both_sides_of_180_degrees(qtbot, land):
    # Centred on the antimeridian: Chukotka inland at 67.5 N, 179 E and 179 W (that is 181 E
    # in the copy of the world east of 180, where the map draws it beside 179 E).
    view = MapView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.set_land(land)
    view.centre_on(180.0, 66.5, 4000.0)
    image = _render(view)
    assert _rgb_at(view, image, 179.0, 67.5) == LAND_RGB
    assert _rgb_at(view, image, 181.0, 67.5) == LAND_RGB
    assert _rgb_at(view, image, 181.0, 65.0) == SEA_RGB  # Gulf of Anadyr, east of 180


def test_a_vessel_with_a_single_fix_is_drawn_as_a_dot(qtbot):
    view = MapView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    tracks = TrackData(_fixes({7: [(125.0, 37.0)], 8: [(124.0, 38.0), (126.0, 38.0)]}))
    view.set_tracks(tracks, {7: Verdict.BARRED, 8: Verdict.CLEAR})
    view.centre_on(125.0, 37.5, 1000.0)
    image = _render(view)
    dot = _screen(view, 125.0, 37.0)
    assert image.pixelColor(int(dot.x()), int(dot.y())).rgb() != SEA_RGB
    assert image.pixelColor(int(dot.x()) + 8, int(dot.y())).rgb() == SEA_RGB
    assert view.vessel_at(dot) == 7


def test_fit_on_a_single_fix_vessel_centres_it_and_draws_it_selected(qtbot):
    view = MapView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    tracks = TrackData(_fixes({7: [(125.0, 37.0)], 8: [(124.0, 38.0), (126.0, 38.0)]}))
    view.set_tracks(tracks, {7: Verdict.REVIEW, 8: Verdict.CLEAR})
    view.set_selected(7)
    view.fit_selection()
    x, y = to_xy(np.array([125.0]), np.array([37.0]))
    assert view.center_m == (float(x[0]), float(y[0]))
    assert view.m_per_px == 500.0  # 200 km across: enough for the nearest coast to show
    image = _render(view)
    centre = image.pixelColor(200, 150)
    assert centre.rgb() == style.VERDICT_COLOURS[Verdict.REVIEW].darker(115).rgb()


def _labelled_view(qtbot, m_per_px: float | None) -> MapView:
    view = MapView()
    qtbot.addWidget(view)
    view.resize(view.sizeHint())
    view.set_zones(default_zones().frame)
    if m_per_px is not None:
        view.centre_on(128.5, 40.0, m_per_px)
    _render(view)
    return view


def _overlapping(boxes: list[tuple[str, QRectF]]) -> list[tuple[str, str]]:
    return [
        (a, b)
        for i, (a, ra) in enumerate(boxes)
        for b, rb in boxes[i + 1:]
        if ra.intersects(rb)
    ]


def test_port_labels_do_not_overlap_at_the_default_view(qtbot):
    # The default view (Korea and the Yellow Sea at 1,500 m per pixel) put Sonbong on Rajin,
    # Riwon on Chaho and Nampo under Songnim.
    view = _labelled_view(qtbot, None)
    names = [name for name, _ in view.label_boxes]
    assert _overlapping(view.label_boxes) == []
    # The main ports keep their label; the others move aside or give way.
    assert {"Nampo", "Songnim (Kyomipo)", "Wonsan", "Haeju", "Hungnam", "Riwon"} <= set(names)


def test_port_labels_give_way_by_priority_when_zoomed_out(qtbot):
    view = _labelled_view(qtbot, 6000.0)
    names = [name for name, _ in view.label_boxes]
    assert _overlapping(view.label_boxes) == []
    assert names[0] == "Nampo"  # a port with its own anchorages comes first
    assert "Sonbong" not in names or "Rajin (Najin)" in names  # Rajin before Sonbong
    assert len(names) < 15  # not every port fits at this scale


def test_no_port_names_at_world_zoom_only_their_dots(qtbot):
    view = _labelled_view(qtbot, 20_000.0)
    assert view.label_boxes == []


def test_zooming_in_brings_back_the_labels_that_gave_way(qtbot):
    view = _labelled_view(qtbot, 6000.0)
    hidden = 15 - len(view.label_boxes)
    view.centre_on(130.3, 42.3, 150.0)  # Rajin and Sonbong, 15 km apart
    _render(view)
    assert hidden > 0
    assert {"Rajin (Najin)", "Sonbong"} <= {name for name, _ in view.label_boxes}


def _reddish_pixels(image: QImage, skip: QRectF) -> int:
    """Pixels of the barred colour (the red of tracks and port-call markers), outside ``skip``
    (the legend)."""
    ptr = image.constBits()
    rgba = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    b, g, r = (rgba[:, : image.width(), i].astype(int) for i in range(3))  # read while alive
    red = (r > 150) & (g < 110) & (b < 110)
    red[: int(skip.bottom()) + 1, : int(skip.right()) + 1] = False
    return int(red.sum())


def test_unticking_a_verdict_hides_its_tracks_and_markers_on_the_map(qtbot, tmp_path,
                                                                      monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.open_tracks(["hand-made.nmea"])
    wait_idle(qtbot, window)
    view = window.map
    view.resize(600, 450)
    view.fit_bounds(view.tracks.bounds_m())
    legend = QRectF(0, 0, 220, 190)
    on_barred_track = _screen(view, 125.0, 38.46)  # halfway along its way in
    assert _reddish_pixels(_render(view), legend) > 50
    assert view.vessel_at(on_barred_track) == BARRED

    window.verdict_boxes[Verdict.BARRED].setChecked(False)
    assert window.proxy.rowCount() == 2
    assert _reddish_pixels(_render(view), legend) == 0  # neither its track nor its call marker
    assert view.vessel_at(on_barred_track) is None

    window.verdict_boxes[Verdict.BARRED].setChecked(True)
    assert _reddish_pixels(_render(view), legend) > 50


def _redness(image: QImage, p: QPointF) -> int:
    """The strongest red-over-blue of the pixels within 2 px of ``p`` (a 1 px line is
    antialiased over two columns)."""
    best = 0
    for dx in range(-2, 3):
        c = image.pixelColor(int(p.x()) + dx, int(p.y()))
        best = max(best, c.red() - c.blue())
    return best


def test_report_map_fades_the_other_tracks_and_has_no_cursor_read_out(qtbot):
    view = MapView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    # 7 sails east; 8 sails north across 7's box.
    tracks = TrackData(_fixes({7: [(124.0, 37.0), (126.0, 37.5)], 8: [(124.5, 37.0),
                                                                     (124.5, 37.5)]}))
    view.set_tracks(tracks, {7: Verdict.BARRED, 8: Verdict.BARRED})
    view.set_selected(7)
    view._cursor_lonlat = (125.0, 37.2)  # noqa: SLF001 -- as after a mouse move
    report = view.render_report_image(400, 300, mmsi=7, pixel_ratio=1.0)
    view.fit_selection()  # the same view on screen
    screen = _render(view)
    # The cursor read-out (bottom right) is on screen, not in the report.
    corner = QRectF(250, 260, 150, 40)

    def differs(a: QImage, b: QImage) -> bool:
        return any(
            a.pixelColor(x, y) != b.pixelColor(x, y)
            for x in range(int(corner.left()), int(corner.right()))
            for y in range(int(corner.top()), int(corner.bottom()))
        )
    sea_only = QImage(screen)
    sea_only.fill(style.SEA)
    assert differs(screen, sea_only)
    assert not differs(report.convertToFormat(QImage.Format.Format_RGB32), sea_only)
    # Vessel 8's track: full colour on screen, faint in the report.
    on_8 = _screen(view, 124.5, 37.1)
    assert _redness(screen, on_8) > 50
    assert _redness(report, on_8) < 20


def test_background_loader_hands_the_map_projected_land(qtbot, tmp_path, monkeypatch, land):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    window.load_background_layers()
    qtbot.waitUntil(lambda: window.layers_task is None, timeout=30_000)
    assert len(window.map._land) == len(land)  # noqa: SLF001
    # Web Mercator metres, not degrees: the world is 2 x 20,037,508 m wide.
    assert window.map._land_bounds[:, 2].max() == pytest.approx(20_037_508.34, abs=1.0)  # noqa: SLF001


def test_loitering_has_its_own_marker_and_legend_row(qtbot):
    from desktop.core.model import Event, EventKind

    view = MapView()
    qtbot.addWidget(view)
    view.resize(600, 450)
    view.centre_on(124.0, 36.0, 2_000.0)
    where = {"lat": 36.0, "lon": 124.0}
    loiter = Event(EventKind.LOITERING, 413000001, T0, T0 + timedelta(hours=5), **where)
    gap = Event(EventKind.AIS_GAP, 413000002, T0, T0 + timedelta(hours=20), **where)
    assert ("marker", "loitering", EventKind.LOITERING) in view.legend_rows()
    colours = []
    for event in (loiter, gap):
        view.set_events([event])
        image = _render(view)
        p = _screen(view, 124.0, 36.0)
        colours.append(image.pixelColor(int(p.x()), int(p.y())).rgb())
    # the loitering triangle's pale purple at its centre, the AIS gap's white circle there
    assert colours == [0xFFE6D7F5, 0xFFFFFFFF]

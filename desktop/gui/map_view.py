"""The map: offline basemap, zones, tracks coloured by verdict, event markers (Web Mercator).

A custom QWidget painter rather than QGraphicsView: a million fixes as scene items would
be far too heavy, while numpy can cut and thin the projected arrays per repaint
(``track_layer``). Land is kept as a QPainterPath per zoom level, simplified to the pixel.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QToolTip, QWidget

from desktop.core.model import Event, EventKind, Verdict, iso_utc
from desktop.gui import style
from desktop.gui.mercator import EARTH_RADIUS_M, ground_m_per_unit, to_lonlat, to_xy
from desktop.gui.track_layer import TrackData, ViewBox, polygon_from_xy

MARKER_KINDS = (
    EventKind.PORT_CALL, EventKind.STS_TRANSFER, EventKind.AIS_GAP, EventKind.LOITERING
)
_CLICK_TOLERANCE_PX = 6.0
_SETTLE_S = 0.2  # a gesture has ended when nothing moved for this long
_WORLD_HALF_M = math.pi * EARTH_RADIUS_M
_MIN_M_PER_PX = 0.5
_MAX_M_PER_PX = 2 * _WORLD_HALF_M / 256
_LABEL_POINT_SIZE = 8.5
_POINT_FIT_M_PER_PX = 500.0
# Zoomed out further than this (the whole peninsula in ~100 px) port names would only pile up
# on a few pixels of coast: the port dots stay, the names come back when zooming in.
_LABEL_MAX_M_PER_PX = 10_000.0
# In a report the vessel's own track is the subject: the others are drawn faint, for context.
_REPORT_OTHERS_ALPHA = 45


def _geometry_path(geoms: Iterable[shapely.Geometry]) -> QPainterPath:
    """A QPainterPath (odd-even fill) of projected polygons: every ring is a subpath."""
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.OddEvenFill)
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type != "Polygon":
                continue
            for ring in (poly.exterior, *poly.interiors):
                coords = np.asarray(ring.coords)[:, :2]
                if len(coords) >= 3:
                    path.addPolygon(polygon_from_xy(np.ascontiguousarray(coords)))
                    path.closeSubpath()
    return path


def _project_geoms(geoms: Sequence[shapely.Geometry]) -> np.ndarray:
    def project(coords: np.ndarray) -> np.ndarray:
        x, y = to_xy(coords[:, 0], coords[:, 1])
        return np.column_stack((x, y))

    return shapely.transform(np.asarray(geoms, dtype=object), project)


@dataclass(frozen=True)
class ProjectedLand:
    """Basemap land already projected to Web Mercator, with each polygon's bounds.

    Projecting the whole world (some 470,000 points) takes a few tenths of a second: the
    background loader does it (``project_land``), so that the window does not freeze.
    """

    geoms: np.ndarray
    bounds_m: np.ndarray

    def __len__(self) -> int:
        return len(self.geoms)


def project_land(geoms: Sequence[shapely.Geometry]) -> ProjectedLand:
    """Land polygons in lon/lat degrees, projected for ``MapView.set_land`` (no Qt: any thread)."""
    projected = _project_geoms(list(geoms)) if len(geoms) else np.zeros(0, dtype=object)
    return ProjectedLand(projected, shapely.bounds(projected).reshape(-1, 4))


def _zones_key(frame: Any) -> tuple[object, ...]:
    if frame is None or not len(frame):
        return ()
    return (
        tuple(frame["name"].tolist()),
        tuple(frame["kind"].tolist()),
        tuple(round(float(v), 6) for v in frame.total_bounds),
    )


class MapView(QWidget):
    """Pan with the left button, zoom with the wheel around the cursor, click a track to select."""

    vessel_clicked = Signal(int)  # mmsi
    cursor_moved = Signal(float, float)  # lon, lat in degrees

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 240)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # Start on the Korean peninsula and the Yellow Sea.
        cx, cy = to_xy(np.array([127.0]), np.array([37.5]))
        self.center_m = (float(cx[0]), float(cy[0]))
        self.m_per_px = 1500.0
        self.tracks: TrackData | None = None
        self.selected_mmsi: int | None = None
        self.t_range_ns: tuple[int, int] | None = None
        self.window_days = 180.0  # the legend names the window of the result shown
        self._rows_by_verdict: dict[Verdict, np.ndarray] = {}
        self._verdict_of: dict[int, Verdict] = {}
        self._events: list[Event] = []
        self._event_xy = np.zeros((0, 2))
        self._land: np.ndarray | None = None  # projected shapely geometries
        self._land_bounds: np.ndarray | None = None
        self._land_paths: dict[int, dict[int, QPainterPath]] = {}
        self._zone_paths: list[tuple[str, str, str, QPainterPath, tuple[float, float]]] = []
        # Port labels in the order they claim space: a label whose box would overlap one placed
        # before it moves to another side of its port, or is left out at this zoom.
        self._label_order: list[int] = []
        self.label_boxes: list[tuple[str, QRectF]] = []  # as last painted
        self._visible_verdicts: set[Verdict] = set(Verdict)
        self._size_override: tuple[int, int] | None = None
        self._report_mode = False
        self._zones_key: tuple[object, ...] | None = None
        self._press: QPoint | None = None
        self._press_center: tuple[float, float] | None = None
        self._dragged = False
        self._cursor_lonlat: tuple[float, float] | None = None
        self.last_paint_ms = 0.0
        # The tracks layer as last rendered, reused (shifted and scaled) while the user drags
        # or turns the wheel; a full render follows once the gesture pauses.
        self._layer: QImage | None = None
        self._layer_view: ViewBox | None = None
        self._layer_key: tuple[object, ...] | None = None
        self._tracks_version = 0
        self._interacting_until = 0.0
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.timeout.connect(self.update)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        return QSize(900, 650)

    # ---- data -------------------------------------------------------------------------

    def set_land(self, land: Sequence[shapely.Geometry] | ProjectedLand) -> None:
        """The basemap land: polygons in lon/lat degrees, or already ``project_land``-ed."""
        if not isinstance(land, ProjectedLand):
            land = project_land(land)
        self._land = land.geoms if len(land) else None
        self._land_bounds = land.bounds_m if len(land) else None
        self._land_paths.clear()
        self.update()

    def set_zones(self, frame: object) -> None:
        """Zones of a ZoneSet frame: ports outlined and labelled, waters shaded."""
        key = _zones_key(frame)
        if key == self._zones_key:
            return  # a result from a child process carries a copy of the same zones
        self._zones_key = key
        self._zone_paths = []
        if frame is None or not len(frame):  # type: ignore[arg-type]
            self.update()
            return
        projected = _project_geoms(list(frame.geometry.values))  # type: ignore[attr-defined]
        locodes = (
            [str(v) if isinstance(v, str) and v else "" for v in frame["locode"]]  # type: ignore[index]
            if "locode" in frame.columns  # type: ignore[attr-defined]
            else [""] * len(frame)  # type: ignore[arg-type]
        )
        zones_per_locode = {code: locodes.count(code) for code in set(locodes) if code}
        priority = [
            # An official port (UN/LOCODE) before an unofficial one, a port with its own
            # anchorages (Nampo) before one without, then the larger harbour.
            (-(code != ""), -zones_per_locode.get(code, 0), -float(geom.area))
            for code, geom in zip(locodes, projected, strict=True)
        ]
        self._label_order = sorted(range(len(priority)), key=lambda i: (priority[i], i))
        for (_, row), geom in zip(frame.iterrows(), projected, strict=True):  # type: ignore[attr-defined]
            point = geom.representative_point() if geom.geom_type != "Point" else geom
            label_at = (float(point.x), float(point.y))
            self._zone_paths.append(
                (
                    str(row["kind"]),
                    str(row["name"]),
                    str(row["country"]),
                    _geometry_path([geom]),
                    label_at,
                )
            )
        self.update()

    def set_tracks(self, tracks: TrackData | None, verdicts: dict[int, Verdict]) -> None:
        self.tracks = tracks
        self.set_verdicts(verdicts)

    def set_verdicts(self, verdicts: dict[int, Verdict]) -> None:
        self._tracks_version += 1
        self._verdict_of = dict(verdicts)
        self._rows_by_verdict = {}
        if self.tracks is not None:
            codes = np.array(
                [self._verdict_of.get(int(m), Verdict.CLEAR) for m in self.tracks.mmsi],
                dtype=object,
            )
            for verdict in Verdict:
                self._rows_by_verdict[verdict] = np.flatnonzero(codes == verdict)
        self.update()

    def set_events(self, events: Sequence[Event]) -> None:
        self._events = [e for e in events if e.lat is not None and e.lon is not None]
        if self._events:
            x, y = to_xy(
                np.array([e.lon for e in self._events]), np.array([e.lat for e in self._events])
            )
            self._event_xy = np.column_stack((x, y))
        else:
            self._event_xy = np.zeros((0, 2))
        self.update()

    def set_visible_verdicts(self, verdicts: set[Verdict]) -> None:
        """Draw only vessels with these verdicts (the vessel list's verdict filter); the
        selected vessel stays drawn whatever its verdict, as the user picked it."""
        if set(verdicts) == self._visible_verdicts:
            return
        self._visible_verdicts = set(verdicts)
        self._tracks_version += 1
        self.update()

    def _shown_rows(self) -> np.ndarray:
        parts = [
            rows for verdict, rows in self._rows_by_verdict.items()
            if verdict in self._visible_verdicts
        ]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype="int64")

    def set_selected(self, mmsi: int | None) -> None:
        self.selected_mmsi = mmsi
        self.update()

    def set_time_range(self, start: datetime | None, end: datetime | None) -> None:
        """Show only fixes from ``start`` to ``end`` (UTC); both None shows everything."""
        if start is None and end is None:
            self.t_range_ns = None
        else:
            lo = int(start.timestamp() * 1e9) if start else np.iinfo("int64").min
            hi = int(end.timestamp() * 1e9) if end else np.iinfo("int64").max
            self.t_range_ns = (lo, hi)
        self.update()

    # ---- view -------------------------------------------------------------------------

    def _size_px(self) -> tuple[int, int]:
        if self._size_override is not None:
            return self._size_override
        return max(self.width(), 1), max(self.height(), 1)

    def view_box(self) -> ViewBox:
        w, h = self._size_px()
        return ViewBox(
            left_m=self.center_m[0] - w / 2 * self.m_per_px,
            top_m=self.center_m[1] + h / 2 * self.m_per_px,
            m_per_px=self.m_per_px,
            width_px=w,
            height_px=h,
        )

    def world_to_screen(self, x_m: float, y_m: float) -> QPointF:
        v = self.view_box()
        return QPointF((x_m - v.left_m) / v.m_per_px, (v.top_m - y_m) / v.m_per_px)

    def screen_to_world(self, pos: QPointF) -> tuple[float, float]:
        v = self.view_box()
        return v.left_m + pos.x() * v.m_per_px, v.top_m - pos.y() * v.m_per_px

    def centre_on(self, lon_deg: float, lat_deg: float, m_per_px: float | None = None) -> None:
        x, y = to_xy(np.array([lon_deg]), np.array([lat_deg]))
        self.center_m = (float(x[0]), float(y[0]))
        if m_per_px is not None:
            self.m_per_px = float(np.clip(m_per_px, _MIN_M_PER_PX, _MAX_M_PER_PX))
        self.update()

    def fit_bounds(self, bounds_m: tuple[float, float, float, float] | None) -> None:
        if bounds_m is None:
            return
        xmin, ymin, xmax, ymax = bounds_m
        w, h = self._size_px()
        span = max((xmax - xmin) / (w * 0.9), (ymax - ymin) / (h * 0.9), 50.0)
        if xmax - xmin < 1.0 and ymax - ymin < 1.0:
            # One point (a single fix, a ship that never moved): show a few hundred km
            # around it, so that the nearest coast gives the dot a place.
            span = _POINT_FIT_M_PER_PX
        self.center_m = ((xmin + xmax) / 2, (ymin + ymax) / 2)
        self.m_per_px = float(np.clip(span, _MIN_M_PER_PX, _MAX_M_PER_PX))
        self.update()

    def fit_selection(self) -> None:
        """Fit the selected vessel's track, or every track when none is selected."""
        if self.tracks is None:
            return
        if self.selected_mmsi is not None and self.selected_mmsi in self.tracks.row_of:
            self.fit_bounds(self.tracks.bounds_m([self.selected_mmsi]))
        else:
            self.fit_bounds(self.tracks.bounds_m())

    def zoom_at(self, pos: QPointF, factor: float) -> None:
        """Zoom by ``factor`` (>1 zooms in) keeping the point under ``pos`` fixed."""
        before = self.screen_to_world(pos)
        self.m_per_px = float(np.clip(self.m_per_px / factor, _MIN_M_PER_PX, _MAX_M_PER_PX))
        after = self.screen_to_world(pos)
        self.center_m = (
            self.center_m[0] + before[0] - after[0],
            self.center_m[1] + before[1] - after[1],
        )
        self.update()

    # ---- hit tests --------------------------------------------------------------------

    def vessel_at(self, pos: QPointF) -> int | None:
        """The vessel whose drawn track passes nearest ``pos`` within a few pixels."""
        if self.tracks is None or not len(self.tracks.mmsi):
            return None
        view = self.view_box()
        rows = self._shown_rows() if self._rows_by_verdict else np.arange(len(self.tracks.mmsi))
        sx, sy, idx = self.tracks.points(view, rows, self.t_range_ns, thinned=True)
        if not len(idx):
            return None
        px, py = pos.x(), pos.y()
        best_d = np.hypot(sx - px, sy - py)
        # Segments too: sparse tracks are mostly lines between far-apart fixes.
        if len(idx) > 1:
            # Consecutive kept fixes of one vessel are joined on screen (thinned or not).
            same_vessel = np.diff(idx) > 0
            same_vessel &= self.tracks.row_of_fix_array(idx[:-1]) == self.tracks.row_of_fix_array(
                idx[1:]
            )
            ax, ay, bx, by = sx[:-1], sy[:-1], sx[1:], sy[1:]
            dx, dy = bx - ax, by - ay
            len2 = dx * dx + dy * dy
            with np.errstate(invalid="ignore", divide="ignore"):
                t = np.clip(((px - ax) * dx + (py - ay) * dy) / len2, 0, 1)
            t = np.where(len2 > 0, t, 0)
            seg_d = np.hypot(ax + t * dx - px, ay + t * dy - py)
            seg_d = np.where(same_vessel, seg_d, np.inf)
            seg_best = int(np.argmin(seg_d)) if len(seg_d) else -1
            pt_best = int(np.argmin(best_d))
            if seg_best >= 0 and seg_d[seg_best] < best_d[pt_best]:
                d, fix = float(seg_d[seg_best]), int(idx[seg_best])
            else:
                d, fix = float(best_d[pt_best]), int(idx[pt_best])
        else:
            d, fix = float(best_d[0]), int(idx[0])
        if d > _CLICK_TOLERANCE_PX:
            return None
        return int(self.tracks.mmsi[self.tracks.row_of_fix(fix)])

    def event_at(self, pos: QPointF) -> Event | None:
        if not len(self._event_xy):
            return None
        view = self.view_box()
        sx, sy = view.to_screen(self._event_xy[:, 0], self._event_xy[:, 1])
        d = np.hypot(sx - pos.x(), sy - pos.y())
        i = int(np.argmin(d))
        return self._events[i] if d[i] <= 7 else None

    # ---- painting ---------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        started = time.perf_counter()
        painter = QPainter(self)
        try:
            self.paint(painter)
        finally:
            painter.end()
        self.last_paint_ms = (time.perf_counter() - started) * 1000

    def paint(self, painter: QPainter) -> None:
        """Draw the whole map with ``painter`` (also used by the benchmark, on a QImage)."""
        view = self.view_box()
        painter.fillRect(QRectF(0, 0, view.width_px, view.height_px), style.SEA)
        world = QTransform(
            1 / view.m_per_px,
            0,
            0,
            -1 / view.m_per_px,
            -view.left_m / view.m_per_px,
            view.top_m / view.m_per_px,
        )
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._paint_land(painter, world, view)
        self._paint_zones(painter, world, view, labels=False)
        self._paint_tracks_layer(painter, view)
        self._paint_markers(painter, view)
        self._paint_zones(painter, world, view, labels=True)
        self._paint_selected(painter, view)
        self._paint_scale_bar(painter, view)
        self._paint_legend(painter)
        if not self._report_mode:  # the cursor read-out belongs to the screen, not to paper
            self._paint_overlay_text(painter, view)

    def render_report_image(
        self,
        width_px: int,
        height_px: int,
        *,
        mmsi: int | None,
        pixel_ratio: float = 3.0,
    ) -> QImage:
        """The map for a printed report. For one vessel (``mmsi``): fitted to its track, the
        track emphasised, the other tracks faint and without their event markers. Without one:
        the map centred as on screen, nothing emphasised. Never the cursor read-out.
        ``width_px`` x ``height_px`` is the logical size (fonts in points come out at their
        size when it is printed about 96 px per inch); the image holds ``pixel_ratio`` times as
        many pixels, for print. The view on screen is left as it was."""
        image = QImage(
            int(width_px * pixel_ratio),
            int(height_px * pixel_ratio),
            QImage.Format.Format_ARGB32_Premultiplied,
        )
        image.setDevicePixelRatio(pixel_ratio)
        saved = (
            self.center_m, self.m_per_px, self._size_override, self._report_mode,
            self.selected_mmsi,
        )
        if mmsi is None:  # the view as on screen, at the report's size
            w, h = self._size_px()
            self.m_per_px *= max(w / width_px, h / height_px)
        self._size_override = (width_px, height_px)
        self._report_mode = True
        self.selected_mmsi = mmsi
        try:
            if mmsi is not None:
                self.fit_selection()
            painter = QPainter(image)
            try:
                self.paint(painter)
            finally:
                painter.end()
        finally:
            (
                self.center_m, self.m_per_px, self._size_override, self._report_mode,
                self.selected_mmsi,
            ) = saved
            self.update()
        return image

    def _visible_land(self, view: ViewBox, shift_m: float = 0.0) -> list[QPainterPath]:
        """Land polygons meeting the view and bigger than a pixel, simplified to the pixel.

        Paths are built lazily per zoom level (powers of two of metres per pixel) and per
        polygon, so a pan or zoom only projects what newly comes into view.
        """
        if self._land is None or self._land_bounds is None:
            return []
        level = int(math.floor(math.log2(max(view.m_per_px, 1.0))))
        cache = self._land_paths.setdefault(level, {})
        xmin, ymin, xmax, ymax = view.bounds_m
        xmin, xmax = xmin - shift_m, xmax - shift_m
        bounds = self._land_bounds
        min_size_m = view.m_per_px
        visible = np.flatnonzero(
            (bounds[:, 2] >= xmin)
            & (bounds[:, 0] <= xmax)
            & (bounds[:, 3] >= ymin)
            & (bounds[:, 1] <= ymax)
            & (
                (bounds[:, 2] - bounds[:, 0] >= min_size_m)
                | (bounds[:, 3] - bounds[:, 1] >= min_size_m)
            )
        )
        missing = [int(i) for i in visible if int(i) not in cache]
        if missing:
            tolerance_m = 2.0**level * 0.75
            simplified = shapely.simplify(self._land[missing], tolerance_m, preserve_topology=False)
            for i, geom in zip(missing, simplified, strict=True):
                cache[i] = _geometry_path([geom])
        return [cache[int(i)] for i in visible]

    def _paint_land(self, painter: QPainter, world: QTransform, view: ViewBox) -> None:
        """Land, repeated east and west of the antimeridian when the view reaches past it (the
        land is cut at 180 degrees: Chukotka's eastern end lies at -180..-169)."""
        xmin, _, xmax, _ = view.bounds_m
        world_m = 2 * _WORLD_HALF_M
        first = math.floor((xmin + _WORLD_HALF_M) / world_m)
        last = math.floor((xmax + _WORLD_HALF_M) / world_m)
        for k in range(max(first, -2), min(last, 2) + 1):
            self._paint_land_copy(painter, world, view, k * world_m)

    def _paint_land_copy(
        self, painter: QPainter, world: QTransform, view: ViewBox, shift_m: float
    ) -> None:
        paths = self._visible_land(view, shift_m)
        if not paths:
            return
        painter.save()
        painter.setTransform(QTransform.fromTranslate(shift_m, 0) * world)
        # No coastline pen: the detailed land comes in 2-degree tiles whose edges are not
        # coastline. A hairline in the land colour hides the antialiasing seams between tiles.
        seam = QPen(style.LAND)
        seam.setCosmetic(True)
        seam.setWidthF(max(1.0, painter.device().devicePixelRatioF()))  # a report is 3x
        painter.setPen(seam)
        painter.setBrush(style.LAND)
        for path in paths:
            painter.drawPath(path)
        painter.restore()

    def _paint_zones(
        self, painter: QPainter, world: QTransform, view: ViewBox, *, labels: bool
    ) -> None:
        if not self._zone_paths:
            return
        if labels:
            font = QFont(painter.font())
            font.setPointSizeF(_LABEL_POINT_SIZE)
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(style.PORT_EDGE)
            self.label_boxes = self._place_labels(QFontMetrics(font), view)
            for name, rect in self.label_boxes:
                painter.fillRect(rect, QColor(255, 255, 255, 170))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, name)
            return
        painter.save()
        painter.setTransform(world)
        for kind, _name, _country, path, _ in self._zone_paths:
            pen = QPen(style.KP_WATERS_EDGE if kind == "waters" else style.PORT_EDGE)
            pen.setCosmetic(True)
            pen.setWidthF(0.8 if kind == "waters" else 1.4)
            if kind == "waters":
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(style.KP_WATERS_FILL if kind == "waters" else style.PORT_FILL)
            painter.drawPath(path)
        painter.restore()
        # A port zone is a few kilometres across: below a few pixels mark it with a dot.
        painter.setPen(QPen(style.PORT_EDGE, 1.2))
        painter.setBrush(style.PORT_FILL)
        for kind, _name, _country, path, (lx, ly) in self._zone_paths:
            if kind != "port":
                continue
            if path.boundingRect().width() / view.m_per_px < 8:
                painter.drawEllipse(self.world_to_screen(lx, ly), 4, 4)

    def _place_labels(self, metrics: QFontMetrics, view: ViewBox) -> list[tuple[str, QRectF]]:
        """Port labels that fit at this zoom, by priority: each takes the first side of its
        port (right, left, above, below) where its box meets no box already placed, and is
        left out when none is free. Recomputed at every paint, so zooming in brings back the
        labels that had given way."""
        placed: list[tuple[str, QRectF]] = []
        if view.m_per_px > _LABEL_MAX_M_PER_PX:
            return placed
        for i in self._label_order:
            kind, name, _country, _path, (lx, ly) = self._zone_paths[i]
            if kind != "port":
                continue
            p = self.world_to_screen(lx, ly)
            if not (0 <= p.x() <= view.width_px and 0 <= p.y() <= view.height_px):
                continue
            w = metrics.horizontalAdvance(name) + 4.0
            h = float(metrics.height())
            x, y = p.x(), p.y()
            for rect in (
                QRectF(x + 6, y - h / 2, w, h),
                QRectF(x - 6 - w, y - h / 2, w, h),
                QRectF(x - w / 2, y - 6 - h, w, h),
                QRectF(x - w / 2, y + 6, w, h),
            ):
                if not any(rect.intersects(other) for _, other in placed):
                    placed.append((name, rect))
                    break
        return placed

    def interacting(self) -> bool:
        """True while a drag or a run of wheel steps is going on."""
        return time.monotonic() < self._interacting_until

    def _interaction(self) -> None:
        self._interacting_until = time.monotonic() + _SETTLE_S
        self._settle.start(int(_SETTLE_S * 1000) + 20)

    def _paint_tracks_layer(self, painter: QPainter, view: ViewBox) -> None:
        if self._report_mode:  # straight onto the (high-resolution) report image, no cache
            self._paint_tracks(painter, view)
            return
        key = (
            self.t_range_ns,
            self._tracks_version,
            id(self.tracks),
            view.width_px,
            view.height_px,
        )
        layer, old = self._layer, self._layer_view
        if layer is not None and old is not None and key == self._layer_key:
            if old == view:
                painter.drawImage(QPointF(0, 0), layer)
                return
            if self.interacting():
                scale = old.m_per_px / view.m_per_px
                target = QRectF(
                    (old.left_m - view.left_m) / view.m_per_px,
                    (view.top_m - old.top_m) / view.m_per_px,
                    old.width_px * scale,
                    old.height_px * scale,
                )
                painter.drawImage(target, layer)
                return
        layer = QImage(view.width_px, view.height_px, QImage.Format.Format_ARGB32_Premultiplied)
        layer.fill(Qt.GlobalColor.transparent)
        layer_painter = QPainter(layer)
        layer_painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._paint_tracks(layer_painter, view)
        layer_painter.end()
        self._layer, self._layer_view, self._layer_key = layer, view, key
        painter.drawImage(QPointF(0, 0), layer)

    def _paint_tracks(self, painter: QPainter, view: ViewBox) -> None:
        if self.tracks is None:
            return
        for verdict in (Verdict.CLEAR, Verdict.REVIEW, Verdict.BARRED):
            rows = self._rows_by_verdict.get(verdict)
            if rows is None or not len(rows) or verdict not in self._visible_verdicts:
                continue
            colour = QColor(style.VERDICT_COLOURS[verdict])
            colour.setAlpha(150 if verdict == Verdict.CLEAR else 230)
            if self._report_mode and self.selected_mmsi is not None:
                colour.setAlpha(_REPORT_OTHERS_ALPHA)
            pen = QPen(colour)
            pen.setCosmetic(True)
            pen.setWidthF(1.0)  # wider cosmetic pens leave the fast stroker: 10x slower
            painter.setPen(pen)
            polys, dot_x, dot_y = self.tracks.polylines_and_dots(view, rows, self.t_range_ns)
            for poly in polys:
                painter.drawPolyline(poly)
            # A vessel with one fix (or all its fixes in one pixel) has no line to draw.
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            for x, y in zip(dot_x, dot_y, strict=True):
                painter.drawEllipse(QPointF(x, y), 2.5, 2.5)

    def _marker(self, painter: QPainter, kind: EventKind, p: QPointF, size: float) -> None:
        if kind == EventKind.PORT_CALL:
            painter.setBrush(style.VERDICT_COLOURS[Verdict.BARRED])
            painter.drawRect(QRectF(p.x() - size, p.y() - size, 2 * size, 2 * size))
        elif kind == EventKind.STS_TRANSFER:
            painter.setBrush(QColor(128, 0, 160))
            painter.drawPolygon(
                QPolygonF(
                    [
                        QPointF(p.x(), p.y() - size * 1.4),
                        QPointF(p.x() + size * 1.4, p.y()),
                        QPointF(p.x(), p.y() + size * 1.4),
                        QPointF(p.x() - size * 1.4, p.y()),
                    ]
                )
            )
        elif kind == EventKind.AIS_GAP:
            painter.setBrush(QColor(255, 255, 255))
            painter.drawEllipse(p, size, size)
        elif kind == EventKind.LOITERING:
            # a triangle, in the STS diamond's purple but hollow: a transfer whose partner
            # nobody heard
            painter.setBrush(QColor(230, 215, 245))
            painter.drawPolygon(
                QPolygonF(
                    [
                        QPointF(p.x(), p.y() - size * 1.3),
                        QPointF(p.x() + size * 1.2, p.y() + size * 0.9),
                        QPointF(p.x() - size * 1.2, p.y() + size * 0.9),
                    ]
                )
            )
        else:
            painter.setBrush(style.VERDICT_COLOURS[Verdict.REVIEW])
            painter.drawEllipse(p, size * 0.8, size * 0.8)

    def _paint_markers(self, painter: QPainter, view: ViewBox) -> None:
        if not len(self._event_xy):
            return
        if self._report_mode and self.selected_mmsi is not None:
            return  # a one-vessel report marks only that vessel's events
        sx, sy = view.to_screen(self._event_xy[:, 0], self._event_xy[:, 1])
        inside = (
            (sx >= -10) & (sx <= view.width_px + 10) & (sy >= -10) & (sy <= view.height_px + 10)
        )
        painter.setPen(QPen(QColor(40, 40, 40), 1.0))
        for i in np.flatnonzero(inside):
            event = self._events[i]
            if event.kind not in MARKER_KINDS or event.mmsi == self.selected_mmsi:
                continue
            if self._verdict_of.get(event.mmsi, Verdict.CLEAR) not in self._visible_verdicts:
                continue
            self._marker(painter, event.kind, QPointF(sx[i], sy[i]), 3.5)

    def _paint_selected(self, painter: QPainter, view: ViewBox) -> None:
        if self.tracks is None or self.selected_mmsi not in self.tracks.row_of:
            return
        rows = np.array([self.tracks.row_of[self.selected_mmsi]])
        verdict = self._verdict_of.get(self.selected_mmsi, Verdict.CLEAR)
        polys, dot_x, dot_y = self.tracks.polylines_and_dots(view, rows, self.t_range_ns)
        halo = QPen(style.SELECTED_HALO, 6.0)
        halo.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(halo)
        for poly in polys:
            painter.drawPolyline(poly)
        pen = QPen(style.VERDICT_COLOURS[verdict].darker(115), 3.0)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        for poly in polys:
            painter.drawPolyline(poly)
        painter.setPen(QPen(style.SELECTED_HALO, 2.0))
        painter.setBrush(style.VERDICT_COLOURS[verdict].darker(115))
        for x, y in zip(dot_x, dot_y, strict=True):
            painter.drawEllipse(QPointF(x, y), 5.0, 5.0)
        # Individual fixes once they are far enough apart to be told apart.
        sx, sy, _ = self.tracks.points(view, rows, self.t_range_ns)
        if 1 < len(sx) <= 3000:
            spacing = np.median(np.hypot(np.diff(sx), np.diff(sy)))
            if spacing > 6:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(style.VERDICT_COLOURS[verdict].darker(140))
                for x, y in zip(sx, sy, strict=True):
                    painter.drawEllipse(QPointF(x, y), 2.0, 2.0)
        painter.setPen(QPen(QColor(20, 20, 20), 1.2))
        own = [i for i, e in enumerate(self._events) if e.mmsi == self.selected_mmsi]
        for i in own:
            x, y = self._event_xy[i]
            self._marker(painter, self._events[i].kind, self.world_to_screen(x, y), 5.5)

    def legend_rows(self) -> list[tuple[str, str, object]]:
        """(kind of symbol, label, colour or event kind) of each legend row."""
        return [
            ("line", f"barred ({self.window_days:g}-day window)",
             style.VERDICT_COLOURS[Verdict.BARRED]),
            ("line", "review", style.VERDICT_COLOURS[Verdict.REVIEW]),
            ("line", "clear", style.VERDICT_COLOURS[Verdict.CLEAR]),
            ("marker", "port call", EventKind.PORT_CALL),
            ("marker", "ship-to-ship transfer", EventKind.STS_TRANSFER),
            ("marker", "AIS gap", EventKind.AIS_GAP),
            ("marker", "loitering", EventKind.LOITERING),
            ("area", "North Korean port", style.PORT_FILL),
            ("area", "North Korean waters", style.KP_WATERS_FILL),
        ]

    def _paint_legend(self, painter: QPainter) -> None:
        """What the colours and symbols mean, in the top-left corner."""
        font = QFont(painter.font())
        font.setPointSizeF(9.0 if self._report_mode else 8.5)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        rows = self.legend_rows()
        line_h = metrics.height() + 2
        width = max(metrics.horizontalAdvance(label) for _, label, _ in rows) + 40
        box = QRectF(8, 8, width, line_h * len(rows) + 8)
        painter.setPen(QPen(QColor(160, 160, 160), 1))
        painter.setBrush(QColor(255, 255, 255, 215))
        painter.drawRect(box)
        for i, (kind, label, what) in enumerate(rows):
            y = box.top() + 4 + i * line_h + line_h / 2
            x = box.left() + 8
            if kind == "line":
                painter.setPen(QPen(what, 2.5))  # type: ignore[arg-type]
                painter.drawLine(QPointF(x, y), QPointF(x + 18, y))
            elif kind == "marker":
                painter.setPen(QPen(QColor(40, 40, 40), 1.0))
                self._marker(painter, what, QPointF(x + 9, y), 4.0)  # type: ignore[arg-type]
            else:
                edge = style.PORT_EDGE if what == style.PORT_FILL else style.KP_WATERS_EDGE
                painter.setPen(QPen(edge, 1.0))
                painter.setBrush(
                    QColor(what).lighter(100)
                    if what != style.KP_WATERS_FILL  # type: ignore[arg-type]
                    else QColor(214, 39, 40, 60)
                )
                painter.drawRect(QRectF(x + 2, y - 5, 14, 10))
            painter.setPen(QColor(30, 30, 30))
            painter.drawText(QPointF(x + 26, y + metrics.ascent() / 2 - 1), label)

    def _paint_scale_bar(self, painter: QPainter, view: ViewBox) -> None:
        ground_m_per_px = view.m_per_px * ground_m_per_unit(self.center_m[1])
        target_m = ground_m_per_px * 140
        exponent = 10 ** math.floor(math.log10(target_m))
        length_m = max(m for m in (exponent, 2 * exponent, 5 * exponent) if m <= target_m)
        length_px = length_m / ground_m_per_px
        x0, y0 = 12.0, view.height_px - 16.0
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.fillRect(QRectF(x0 - 6, y0 - 20, length_px + 12, 28), QColor(255, 255, 255, 200))
        painter.setPen(QPen(QColor(30, 30, 30), 2))
        painter.drawLine(QPointF(x0, y0), QPointF(x0 + length_px, y0))
        painter.drawLine(QPointF(x0, y0 - 5), QPointF(x0, y0))
        painter.drawLine(QPointF(x0 + length_px, y0 - 5), QPointF(x0 + length_px, y0))
        label = (
            f"{length_m / 1000:g} km ({length_m / 1852:,.3g} nm)"
            if 1000 <= length_m < 1_000_000
            else f"{length_m / 1000:,.0f} km ({length_m / 1852:,.0f} nm)"
            if length_m >= 1000
            else f"{length_m:g} m"
        )
        painter.drawText(QPointF(x0, y0 - 7), label)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)

    def _paint_overlay_text(self, painter: QPainter, view: ViewBox) -> None:
        if self._cursor_lonlat is None:
            return
        lon, lat = self._cursor_lonlat
        text = (
            f"{abs(lat):.4f}°{'N' if lat >= 0 else 'S'}  {abs(lon):.4f}°{'E' if lon >= 0 else 'W'}"
        )
        metrics = QFontMetrics(painter.font())
        rect = metrics.boundingRect(text).adjusted(-5, -3, 5, 3)
        rect.moveBottomRight(QPoint(view.width_px - 8, view.height_px - 8))
        painter.fillRect(rect, QColor(255, 255, 255, 200))
        painter.setPen(QColor(30, 30, 30))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    # ---- input ------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
            self._press_center = self.center_m
            self._dragged = False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        x, y = self.screen_to_world(pos)
        lon, lat = to_lonlat(x, y)
        self._cursor_lonlat = (lon, lat)
        self.cursor_moved.emit(lon, lat)
        if self._press is not None and self._press_center is not None:
            delta = pos.toPoint() - self._press
            if self._dragged or delta.manhattanLength() > 3:
                self._dragged = True
                self._interaction()
                self.center_m = (
                    self._press_center[0] - delta.x() * self.m_per_px,
                    self._press_center[1] + delta.y() * self.m_per_px,
                )
        else:
            hit = self.event_at(pos)
            if hit is not None:
                QToolTip.showText(event.globalPosition().toPoint(), event_tooltip(hit), self)
            else:
                QToolTip.hideText()
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return
        clicked = not self._dragged
        self._press = None
        self._press_center = None
        if clicked:
            mmsi = self.vessel_at(event.position())
            if mmsi is not None:
                self.vessel_clicked.emit(mmsi)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120
        if steps:
            self._interaction()
            self.zoom_at(event.position(), 1.25**steps)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.update()


def event_tooltip(event: Event) -> str:
    """One short description of an event for a tooltip."""
    kind = str(event.kind).replace("_", " ")
    lines = [f"<b>{kind}</b> · MMSI {event.mmsi}"]
    if event.zone:
        lines.append(f"{event.zone}" + (f" ({event.locode})" if event.locode else ""))
    if event.with_mmsi:
        lines.append(f"with MMSI {event.with_mmsi}")
    lines.append(
        f"{iso_utc(event.start)} → {iso_utc(event.end)}" + (" (ongoing)" if event.ongoing else "")
    )
    return "<br>".join(lines)

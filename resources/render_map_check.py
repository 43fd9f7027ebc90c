"""Draw the bundled basemap, zones and port references to a PNG, to check them by eye.

    QT_QPA_PLATFORM=offscreen .venv/bin/python resources/render_map_check.py [OUT.png]
        [--bbox W,S,E,N] [--width PX] [--grid DEG]

Without --bbox it writes docs/map_check.png: the Korean peninsula with the KP port and
anchorage polygons (red, orange), the KP territorial sea (blue), World Port Index / searoute
ports and GFW anchorages (dark dots) and the issue's port reference positions (green crosses),
then one close-up per port (grid lines every 0.05 degrees). Qt's QPainter does the drawing
(no matplotlib), so this runs wherever the app does.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import shapely
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
)

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from desktop.core import basemap, ports, zones  # noqa: E402

REFERENCE_POSITIONS = ROOT / "zones" / "kp_reference_positions.csv"


class Frame:
    """Equirectangular projection of a bbox onto an image, x scaled by cos(mid latitude)."""

    def __init__(self, bbox: tuple[float, float, float, float], width_px: int) -> None:
        self.w, self.s, self.e, self.n = bbox
        self.k = math.cos(math.radians((self.s + self.n) / 2))
        self.width = width_px
        self.scale = width_px / ((self.e - self.w) * self.k)
        self.height = int(round((self.n - self.s) * self.scale))

    def xy(self, lon: float, lat: float) -> QPointF:
        return QPointF((lon - self.w) * self.k * self.scale, (self.n - lat) * self.scale)


def _path(frame: Frame, geom: shapely.Geometry) -> QPainterPath:
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.OddEvenFill)
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            coords = np.asarray(ring.coords)
            path.moveTo(frame.xy(*coords[0]))
            for lon, lat in coords[1:]:
                path.lineTo(frame.xy(lon, lat))
            path.closeSubpath()
    return path


def render(out: Path, bbox: tuple[float, float, float, float], width_px: int = 1400,
           grid_deg: float = 1.0, labels: bool = True) -> None:
    img = draw(bbox, width_px, grid_deg, labels)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(str(out))


def draw(bbox: tuple[float, float, float, float], width_px: int = 1400, grid_deg: float = 1.0,
         labels: bool = True, caption: str | None = None) -> QImage:
    frame = Frame(bbox, width_px)
    img = QImage(frame.width, frame.height, QImage.Format.Format_RGB32)
    img.fill(QColor("#d8e8f4"))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    pad = (bbox[0] - 0.5, bbox[1] - 0.5, bbox[2] + 0.5, bbox[3] + 0.5)
    land = basemap.load_land(pad)
    # A hairline in the fill colour hides the seams between the basemap's 2-degree tiles.
    p.setPen(QPen(QColor("#e9e4d4"), 1))
    p.setBrush(QBrush(QColor("#e9e4d4")))
    for geom in land:
        p.drawPath(_path(frame, geom))
    zs = zones.default_zones()
    colours = {"waters": QColor(40, 90, 200, 50), "port": QColor(220, 30, 30, 110),
               "anchorage": QColor(255, 150, 0, 120)}
    for kind in ("waters", "anchorage", "port"):
        for i in zs.indices((kind,)):
            p.setBrush(QBrush(colours[kind]))
            p.setPen(QPen(colours[kind].darker(150), 1))
            p.drawPath(_path(frame, zs.geometries[i]))
    # Known ports and anchorages, as the STS rule sees them.
    lon, lat = ports.known_port_points()
    inside = (lon >= pad[0]) & (lon <= pad[2]) & (lat >= pad[1]) & (lat <= pad[3])
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(QColor(60, 60, 60)))
    for x, y in zip(lon[inside], lat[inside], strict=True):
        p.drawEllipse(frame.xy(float(x), float(y)), 1.6, 1.6)
    p.setPen(QPen(QColor(0, 140, 0), 2))
    for line in REFERENCE_POSITIONS.read_text().splitlines()[1:]:
        _name, ref_lat, ref_lon = line.split(",")[:3]
        c = frame.xy(float(ref_lon), float(ref_lat))
        p.drawLine(c + QPointF(-5, -5), c + QPointF(5, 5))
        p.drawLine(c + QPointF(-5, 5), c + QPointF(5, -5))
    # Graticule with labels, so that positions can be read off the image.
    p.setPen(QPen(QColor(120, 120, 120, 120), 1, Qt.PenStyle.DashLine))
    p.setFont(QFont("DejaVu Sans", 9))
    g = grid_deg
    for x in np.arange(math.ceil(bbox[0] / g) * g, bbox[2], g):
        a, b = frame.xy(x, bbox[3]), frame.xy(x, bbox[1])
        p.drawLine(a, b)
        p.drawText(a + QPointF(2, 12), f"{x:.2f}E")
    for y in np.arange(math.ceil(bbox[1] / g) * g, bbox[3], g):
        a, b = frame.xy(bbox[0], y), frame.xy(bbox[2], y)
        p.drawLine(a, b)
        p.drawText(a + QPointF(2, -2), f"{y:.2f}N")
    if labels:
        p.setPen(QPen(QColor(120, 0, 0)))
        p.setFont(QFont("DejaVu Sans", 10, QFont.Weight.Bold))
        for i in zs.indices(("port",)):
            c = zs.geometries[i].centroid
            if bbox[0] <= c.x <= bbox[2] and bbox[1] <= c.y <= bbox[3]:
                p.drawText(frame.xy(c.x, c.y) + QPointF(8, -6), str(zs.frame["name"].iloc[i]))
    p.setPen(QPen(Qt.GlobalColor.black))
    p.setFont(QFont("DejaVu Sans", 9 if caption else 10, QFont.Weight.Bold))
    p.drawText(QRectF(6, frame.height - 20, frame.width - 12, 18), caption or (
        "Land: GSHHG f (LGPL-3.0) / Natural Earth. Red: KP ports, orange: anchorages, "
        "blue: KP 12 nm sea (approx.), dots: WPI/searoute ports + GFW anchorages, "
        "green x: WPI/LOCODE positions"))
    p.end()
    return img


def render_check(out: Path) -> None:
    """The overview of the peninsula, then one inset per KP port at about 1 px = 25 m."""
    overview = draw((123.5, 37.3, 131.2, 43.1), 1400, 1.0, True)
    zs = zones.default_zones()
    insets = []
    for i in zs.indices(("port",)):
        name = str(zs.frame["name"].iloc[i])
        geom = zs.geometries[i]
        if name == "Nampo":  # show Nampo with its anchorages and Songnim up the river
            bbox = (125.03, 38.63, 125.67, 38.80)
        else:
            c = geom.centroid
            bbox = (c.x - 0.09, c.y - 0.055, c.x + 0.09, c.y + 0.055)
        caption = "Nampo, its two anchorages, and Songnim up the Taedong" if name == "Nampo" \
            else name
        insets.append(draw(bbox, 460 if name != "Nampo" else 932, 0.05, False, caption))
    cols, gap = 3, 10
    cell_w = 460
    rows: list[list[QImage]] = []
    row: list[QImage] = []
    used = 0
    for img in insets:
        span = 2 if img.width() > cell_w else 1
        if used + span > cols:
            rows.append(row)
            row, used = [], 0
        row.append(img)
        used += span
    if row:
        rows.append(row)
    height = overview.height() + sum(max(i.height() for i in r) + gap for r in rows) + gap
    sheet = QImage(overview.width(), height, QImage.Format.Format_RGB32)
    sheet.fill(QColor("white"))
    p = QPainter(sheet)
    p.drawImage(0, 0, overview)
    y = overview.height() + gap
    for r in rows:
        x = 0
        for img in r:
            p.drawImage(x, y, img)
            x += img.width() + gap
        y += max(i.height() for i in r) + gap
    p.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(str(out))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, default=ROOT.parent / "docs" / "map_check.png")
    ap.add_argument("--bbox", help="W,S,E,N: one map of this box instead of the check sheet")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--grid", type=float, default=1.0)
    ap.add_argument("--no-labels", action="store_true")
    args = ap.parse_args(argv)
    _app = QGuiApplication.instance() or QGuiApplication([])
    if args.bbox:
        bbox = tuple(float(v) for v in args.bbox.split(","))
        render(args.out, bbox, args.width, args.grid, not args.no_labels)  # type: ignore[arg-type]
    else:
        render_check(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Tracks ready to draw: fixes projected once, cut to the view and thinned to one point per pixel.

The fixes table is sorted by (mmsi, time), so each vessel is one contiguous slice of the
projected arrays. Building a frame touches only slices whose bounding box meets the view, drops
segments that lie wholly on one side of it (Cohen-Sutherland outcodes) and merges consecutive
points that fall in the same pixel, so the cost of a repaint follows the pixels drawn, not the
fixes loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shiboken6
from PySide6.QtGui import QPolygonF

from desktop.gui.mercator import to_xy


@dataclass(frozen=True)
class ViewBox:
    """The visible part of the map: Web Mercator x/y of the top-left pixel and metres per pixel."""

    left_m: float
    top_m: float
    m_per_px: float
    width_px: int
    height_px: int

    def to_screen(self, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (x_m - self.left_m) / self.m_per_px, (self.top_m - y_m) / self.m_per_px

    @property
    def bounds_m(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in Web Mercator metres."""
        right = self.left_m + self.width_px * self.m_per_px
        bottom = self.top_m - self.height_px * self.m_per_px
        return self.left_m, bottom, right, self.top_m


def polygon_from_xy(xy: np.ndarray) -> QPolygonF:
    """A QPolygonF filled straight from an (n, 2) float64 array, without a Python loop."""
    n = len(xy)
    poly = QPolygonF()
    poly.resize(n)
    if n:
        buffer = shiboken6.VoidPtr(poly.data(), n * 16, True)
        np.frombuffer(buffer, np.float64).reshape(-1, 2)[:] = xy
    return poly


class TrackData:
    """The projected fixes of every vessel; built once per load (in a worker thread)."""

    def __init__(self, fixes: pd.DataFrame) -> None:
        mmsi = fixes["mmsi"].to_numpy(dtype="uint32")
        self.x_m, self.y_m = to_xy(fixes["lon"].to_numpy(), fixes["lat"].to_numpy())
        self.t_ns = fixes["time"].to_numpy(dtype="datetime64[ns]").view("int64")
        self.fix_count = len(mmsi)
        if len(mmsi):
            starts = np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1]])
        else:
            starts = np.zeros(0, dtype="int64")
        self.mmsi = mmsi[starts].astype("int64")
        self.start = starts
        self.stop = np.r_[starts[1:], len(mmsi)].astype("int64")
        self.row_of = {int(m): i for i, m in enumerate(self.mmsi)}
        self._levels: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if len(mmsi):
            self.xmin = np.minimum.reduceat(self.x_m, starts)
            self.xmax = np.maximum.reduceat(self.x_m, starts)
            self.ymin = np.minimum.reduceat(self.y_m, starts)
            self.ymax = np.maximum.reduceat(self.y_m, starts)
        else:
            self.xmin = self.xmax = self.ymin = self.ymax = np.zeros(0)

    def bounds_m(self, mmsis: list[int] | None = None) -> tuple[float, float, float, float] | None:
        """Bounding box (xmin, ymin, xmax, ymax) of the given vessels (all when None)."""
        rows = (
            np.arange(len(self.mmsi))
            if mmsis is None
            else np.array([self.row_of[m] for m in mmsis if m in self.row_of], dtype="int64")
        )
        if not len(rows):
            return None
        return (
            float(self.xmin[rows].min()),
            float(self.ymin[rows].min()),
            float(self.xmax[rows].max()),
            float(self.ymax[rows].max()),
        )

    def _level(self, m_per_px: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The fixes worth drawing at this scale, or None for all of them.

        A level keeps the first fix of each run of a vessel's fixes in one square cell of
        half a pixel (2**k metres), and each vessel's first and last fix: a ship at anchor
        for a week becomes one point at fleet scale. Returns (fix indices, per-vessel start,
        per-vessel stop into those indices); levels are built once and cached.
        """
        level = int(np.floor(np.log2(max(m_per_px / 2, 1e-9))))
        if level < 3 or self.fix_count == 0:  # cells under 8 m: thinning would not pay
            return None
        cached = self._levels.get(level)
        if cached is None:
            cell = 2.0**level
            cx = np.floor(self.x_m / cell).astype("int64")
            cy = np.floor(self.y_m / cell).astype("int64")
            keep = np.ones(self.fix_count, dtype=bool)
            keep[1:] = (cx[1:] != cx[:-1]) | (cy[1:] != cy[:-1])
            keep[self.start] = True
            keep[self.stop - 1] = True
            kept = np.flatnonzero(keep)
            cached = (
                kept,
                np.searchsorted(kept, self.start, "left"),
                np.searchsorted(kept, self.stop, "left"),
            )
            self._levels[level] = cached
        return cached

    def _indices(
        self, rows: np.ndarray, t_range_ns: tuple[int, int] | None, m_per_px: float | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Fix indices of the rows (thinned for the scale) and the count per row kept."""
        level = self._level(m_per_px) if m_per_px is not None else None
        parts = []
        for r in rows:
            if level is None:
                lo, hi = int(self.start[r]), int(self.stop[r])
                base = None
            else:
                base, vstart, vstop = level
                lo, hi = int(vstart[r]), int(vstop[r])
            if t_range_ns is not None:
                times = self.t_ns[lo:hi] if base is None else self.t_ns[base[lo:hi]]
                lo, hi = (
                    lo + int(np.searchsorted(times, t_range_ns[0], "left")),
                    lo + int(np.searchsorted(times, t_range_ns[1], "right")),
                )
            if hi > lo:
                parts.append(np.arange(lo, hi) if base is None else base[lo:hi])
        if not parts:
            return np.zeros(0, dtype="int64"), np.zeros(0, dtype="int64")
        return np.concatenate(parts), np.array([len(p) for p in parts])

    def visible_rows(self, view: ViewBox, rows: np.ndarray) -> np.ndarray:
        xmin, ymin, xmax, ymax = view.bounds_m
        keep = (
            (self.xmax[rows] >= xmin)
            & (self.xmin[rows] <= xmax)
            & (self.ymax[rows] >= ymin)
            & (self.ymin[rows] <= ymax)
        )
        return rows[keep]

    def polylines(
        self, view: ViewBox, rows: np.ndarray, t_range_ns: tuple[int, int] | None = None
    ) -> list[QPolygonF]:
        """Screen polylines of the given vessel rows, cut to the view and thinned per pixel."""
        return self.polylines_and_dots(view, rows, t_range_ns)[0]

    def dots(
        self, view: ViewBox, rows: np.ndarray, t_range_ns: tuple[int, int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Screen x, y of the vessels that a line cannot show (see ``polylines_and_dots``)."""
        _, x, y = self.polylines_and_dots(view, rows, t_range_ns)
        return x, y

    def polylines_and_dots(
        self, view: ViewBox, rows: np.ndarray, t_range_ns: tuple[int, int] | None = None
    ) -> tuple[list[QPolygonF], np.ndarray, np.ndarray]:
        """The polylines of the rows, and the screen x, y of the vessels that a line cannot
        show: a single fix (in the time range), or fixes that all fall within one pixel. Those
        are drawn as dots, else such a vessel is invisible."""
        rows = self.visible_rows(view, np.asarray(rows))
        idx, lengths = self._indices(rows, t_range_ns, view.m_per_px)
        if not len(idx):
            return [], np.zeros(0), np.zeros(0)
        sx, sy = view.to_screen(self.x_m[idx], self.y_m[idx])
        starts = np.r_[0, np.cumsum(lengths)[:-1]]
        spread_x = np.maximum.reduceat(sx, starts) - np.minimum.reduceat(sx, starts)
        spread_y = np.maximum.reduceat(sy, starts) - np.minimum.reduceat(sy, starts)
        lone = (spread_x < 1.0) & (spread_y < 1.0)
        x, y = sx[starts[lone]], sy[starts[lone]]
        inside = (x >= -_MARGIN_PX) & (x <= view.width_px + _MARGIN_PX)
        inside &= (y >= -_MARGIN_PX) & (y <= view.height_px + _MARGIN_PX)
        polys = _thin_and_cut(sx, sy, lengths, view.width_px, view.height_px)
        return polys, x[inside], y[inside]

    def points(
        self,
        view: ViewBox,
        rows: np.ndarray,
        t_range_ns: tuple[int, int] | None = None,
        *,
        thinned: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Screen x, y and fix index of the fixes of the rows in view (every fix, or only
        those drawn at this scale when ``thinned``: enough for a hit test)."""
        rows = self.visible_rows(view, np.asarray(rows))
        idx, _ = self._indices(rows, t_range_ns, view.m_per_px if thinned else None)
        sx, sy = view.to_screen(self.x_m[idx], self.y_m[idx])
        return sx, sy, idx

    def row_of_fix(self, fix_index: int) -> int:
        """The vessel row of one fix index."""
        return int(np.searchsorted(self.start, fix_index, "right") - 1)

    def row_of_fix_array(self, fix_index: np.ndarray) -> np.ndarray:
        """The vessel row of each fix index."""
        return np.searchsorted(self.start, fix_index, "right") - 1


_MARGIN_PX = 4.0


def _outcodes(sx: np.ndarray, sy: np.ndarray, width: int, height: int) -> np.ndarray:
    code = np.zeros(len(sx), dtype="uint8")
    code |= (sx < -_MARGIN_PX).astype("uint8")
    code |= (sx > width + _MARGIN_PX).astype("uint8") << 1
    code |= (sy < -_MARGIN_PX).astype("uint8") << 2
    code |= (sy > height + _MARGIN_PX).astype("uint8") << 3
    return code


def _thin_and_cut(
    sx: np.ndarray, sy: np.ndarray, lengths: np.ndarray, width: int, height: int
) -> list[QPolygonF]:
    """Split concatenated tracks into visible runs, one point per pixel, as polylines."""
    n = len(sx)
    code = _outcodes(sx, sy, width, height)
    # Segment i joins point i to i+1: drawn unless it crosses a vessel boundary or lies
    # wholly beyond one edge of the view.
    seg_ok = (code[:-1] & code[1:]) == 0
    boundaries = np.cumsum(lengths)[:-1] - 1
    seg_ok[boundaries] = False
    # Pixel thinning: drop a point that falls in the same pixel as the previous kept one,
    # except the last point of each run (so a run still ends where it should).
    px = np.floor(sx).astype("int64")
    py = np.floor(sy).astype("int64")
    same_px = np.zeros(n, dtype=bool)
    same_px[1:] = (px[1:] == px[:-1]) & (py[1:] == py[:-1]) & seg_ok
    # Runs of drawable segments: a run starts at a point whose incoming segment is not drawn
    # and whose outgoing segment is.
    incoming = np.r_[False, seg_ok]
    outgoing = np.r_[seg_ok, False]
    starts = np.flatnonzero(~incoming & outgoing)
    ends = np.flatnonzero(incoming & ~outgoing)
    keep = (incoming | outgoing) & ~same_px
    keep[ends] = True
    xy = np.column_stack((sx, sy))
    kept_idx = np.flatnonzero(keep)
    kept_xy = xy[kept_idx]
    lo = np.searchsorted(kept_idx, starts, "left")
    hi = np.searchsorted(kept_idx, ends, "right")
    return [polygon_from_xy(kept_xy[a:b]) for a, b in zip(lo, hi, strict=True) if b - a >= 2]

"""Hand-built tracks and zones for the GUI tests (no test functions here).

One KP port zone (a square around Nampo) and three vessels with known verdicts as of
2026-11-28: 351000001 stops 3 h in the zone and leaves at 2026-07-03 06:20 UTC (barred until
2026-12-30 06:20 UTC), 445000003 is KP-flagged (review), 352000002 only sails the open sea (clear).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from desktop.core.fixes import make_fixes
from desktop.core.zones import ZoneSet

AS_OF = datetime(2026, 11, 28, tzinfo=UTC)
CALL_END = datetime(2026, 7, 3, 6, 20, tzinfo=UTC)
BARRED_UNTIL = CALL_END + timedelta(days=180)
BARRED, CLEAR, REVIEW = 351000001, 352000002, 445000003

NAMPO = {
    "type": "Feature",
    "properties": {"name": "Nampo", "kind": "port", "country": "KP", "locode": "KPNAM",
                   "source": "test"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[125.30, 38.65], [125.50, 38.65], [125.50, 38.80], [125.30, 38.80],
                         [125.30, 38.65]]],
    },
}


def zones() -> ZoneSet:
    return ZoneSet.from_geojson({"type": "FeatureCollection", "features": [NAMPO]}, "test")


def _track(mmsi: int, start: datetime, lon: np.ndarray, lat: np.ndarray, sog: np.ndarray,
           step_min: float) -> dict[str, Any]:
    times = [start + timedelta(minutes=step_min * i) for i in range(len(lon))]
    return {"mmsi": [mmsi] * len(lon), "time": times, "lat": lat, "lon": lon, "sog_kn": sog}


def fixes() -> Any:
    """The three vessels' fixes, every 10 minutes."""
    parts = []
    # Barred: sails in from the south-west, stops 3 h at (125.40, 38.72), sails out.
    arrive = CALL_END - timedelta(hours=4)  # the last in-zone fix is 3 steps after leaving
    lon_in = np.linspace(124.6, 125.40, 25)
    lat_in = np.linspace(38.2, 38.72, 25)
    stop_n = 20  # 19 steps of 10 min = 3 h 10 min stopped
    lon = np.r_[lon_in, np.full(stop_n, 125.40), np.linspace(125.40, 124.6, 25)]
    lat = np.r_[lat_in, np.full(stop_n, 38.72), np.linspace(38.72, 38.2, 25)]
    sog = np.r_[np.full(25, 10.0), np.zeros(stop_n), np.full(25, 10.0)]
    start = arrive - timedelta(minutes=10 * 24)
    parts.append(_track(BARRED, start, lon, lat, sog, 10))
    # Clear: crosses the Yellow Sea far from any zone.
    n = 60
    parts.append(_track(CLEAR, datetime(2026, 9, 1, tzinfo=UTC), np.linspace(122.0, 124.0, n),
                        np.linspace(35.0, 36.0, n), np.full(n, 11.0), 10))
    # Review: KP flag (MID 445), sails east of the barred vessel's track.
    parts.append(_track(REVIEW, datetime(2026, 10, 1, tzinfo=UTC), np.linspace(123.0, 123.5, n),
                        np.linspace(37.0, 37.8, n), np.full(n, 9.0), 10))
    columns: dict[str, Any] = {k: np.concatenate([np.asarray(p[k])
                                  for p in parts]) for k in parts[0]}
    columns["time"] = [t for p in parts for t in p["time"]]
    columns["source"] = "hand-made"
    return make_fixes(columns)


def ingest_result() -> Any:
    from desktop.core.screening import ingest_result_of

    return ingest_result_of(fixes())


class CountingIngest:
    """Stands in for ``desktop.core.ingest.ingest``: returns the hand-made tracks, counts calls.

    ``gate`` (a threading.Event) makes it wait, polling ``cancel``, until set: a long load.
    """

    def __init__(self, gate: Any = None) -> None:
        self.calls: list[list[str]] = []
        self.gate = gate

    def __call__(self, paths: Any, *, max_speed_kn: float = 50.0, progress: Any = None,
                 cancel: Any = None) -> Any:
        import time

        from desktop.core.errors import Cancelled

        self.calls.append([str(p) for p in paths])
        while self.gate is not None and not self.gate.is_set():
            if cancel is not None and cancel():
                raise Cancelled("ingest cancelled")
            if progress is not None:
                progress(0.5, "reading")
            time.sleep(0.01)
        return ingest_result()


def make_window(qtbot: Any, tmp_path: Any, monkeypatch: Any, ingest: Any = None) -> Any:
    """A MainWindow on the hand-made data with a recording notifier and throw-away settings."""
    from PySide6.QtCore import QSettings

    import desktop.core.ingest
    from desktop.gui.main_window import MainWindow
    from desktop.gui.notifier import RecordingNotifier
    from desktop.gui.session import Session

    fake = ingest or CountingIngest()
    monkeypatch.setattr(desktop.core.ingest, "ingest", fake, raising=False)
    session = Session()
    session.zones = zones()
    session.as_of = AS_OF
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(session=session, settings=settings, notifier=RecordingNotifier())
    # The date field shows the session's as-of, not the real today: a test that applies a
    # date must change something whatever day it runs on (on 2026-12-01 UTC, applying that
    # date was a no-op and the watch-list tests waited in vain).
    window.as_of_edit.set_value(AS_OF.date())
    window.resize(1200, 800)
    qtbot.addWidget(window)
    window.show()
    return window, fake


def wait_idle(qtbot: Any, window: Any, timeout_ms: int = 10_000) -> None:
    qtbot.waitUntil(lambda: not window.session.busy, timeout=timeout_ms)

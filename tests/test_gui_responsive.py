"""The event loop keeps turning while a 1,000,000-fix file loads and is screened (issue 5 §6):
the GUI thread never works 100 ms between two turns of the loop."""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest
from PySide6.QtCore import QSettings, QTimer

from desktop.gui.main_window import MainWindow
from desktop.gui.notifier import RecordingNotifier
from desktop.gui.tasks import warm_child_processes

VESSELS, FIXES_PER_VESSEL = 200, 5000
MAX_GAP_MS = 100.0


def write_million_fix_csv(path) -> None:
    """A NOAA-style CSV: 200 ships in the East China Sea, a fix every 2 minutes for 7 days."""
    rng = np.random.default_rng(5)
    mmsi = np.repeat(np.arange(VESSELS) + 412_000_000, FIXES_PER_VESSEL)
    lat0 = rng.uniform(30, 33, VESSELS)[:, None]
    lon0 = rng.uniform(123, 127, VESSELS)[:, None]
    course = rng.uniform(0, 2 * np.pi, VESSELS)[:, None] + rng.normal(
        0, 0.02, (VESSELS, FIXES_PER_VESSEL)
    ).cumsum(axis=1)
    lat = (lat0 + np.cos(course).cumsum(axis=1) * 0.0004).ravel().round(5)
    lon = (lon0 + np.sin(course).cumsum(axis=1) * 0.0005).ravel().round(5)
    steps = pd.Timestamp("2026-05-01", tz="UTC") + pd.to_timedelta(
        np.arange(FIXES_PER_VESSEL) * 120, unit="s"
    )
    times = np.tile(np.asarray(steps.strftime("%Y-%m-%dT%H:%M:%S"), dtype=object), VESSELS)
    table = pa.table(
        {
            "MMSI": mmsi,
            "BaseDateTime": times,
            "LAT": lat,
            "LON": lon,
            "SOG": np.full(len(lat), 12.0),
            "COG": np.full(len(lat), 90.0),
        }
    )
    pcsv.write_csv(table, str(path))


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "million.csv"
    write_million_fix_csv(path)
    return path


@pytest.mark.slow
def test_event_loop_never_blocks_100_ms_while_a_million_fixes_load(qtbot, tmp_path, big):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, notifier=RecordingNotifier())
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    warm_child_processes(wait=True)  # run_app starts it at start-up

    # Each tick: wall time and the CPU time of the GUI thread (the ticks run on it).
    ticks: list[tuple[float, float]] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append((time.perf_counter(), time.thread_time())))
    phases: list[tuple[float, str]] = []
    window.session.progress.connect(lambda f, m: phases.append((time.perf_counter(), m)))
    done: list[float] = []
    done_cpu: list[float] = []
    # Connected after the window's own slot: runs once the table and map hold the result.
    window.session.loaded.connect(
        lambda _: (done.append(time.perf_counter()), done_cpu.append(time.thread_time())))
    timer.start()
    started, started_cpu = time.perf_counter(), time.thread_time()
    window.open_tracks([str(big)])
    qtbot.waitUntil(lambda: bool(done) and not window.session.busy, timeout=120_000)
    timer.stop()

    assert window.notifier.messages == []
    assert window.session.current.tracks.fix_count == VESSELS * FIXES_PER_VESSEL
    assert window.model.rowCount() == VESSELS
    inside = [(t, c) for t, c in ticks if t <= done[0]]
    stamps = np.array([started, *[t for t, _ in inside], done[0]])
    cpu = np.array([started_cpu, *[c for _, c in inside], done_cpu[0]])
    gaps_ms = np.diff(stamps) * 1000
    # What blocks the loop is work on the GUI thread: the CPU it spent between two ticks. A wall
    # gap alone also counts the time the OS gave the cores to others (the loading child, other
    # jobs on a shared 2-core machine), which is no block of ours and no property of the code.
    busy_ms = np.diff(cpu) * 1000
    for i in np.argsort(busy_ms)[-3:]:
        phase = [m for t, m in phases if t <= stamps[i]]
        print(f"gap {gaps_ms[i]:.0f} ms wall, {busy_ms[i]:.0f} ms CPU of the GUI thread, at "
              f"{stamps[i] - started:.2f} s, during {phase[-1] if phase else 'start'!r}")
    print(
        f"load {done[0] - started:.1f} s, {len(gaps_ms)} ticks, largest gap "
        f"{gaps_ms.max():.0f} ms wall, {busy_ms.max():.0f} ms CPU; 99th percentile "
        f"{np.percentile(gaps_ms, 99):.0f} ms wall"
    )
    assert busy_ms.max() < MAX_GAP_MS
    # A new as-of date re-applies the rule on the million fixes in a child process, keeping
    # the same ingested data (no re-read).
    ingested = window.session.current.ingest
    ticks.clear()
    timer.start()
    started, started_cpu = time.perf_counter(), time.thread_time()
    with qtbot.waitSignal(window.session.rescreened, timeout=120_000):
        window.set_as_of_date(date(2026, 5, 4))
    finished, finished_cpu = time.perf_counter(), time.thread_time()
    timer.stop()
    assert window.session.current.ingest is ingested
    assert window.session.current.result.as_of == datetime(2026, 5, 4, tzinfo=UTC)
    inside = [(t, c) for t, c in ticks if t <= finished]
    gaps_ms = np.diff([started, *[t for t, _ in inside], finished]) * 1000
    busy_ms = np.diff([started_cpu, *[c for _, c in inside], finished_cpu]) * 1000
    print(f"as-of change {finished - started:.1f} s, largest gap {gaps_ms.max():.0f} ms wall, "
          f"{busy_ms.max():.0f} ms CPU")
    # Issue 5 bounds the load; here the bound is that the window never freezes for the
    # seconds a re-screening of a million fixes takes (in a thread it stalled ~165 ms).
    assert busy_ms.max() < 1000
    # A full render of the whole million-fix map (the layer cache dropped), for the record.
    window.map._layer = None
    window.map.repaint()
    print(f"full map render with every track in view: {window.map.last_paint_ms:.0f} ms")


@pytest.mark.slow
def test_cancel_kills_the_child_loading_a_million_fixes_and_keeps_the_data(qtbot, tmp_path, big):
    from test_gui_support import fixes

    small = tmp_path / "small.csv"
    fixes().to_csv(small, index=False)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, notifier=RecordingNotifier())
    qtbot.addWidget(window)
    window.show()
    warm_child_processes(wait=True)
    with qtbot.waitSignal(window.session.loaded, timeout=30_000):
        window.open_tracks([str(small)])
    qtbot.waitUntil(lambda: not window.session.busy, timeout=10_000)
    before = window.session.current
    assert window.model.rowCount() == 3

    window.open_tracks([str(big)])
    qtbot.waitUntil(lambda: bool(multiprocessing.active_children()), timeout=10_000)
    qtbot.wait(500)
    window.cancel_button.click()
    assert not window.session.busy  # at once: the window does not wait for the child
    qtbot.waitUntil(lambda: not multiprocessing.active_children(), timeout=10_000)
    qtbot.wait(200)
    assert window.session.current is before
    assert window.model.rowCount() == 3
    assert window.notifier.messages == []

"""Archives in the layout of DESIGN.md §8 for the Dask engine tests, written by the tests.

``write_archive`` splits a fixes table (and static records) by UTC day into
``fixes/day=YYYY-MM-DD/part-0.parquet`` (rows sorted by mmsi, time) and
``statics/day=.../part-0.parquet``, with an ``archive.json``; ``local_reference`` screens the
same days in one process, the way the archive's local path does (the fixes of the days read,
as one ingest result).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from distributed.diagnostics.plugin import WorkerPlugin

from desktop.core.ingest.vessels import build_vessels
from desktop.core.screening import ScreeningResult, ingest_result_of, screen
from desktop.core.watchlist import Watchlist
from desktop.core.zones import ZoneSet


def write_archive(root: Path, fixes: pd.DataFrame, statics: pd.DataFrame | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "archive.json").write_text(json.dumps({"format": 1, "schema": "fixes/1"}))
    for kind, table in (("fixes", fixes), ("statics", statics)):
        if table is None or len(table) == 0:
            continue
        days = table["time"].dt.strftime("%Y-%m-%d")
        for day in sorted(days.dropna().unique()):
            part = table[(days == day).to_numpy()]
            part = part.sort_values(["mmsi", "time"], kind="stable")
            folder = root / kind / f"day={day}"
            folder.mkdir(parents=True, exist_ok=True)
            part.to_parquet(folder / "part-0.parquet", index=False, row_group_size=50_000)
    return root


def days_read(as_of: datetime, window_days: float) -> tuple[date, date]:
    """The days the archive's screening reads: [as_of - 2 window - 1 day, as_of]."""
    first = (as_of - timedelta(days=2 * window_days + 1)).date()
    return first, as_of.date()


def local_reference(
    fixes: pd.DataFrame,
    statics: pd.DataFrame | None,
    zones: ZoneSet | None,
    as_of: datetime,
    window_days: float = 180,
    watchlist: Watchlist | None = None,
) -> ScreeningResult:
    """``screen`` on the fixes and static records of the days read, in one process."""
    first, last = days_read(as_of, window_days)
    day = fixes["time"].dt.date
    chosen = fixes[((day >= first) & (day <= last)).to_numpy()].reset_index(drop=True)
    st = None
    if statics is not None and len(statics):
        sday = statics["time"].dt.date
        st = statics[((sday >= first) & (sday <= last)).to_numpy()]
        st = st.sort_values(["mmsi", "time"], kind="stable", ignore_index=True)
    vessels = build_vessels(chosen, st) if st is not None else None
    return screen(ingest_result_of(chosen, st, vessels), zones, as_of=as_of, watchlist=watchlist)


def as_uint(values: list[int]) -> np.ndarray:
    return np.asarray(values, dtype="uint32")


class KillOnce(WorkerPlugin):
    """A Dask worker plugin that kills its worker process with SIGKILL (as the OOM killer
    would: no clean-up, no goodbye to the scheduler) when the first task whose key starts
    with ``prefix`` starts executing, once per ``marker`` file: the scheduler must then rerun
    that task on a live worker (the nanny starts a new worker process)."""

    idempotent = False

    def __init__(self, prefix: str, marker: str) -> None:
        self.prefix = prefix
        self.marker = marker

    def setup(self, worker: object) -> None:
        pass

    def teardown(self, worker: object) -> None:
        pass

    def transition(self, key: object, start: str, finish: str, **kwargs: object) -> None:
        import os
        import signal

        if finish == "executing" and str(key).startswith(self.prefix):
            try:
                fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

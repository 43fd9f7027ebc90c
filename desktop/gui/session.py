"""The GUI's state: the files opened, the current ScreeningResult, and the work that changes it.

Everything the screen shows comes from one ``ScreeningResult`` made by
``desktop.core.screening.screen``; the session only decides *when* to call the core (load,
new zones, new parameters, new as-of date, a watch list) and runs it off the GUI thread. The
watch list, once loaded, is passed to every later screening until it is cleared. A new result
replaces the old one only when it succeeded: a failed, refused or cancelled run leaves the
data on screen as it was.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QObject, Signal

from desktop.core.errors import Cancelled, ExposureError
from desktop.core.params import ScreeningParams
from desktop.gui.tasks import CancelFn, ProgressFn, Task, Work
from desktop.gui.track_layer import TrackData

# Above these sizes the core runs in a child process (see tasks.run_in_child): its long
# GIL-holding numpy/pandas steps would otherwise freeze the window.
BIG_INPUT_BYTES: Final = 16 * 1024 * 1024
BIG_FIX_COUNT: Final = 200_000


def input_bytes(paths: Sequence[str]) -> int:
    """Total size of the files named or inside the folders named (missing ones count 0)."""
    total = 0
    for name in paths:
        path = Path(name)
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return total


# Accepted line kinds of desktop.core.ingest.base that mean the file held AIS data.
USEFUL_LINES: Final = ("fix", "static", "fragment", "other_ais")


def _core(module: str) -> Any:
    # Looked up at call time so that tests can monkeypatch the core functions.
    return importlib.import_module(module)


@dataclass
class Loaded:
    """A screening result with what the views need precomputed (in the worker thread)."""

    result: Any  # desktop.core.screening.ScreeningResult (None when nothing could be read)
    tracks: TrackData
    paths: list[str] = field(default_factory=list)
    ingest: Any = None  # desktop.core.ingest.result.IngestResult
    archive: Any = None  # desktop.gui.archive_dialog.ArchiveRequest when read from an archive


@dataclass(frozen=True)
class Problem:
    """Something the user must be told: a title, the text naming the file, and details."""

    title: str
    text: str
    details: str = ""


def _report_field(report: Any, name: str, default: Any = None) -> Any:
    if isinstance(report, dict):
        return report.get(name, default)
    return getattr(report, name, default)


def unreadable_files(reports: Sequence[Any]) -> list[str]:
    """One line per input file that gave nothing: file, format, reasons, counts.

    A file whose positions were all duplicates of another file's (the same traffic as CSV and
    NMEA), or that carries only static data, is not a problem: something in it was read.
    """
    lines = []
    for report in reports:
        fixes = _report_field(report, "fixes", 0) or 0
        accepted = _report_field(report, "accepted", {}) or {}
        rejected = _report_field(report, "rejected", {}) or {}
        useful = sum(n for kind, n in accepted.items() if kind in USEFUL_LINES)
        if fixes or useful or rejected.get("duplicate", 0):
            continue
        path = _report_field(report, "path", "?")
        fmt = _report_field(report, "format", None) or "unknown format"
        n_lines = _report_field(report, "lines", 0) or 0
        ranked = sorted(rejected.items(), key=lambda kv: (-kv[1], kv[0]))
        counts = ", ".join(f"{reason} {n}" for reason, n in ranked if n)
        notes = _report_field(report, "notes", None)
        note_text = "; ".join(notes) if isinstance(notes, list | tuple) else (notes or "")
        line = f"{path}: no position report could be read ({fmt}, {n_lines} lines"
        line += f"; rejected: {counts})" if counts else ")"
        if note_text:
            line += f". {note_text}"
        lines.append(line)
    return lines


def load_tracks(
    names: list[str],
    zones: Any,
    params: ScreeningParams,
    as_of: datetime | None,
    progress: ProgressFn,
    cancel: CancelFn,
    *,
    watchlist: Any = None,
) -> Loaded:
    """Read and screen files; module-level so that it can run in a child process.

    Ingest first, then screen the IngestResult: the same two steps ``screen()`` runs on paths,
    with the reading reported on the progress bar too.
    """
    ingested = _core("desktop.core.ingest").ingest(
        names,
        max_speed_kn=params.max_speed_kn,
        progress=_share(progress, 0.0, 0.7, "reading"),
        cancel=cancel,
    )
    if cancel():
        raise Cancelled("load cancelled")
    return _screen_read(ingested, 0.7, names, None, zones, params, as_of, progress, cancel,
                        watchlist)  # fmt: skip


def _share(progress: ProgressFn, start: float, stop: float, what: str) -> ProgressFn:
    """``progress`` for one step that fills ``start .. stop`` of the bar (``what`` when the
    step says nothing)."""
    return lambda f, m: progress(start + (stop - start) * f, m or what)


def _screen_read(
    ingested: Any,
    read_share: float,
    names: list[str],
    request: Any,
    zones: Any,
    params: ScreeningParams,
    as_of: datetime | None,
    progress: ProgressFn,
    cancel: CancelFn,
    watchlist: Any,
) -> Loaded:
    """The second half of ``load_tracks`` and ``load_archive``: screen what was just read
    (which filled ``read_share`` of the bar), the map's tracks last; nothing read, nothing
    screened (the session reports it and keeps what it had)."""
    if len(ingested.fixes) == 0:
        return Loaded(None, TrackData(ingested.fixes), names, ingested, request)
    result = _core("desktop.core.screening").screen(
        ingested, zones, params, as_of, progress=_share(progress, read_share, 0.98, "screening"),
        cancel=cancel, watchlist=watchlist,
    )  # fmt: skip
    progress(0.99, "preparing the map")
    return Loaded(result, TrackData(ingested.fixes), names, ingested, request)


def load_archive(
    request: Any,
    zones: Any,
    params: ScreeningParams,
    as_of: datetime | None,
    progress: ProgressFn,
    cancel: CancelFn,
    *,
    watchlist: Any = None,
) -> Loaded:
    """Read the days (and vessels) of ``request`` (an ``ArchiveRequest``) from an archive with
    every fix column (the map and the details show them), then screen as ``load_tracks``."""
    if getattr(request, "scheduler", None):
        return load_archive_on_dask(
            request, zones, params, as_of, progress, cancel, watchlist=watchlist
        )
    archive = _core("desktop.core.archive.read")
    vessels = archive.read_vessel_list(request.vessels) if request.vessels else None
    ingested = archive.load_for_screening(
        request.archive, as_of, params.window_days, vessels, first_day=request.first_day,
        last_day=request.last_day, all_columns=True,
        progress=_share(progress, 0.0, 0.6, "reading the archive"), cancel=cancel,
    )
    return _screen_read(ingested, 0.6, [request.archive], request, zones, params, as_of,
                        progress, cancel, watchlist)  # fmt: skip


def load_archive_on_dask(
    request: Any,
    zones: Any,
    params: ScreeningParams,
    as_of: datetime | None,
    progress: ProgressFn,
    cancel: CancelFn,
    *,
    watchlist: Any = None,
) -> Loaded:
    """Screen the days (and vessels) of ``request`` on the Dask cluster of its ``scheduler``
    (the Compute setting): the cluster's tasks done / total on the progress bar; Cancel
    cancels the run's futures on the cluster (the core polls ``cancel`` while it waits). The
    workers keep the fixes, so the map gets no tracks (``on_cluster``)."""
    from desktop.core.fixes import empty_fixes
    from desktop.core.scaleout.archive import screen_archive_on_dask
    from desktop.core.scaleout.engine import dask_client

    progress(0.0, f"connecting to the Dask scheduler {request.scheduler}")
    if cancel():
        raise Cancelled("load cancelled")

    def on_cluster(done: int, total: int, stage: str) -> None:
        progress(done / total if total else 0.0, f"{stage}: {done}/{total} tasks on the cluster")

    with dask_client(request.scheduler) as client:
        result = screen_archive_on_dask(
            client, request.archive, zones, params, as_of, vessels=request.vessels,
            watchlist=watchlist, first_day=request.first_day, last_day=request.last_day,
            progress=on_cluster, cancel=cancel,
        )
    return Loaded(result, TrackData(empty_fixes()), [request.archive], result.ingest, request)


def on_cluster(loaded: Loaded | None) -> bool:
    """Whether ``loaded`` was screened on a Dask cluster: its fixes stayed there, so a new
    as-of date, parameters, zones or watch list screen the archive again on the cluster."""
    request = None if loaded is None else loaded.archive
    return bool(getattr(request, "scheduler", None))


def rescreen(
    ingested: Any,
    zones: Any,
    params: ScreeningParams,
    as_of: datetime | None,
    progress: ProgressFn,
    cancel: CancelFn,
    *,
    watchlist: Any = None,
) -> Any:
    """``screen()`` on data already read; the result comes back without its ``ingest``
    (the caller holds it: a child process need not send a million fixes back)."""
    result = _core("desktop.core.screening").screen(
        ingested, zones, params, as_of, progress=progress, cancel=cancel, watchlist=watchlist
    )
    result.ingest = None
    return result


def reapply(
    result: Any,
    as_of: datetime | None,
    progress: ProgressFn,
    cancel: CancelFn,
    *,
    watchlist: Any = None,
) -> Any:
    """``ScreeningResult.reapply`` (no re-ingest) with the session's watch list; returned
    without its ``ingest``."""
    progress(0.0, "applying the rule")
    if getattr(result, "watchlist", None) is not watchlist:
        # reapply screens with the result's own list: give it the one the session holds now
        result = dataclasses.replace(result, watchlist=watchlist)
    new = result.reapply(as_of)
    new.ingest = None
    return new


def zones_and_rescreen(
    names: list[str],
    ingested: Any,
    params: ScreeningParams,
    as_of: datetime | None,
    progress: ProgressFn,
    cancel: CancelFn,
    *,
    watchlist: Any = None,
) -> tuple[Any, Any]:
    """Load the zone files (all or none) and, when tracks are loaded, screen them again."""
    zones = _core("desktop.core.zones").load_zones(names)
    if ingested is None:
        return zones, None
    return zones, rescreen(
        ingested, zones, params, as_of, progress, cancel, watchlist=watchlist
    )


def watchlist_and_rescreen(
    names: list[str],
    ingested: Any,
    zones: Any,
    params: ScreeningParams,
    as_of: datetime | None,
    progress: ProgressFn,
    cancel: CancelFn,
) -> tuple[Any, Any]:
    """Read the watch-list files (``InputError`` naming a bad one) and, when tracks are
    loaded, screen them again with it (no re-ingest)."""
    progress(0.0, "reading the watch list")
    watchlist = _core("desktop.core.watchlist").load_watchlist(names)
    if cancel():
        raise Cancelled("watch list cancelled")
    if ingested is None:
        return watchlist, None
    return watchlist, rescreen(
        ingested, zones, params, as_of, progress, cancel, watchlist=watchlist
    )


class Session(QObject):
    """Holds the current result and runs the core in a background thread, one job at a time."""

    loaded = Signal(object)  # Loaded: new tracks (the map refits)
    rescreened = Signal(object)  # Loaded: same tracks, new events and verdicts
    zones_changed = Signal(object)  # ZoneSet
    watchlist_changed = Signal(object)  # desktop.core.watchlist.Watchlist, or None: cleared
    busy_changed = Signal(bool, str)  # busy, label
    progress = Signal(float, str)
    problem = Signal(object)  # Problem
    idle = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.current: Loaded | None = None
        self.track_paths: list[str] = []
        self.zone_paths: list[str] = []
        self.zones: Any = None  # ZoneSet, None = the bundled defaults
        self.params = ScreeningParams()
        self.as_of: datetime | None = None  # None = now (UTC), as the CLI
        self.watchlist: Any = None  # desktop.core.watchlist.Watchlist, None = no list checked
        self.watchlist_paths: list[str] = []
        self._task: Task | None = None
        self._orphans: set[Task] = set()  # cancelled tasks still running: kept alive until done
        self._task_purpose: tuple[Any, ...] = ("idle",)

    @property
    def busy(self) -> bool:
        return self._task is not None

    # ---- what the user can ask for ------------------------------------------------------

    def open_tracks(self, paths: Sequence[str | Path]) -> None:
        """Read and screen these files (replacing the current ones once they have loaded)."""
        names = [str(p) for p in paths]
        zones, params, as_of, watchlist = self.zones, self.params, self.as_of, self.watchlist

        work = partial(load_tracks, names, zones, params, as_of, watchlist=watchlist)
        self._submit(
            work,
            f"Loading {_short(names)}",
            ("tracks", names, self._screening_inputs()),
            in_child=input_bytes(names) >= BIG_INPUT_BYTES,
        )

    def open_archive(self, request: Any) -> None:
        """Read days (and vessels) of an archive (an ``ArchiveRequest``) and screen them, in
        place of the current data once loaded; progress and Cancel as for files."""
        zones, params, as_of, watchlist = self.zones, self.params, self.as_of, self.watchlist
        work = partial(load_archive, request, zones, params, as_of, watchlist=watchlist)
        self._submit(
            work,
            f"Loading archive {_short([request.archive])} {request.first_day}..{request.last_day}",
            ("tracks", [request.archive], self._screening_inputs()),
        )

    def _reread(self, base: Loaded) -> None:
        """Read the current data again (the implausible-jump filter runs while reading)."""
        if base.archive is not None:
            self.open_archive(base.archive)
        else:
            self.open_tracks(base.paths)

    def open_zones(self, paths: Sequence[str | Path]) -> None:
        """Add zone files to the defaults and screen the loaded tracks again."""
        names = self.zone_paths + [str(p) for p in paths]
        base = self.current
        # on a cluster: the zones only, then the archive again there (``_on_done``)
        ingested = None if base is None or on_cluster(base) else base.result.ingest
        work = partial(
            zones_and_rescreen, names, ingested, self.params, self.as_of, watchlist=self.watchlist
        )
        self._submit(
            work, f"Loading zones {_short(names)}", ("zones", names, base), **self._how(base)
        )

    def open_watchlist(self, paths: Sequence[str | Path]) -> None:
        """Read a watch list (OFAC SDN ``sdn.csv``, its ``alt.csv``, or their folder) in place
        of the current one and screen the loaded tracks again with it. A file that cannot be
        used is reported and the previous list (and the data) stay."""
        names = [str(p) for p in paths]
        base = self.current
        ingested = None if base is None or on_cluster(base) else base.result.ingest
        work = partial(
            watchlist_and_rescreen, names, ingested, self.zones, self.params, self.as_of
        )
        self._submit(
            work,
            f"Loading watch list {_short(names)}",
            ("watchlist", names, (base, self._screening_inputs())),
            **self._how(base),
        )

    def clear_watchlist(self) -> None:
        """Check no watch list from now on, and screen the loaded tracks again without it."""
        if self._task is not None and self._task_purpose[0] == "watchlist":
            self.cancel()  # a list still being read would come back after the clear
        self.watchlist, self.watchlist_paths = None, []
        self.watchlist_changed.emit(None)
        self._rescreen_current("Screening without the watch list")

    def set_as_of(self, as_of: datetime | None) -> None:
        """Apply the rule as of another instant (None = now), without reading the files again."""
        if as_of is not None and as_of.tzinfo is None:
            raise ValueError("as_of must be UTC-aware")
        self.as_of = as_of
        base = self.current
        if base is None or self._loading():
            return  # a load running now applies it when it ends
        if on_cluster(base):
            self._reread(base)  # the fixes are on the cluster: screen there again
            return
        work = partial(reapply, base.result, as_of, watchlist=self.watchlist)
        self._submit(work, "Applying the rule", ("rescreen", None, base), **self._how(base))

    def set_params(self, params: ScreeningParams) -> None:
        """Run detection again with new parameters (re-reading only if ingest depends on them)."""
        old, self.params = self.params, params
        base = self.current
        if base is None or self._loading():
            return  # a load running now applies them when it ends
        if params.max_speed_kn != old.max_speed_kn:
            # The implausible-jump filter runs inside ingest: only a new read applies it.
            self._reread(base)
            return
        self._rescreen_current("Screening with new parameters")

    def _rescreen_current(self, label: str) -> None:
        """Screen the loaded data again with the session's zones, parameters, as-of date and
        watch list; a load running now applies them when it ends."""
        base = self.current
        if base is None or self._loading():
            return
        if on_cluster(base):
            self._reread(base)  # the fixes are on the cluster: screen there again
            return
        work = partial(
            rescreen,
            base.result.ingest,
            self.zones,
            self.params,
            self.as_of,
            watchlist=self.watchlist,
        )
        self._submit(work, label, ("rescreen", None, base), **self._how(base))

    def _screening_inputs(self) -> tuple[Any, ...]:
        """What a load screens with; a load whose inputs changed meanwhile is screened again."""
        return (self.as_of, self.params, self.watchlist)

    def _inputs_changed(self, then: tuple[Any, ...]) -> bool:
        as_of, params, watchlist = then
        # the list by identity: comparing two lists' entries field by field is needless work
        return (as_of, params) != (self.as_of, self.params) or watchlist is not self.watchlist

    def _loading(self) -> bool:
        """A load of tracks or of a watch list is running: a new as-of date or new parameters
        wait for it (and are applied when it ends) rather than cancel it."""
        return self._task is not None and self._task_purpose[0] in ("tracks", "watchlist")

    @staticmethod
    def _how(base: Loaded | None) -> dict[str, Any]:
        """Re-screen a big data set in a child process: the core would stall the window."""
        big = base is not None and base.tracks.fix_count >= BIG_FIX_COUNT
        return {"in_child": big}

    def cancel(self) -> None:
        """Stop the running job at once; the data on screen stays as it was.

        The core polls ``cancel()`` between steps, so the thread may run on briefly: it is
        detached here and whatever it returns is dropped.
        """
        task = self._task
        if task is None:
            return
        self._detach(task)
        self.busy_changed.emit(False, "")
        self.idle.emit()

    # ---- running jobs -------------------------------------------------------------------

    def _detach(self, task: Task) -> None:
        task.cancel()
        self._orphans.add(task)
        self._task = None

    def _submit(self, work: Work, label: str, purpose: Any, **how: Any) -> None:
        if self._task is not None:
            # The newest request wins: an older as-of or load still running is superseded.
            self._detach(self._task)
        task = Task(work, label, **how)
        self._task_purpose = purpose
        task.signals.progress.connect(
            lambda f, m, t=task: self.progress.emit(f, m) if t is self._task else None
        )
        task.signals.done.connect(lambda value, t=task, p=purpose: self._on_done(t, p, value))
        task.signals.failed.connect(
            lambda exc, tb, t=task, p=purpose: self._on_failed(t, p, exc, tb)
        )
        task.signals.cancelled.connect(lambda t=task: self._on_finished(t))
        self._task = task
        self.busy_changed.emit(True, label)
        task.start()

    def _on_finished(self, task: Task) -> None:
        self._orphans.discard(task)
        if task is not self._task:
            return
        self._task = None
        self.busy_changed.emit(False, "")
        self.idle.emit()

    def _on_done(self, task: Task, purpose: Any, value: Any) -> None:
        kind, names, extra = purpose
        follow_up = False
        then: tuple[Any, ...] = ()
        if task is self._task and not task.is_cancelled:
            if kind == "tracks":
                self._accept_tracks(value, names)
                # The as-of date or the parameters changed while the files were read.
                follow_up, then = self.current is value and self._inputs_changed(extra), extra
            elif kind == "zones":
                zones, result = value
                self.zones, self.zone_paths = zones, names
                self.zones_changed.emit(zones)
                if result is not None:
                    self.current = _attach(result, extra)
                    self.rescreened.emit(self.current)
                follow_up, then = on_cluster(self.current), self._screening_inputs()
            elif kind == "watchlist":
                base, then = extra
                watchlist, result = value
                self.watchlist, self.watchlist_paths = watchlist, names
                self.watchlist_changed.emit(watchlist)
                if result is not None:
                    self.current = _attach(result, base)
                    self.rescreened.emit(self.current)
                    # The as-of date or the parameters changed while the list was read.
                    follow_up = then[:2] != (self.as_of, self.params)
                follow_up = follow_up or on_cluster(self.current)
            else:
                self.current = _attach(value, extra)
                self.rescreened.emit(self.current)
        self._on_finished(task)
        if follow_up and self.current is not None:
            if then[1].max_speed_kn != self.params.max_speed_kn:
                # read with the old implausible-jump filter, which only a new read changes
                self._reread(self.current)
            else:
                self._rescreen_current("Applying the rule")

    def _accept_tracks(self, loaded: Loaded, names: list[str]) -> None:
        reports = list(getattr(loaded.ingest, "reports", []) or [])
        bad = unreadable_files(reports)
        # a cluster keeps the fixes: its result comes without tracks
        if loaded.tracks.fix_count == 0 and not (on_cluster(loaded) and loaded.result):
            kept = "\n\nThe data already loaded stays." if self.current else ""
            self.problem.emit(
                Problem("No tracks loaded", "\n".join(bad or ["Nothing could be read."]) + kept)
            )
            return
        self.current = loaded
        self.track_paths = names
        self.loaded.emit(loaded)
        if bad:
            self.problem.emit(Problem("Some files could not be read", "\n".join(bad), ""))

    def _on_failed(self, task: Task, purpose: Any, exc: BaseException, tb: str) -> None:
        kind, names, _ = purpose
        if task is self._task and not task.is_cancelled:
            what = {"tracks": "tracks", "zones": "zones", "watchlist": "the watch list"}.get(
                kind, "screening"
            )
            kept = " The data already loaded stays." if self.current else ""
            if isinstance(exc, ExposureError):
                self.problem.emit(Problem(f"Could not load {what}", f"{exc}{kept}", ""))
            else:
                self.problem.emit(
                    Problem(
                        f"Could not load {what}",
                        f"{_short(names or [])}: {type(exc).__name__}: {exc}.{kept}",
                        tb,
                    )
                )
        self._on_finished(task)


def _attach(result: Any, base: Loaded) -> Loaded:
    """A re-screening result (sent back without its fixes) joined to the data it screened."""
    result.ingest = base.ingest
    return Loaded(result, base.tracks, base.paths, base.ingest, base.archive)


def _short(names: Sequence[str]) -> str:
    if not names:
        return ""
    first = Path(names[0]).name or names[0]
    return first if len(names) == 1 else f"{first} and {len(names) - 1} more"

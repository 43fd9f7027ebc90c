"""The screening of an archive on a Dask cluster (DESIGN.md §8, "Scale-out").

``screen_on_dask`` builds the task graph of ``desktop.core.scaleout.tasks`` on a
``distributed.Client``, waits for it while reporting tasks done / total, gathers the events
(never the fixes) and judges them with ``desktop.core.screening.judge_events``, the code the
single-process ``screen`` uses after its detectors: the JSON is byte-identical.

Stages (each a set of tasks; the workers read the archive themselves):

1. one task per UTC day with fixes: slow grid points filed by spatial cell (``day_points``),
   and the fixes per MMSI of that day;
2. one task per (day, cell) holding a core point: candidate STS pairs (``cell_candidates``),
   run where the day's points are (Dask's data locality);
3. one task per MMSI partition (ranges of about equal fixes, from the per-day counts):
   port visits, waters, gaps, loitering candidates, KP flag (``vessel_partition``);
4. one task per batch of candidate pairs: the exact STS detector (``sts_batch``); the loitering
   candidates that overlap an encounter are then dropped here (``drop_sts_candidates``);
5. one task over the static records: identity changes, watch-list hits, the vessels table;
6. gap evidence: the gaps gathered from stage 3 go to one task per UTC day their silences
   overlap, which count the other vessels heard near their ends (``gap_neighbour_day``); the
   triples are reduced once (``count_neighbours``) and added to the gaps before the rule.

Failures: a task that raises fails the run with its reason (an ``ExposureError`` from a worker,
such as an unreadable archive file, keeps its message); a worker that dies has its tasks
rerun elsewhere by the scheduler (``distributed.scheduler.allowed-failures`` times, then
``KilledWorker`` fails the run); a cluster left without workers for ``no_worker_timeout_s``
fails the run. A failed or cancelled run raises: no partial verdicts ever come back.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from desktop.core.detect import gap_evidence
from desktop.core.errors import Cancelled, ComputeError, ExposureError
from desktop.core.fixes import empty_fixes
from desktop.core.ingest.result import IngestResult
from desktop.core.params import DEFAULT_PARAMS, ScreeningParams
from desktop.core.scaleout import tasks
from desktop.core.scaleout.layout import ArchiveSlice
from desktop.core.watchlist import Watchlist
from desktop.core.zones import ZoneSet

if TYPE_CHECKING:
    from distributed import Client, Future

    from desktop.core.screening import KnownPorts, ScreeningResult

#: ``progress(done, total, stage)``: tasks finished and submitted so far, and the stage running.
TaskProgress = Callable[[int, int, str], None]


@dataclass
class ClusterIngest(IngestResult):
    """What the client holds of the data of a run on a cluster: never the fixes (``fixes``
    and ``flagged`` are empty), but ``heard``, the mmsi and time of each vessel's last fix
    read and of its last fix at or before ``as_of``, and as ``statics`` the first record of
    each distinct (mmsi, imo, name) of the static records: all that matching an arrivals
    list (``desktop.core.arrivals``) needs of the data. ``vessels`` is the vessels table of
    the static records."""

    heard: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class EngineOptions:
    """How the work is cut. ``cell_deg``: side of the STS cells, degrees. ``days_per_task``
    and ``block_bytes``: how many days one STS candidate task reads (``day_blocks``).
    ``partition_fixes``:
    about how many fixes one MMSI partition or STS batch reads (its worker's memory: about
    100 bytes per fix while detecting). ``partitions_per_worker``: at least this many MMSI
    partitions per worker, for balance. ``no_worker_timeout_s``: how long a cluster may be
    without any worker before the run fails."""

    cell_deg: float = 5.0
    days_per_task: int | None = None
    block_bytes: int = 64 * 2**20
    partition_fixes: int = 2_000_000
    partitions_per_worker: int = 2
    no_worker_timeout_s: float = 120.0
    poll_s: float = 0.5


#: Worker memory per fix while an MMSI partition is detected (read, detector temporaries),
#: measured on the benchmark archives: about 110 bytes a fix above a fixed cost.
PARTITION_BYTES_PER_FIX = 110
#: Worker memory per byte of Parquet a day task reads (its days, the halo's neighbouring
#: days, sorting, resampling, the grid points it keeps): measured about 6, with margin.
DAY_BYTES_PER_PARQUET_BYTE = 8
#: What a worker loads once and keeps (zone rasters, known ports, sea-distance rasters):
#: measured about 100 MB above an idle worker.
WORKER_CACHE_BYTES = 100 * 2**20
#: The share of a worker's memory limit its tasks are sized for: below Dask's default
#: spill threshold (0.7), so that results held for later stages are spilled rather than the
#: worker paused (0.8) or killed (0.95) while a task runs.
TASK_SHARE_OF_LIMIT = 0.5
MIN_PARTITION_FIXES = 100_000
MIN_BLOCK_BYTES = 2**20


def fit_to_memory(options: EngineOptions, workers: Mapping[str, Any]) -> EngineOptions:
    """``options`` with ``partition_fixes`` and ``block_bytes`` lowered so that one task fits
    the smallest worker's memory limit (``scheduler_info()["workers"]``: ``memory_limit``
    bytes, 0 or missing for none; ``metrics.memory``, what the process holds now). Without
    this, a cluster of small workers has them killed by their nannies on the first large
    day run (measured: 300 MiB workers and 64 MB day runs on a 10 M-fix archive) and the run
    fails with ``KilledWorker``; with it, they run more, smaller tasks. Sizes are never
    raised above ``options``, nor lowered below ``MIN_PARTITION_FIXES`` / ``MIN_BLOCK_BYTES``
    (a worker too small for those still fails, with Dask's reason)."""
    limits = [int(w.get("memory_limit") or 0) for w in workers.values()]
    limits = [x for x in limits if x > 0]
    if not limits:
        return options
    used = max(int((w.get("metrics") or {}).get("memory") or 0) for w in workers.values())
    room = min(limits) * TASK_SHARE_OF_LIMIT - used - WORKER_CACHE_BYTES
    partition = max(MIN_PARTITION_FIXES, int(room // PARTITION_BYTES_PER_FIX))
    block = max(MIN_BLOCK_BYTES, int(room // DAY_BYTES_PER_PARQUET_BYTE))
    return replace(
        options,
        partition_fixes=min(options.partition_fixes, partition),
        block_bytes=min(options.block_bytes, block),
    )


@contextmanager
def dask_client(
    scheduler: str | None = None,
    workers: int | None = None,
    *,
    memory_limit: str | int | None = None,
    timeout_s: float = 15.0,
) -> Iterator[Client]:
    """A client of the cluster at ``scheduler`` (``tcp://host:8786``), or of a ``LocalCluster``
    of ``workers`` processes (default 2) with one thread each, closed on exit. A scheduler
    that does not answer within ``timeout_s`` is a ``ComputeError``."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=timeout_s, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ComputeError(
                f"the Dask scheduler {scheduler} does not answer ({reason})"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    # the cluster's own chatter (ports, worker start-up) is not the user's business
    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = LocalCluster(
        n_workers=workers or 2,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory_limit if memory_limit is not None else "auto",
        # ":0": any free port (None would still take the default 8787, often in use)
        dashboard_address=":0",
    )
    try:
        client = Client(cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def dashboard_link(client: Client) -> str | None:
    """The scheduler's dashboard address, or None when it has none. A cluster started here
    without bokeh has a dashboard address whose page only says that bokeh is missing: None."""
    import importlib.util

    if getattr(client, "cluster", None) is not None and importlib.util.find_spec("bokeh") is None:
        return None
    try:
        services = client.scheduler_info().get("services", {})
    except (OSError, TimeoutError):
        return None
    return client.dashboard_link if "dashboard" in services else None


def day_blocks(
    archive: ArchiveSlice,
    params: ScreeningParams,
    days_per_task: int | None = None,
    block_bytes: int = 64 * 2**20,
    n_workers: int = 1,
) -> list[tuple[date, date]]:
    """Runs of consecutive days with fixes, one task each (first, last): ``days_per_task``
    days, or (None) days up to about ``block_bytes`` of Parquet but at least two runs per
    worker, so that small days do not each pay a task's overhead. A day without fixes has no
    grid point while the interpolation limit is under a day (both fixes around a grid instant
    lie within that limit of it), so it starts no run."""
    days = archive.days()
    if params.sts_max_interp_gap_h < 24:
        days = [d for d in days if d in archive.fixes]
    if days_per_task is None:
        sizes = [max(int(archive.fixes_bytes.get(d, 0)), 1) for d in days]
        target = max(1, min(block_bytes, sum(sizes) // max(2 * n_workers, 1)))
    blocks: list[tuple[date, date]] = []
    load = 0
    for k, d in enumerate(days):
        if days_per_task is not None:
            join = bool(blocks) and (d - blocks[-1][0]).days < max(days_per_task, 1)
        else:
            join = bool(blocks) and load + sizes[k] <= target
        if join:
            blocks[-1] = (blocks[-1][0], d)
            load += 0 if days_per_task is not None else sizes[k]
        else:
            blocks.append((d, d))
            load = 0 if days_per_task is not None else sizes[k]
    return blocks


class _Tracker:
    """Every future of the run: waits for some, reports progress, turns failures into
    errors, and cancels them all at the end."""

    def __init__(
        self,
        client: Client,
        options: EngineOptions,
        progress: TaskProgress | None,
        cancel: Callable[[], bool] | None,
    ) -> None:
        self.client = client
        self.options = options
        self.progress = progress
        self.cancel = cancel
        self.futures: list[Future] = []
        self.forgotten = 0  # finished futures let go of (their results may then be freed)
        self.token = uuid.uuid4().hex[:8]
        self.stage = ""

    def add(self, futures: Sequence[Future]) -> list[Future]:
        self.futures.extend(futures)
        return list(futures)

    def submit(self, fn: Callable[..., Any], *args: Any, key: str) -> Future:
        # Keys name the stage for the dashboard, plus this run's token: a key reused by the
        # next run on the same cluster would meet the previous run's cancellation.
        future = self.client.submit(fn, *args, key=f"{key}-{self.token}", pure=False)
        self.futures.append(future)
        return future

    def forget(self, futures: Sequence[Future]) -> None:
        """Let go of finished futures: the scheduler keeps their results only while a pending
        task needs them, so a worker does not hold every day's grid points to the end."""
        gone = {f.key for f in futures if f.done()}
        kept = [f for f in self.futures if f.key not in gone]
        self.forgotten += len(self.futures) - len(kept)
        self.futures = kept

    def _report(self) -> None:
        if self.progress is not None:
            done = self.forgotten + sum(f.done() for f in self.futures)
            self.progress(done, self.forgotten + len(self.futures), self.stage)

    def _check(self) -> None:
        if self.cancel is not None and self.cancel():
            raise Cancelled("screening cancelled")
        for f in self.futures:
            # "lost" is not a failure: the scheduler computes a lost result again
            if f.status in ("error", "cancelled"):
                raise _failure(f)

    def wait(self, futures: Sequence[Future], stage: str) -> None:
        from distributed import wait

        self.stage = stage
        idle_since: float | None = None
        while True:
            self._check()
            self._report()
            try:
                with self.client.as_current():
                    wait(list(futures), timeout=self.options.poll_s)
            except TimeoutError:
                pass
            else:
                self._check()
                self._report()
                return
            workers = self.client.scheduler_info().get("workers", {})
            if workers:
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > self.options.no_worker_timeout_s:
                raise ComputeError(
                    f"the Dask cluster has had no worker for {self.options.no_worker_timeout_s:g}"
                    f" s during {stage}: the run cannot finish"
                )

    def gather(self, futures: Sequence[Future], stage: str) -> list[Any]:
        self.wait(futures, stage)
        try:
            return list(self.client.gather(list(futures)))
        except ExposureError:
            raise
        except Exception as exc:  # noqa: BLE001  (whatever a worker raised is the reason)
            raise ComputeError(f"the Dask run failed during {stage}: {_reason(exc)}") from exc

    def release(self) -> None:
        if self.futures:
            self.client.cancel(self.futures)
        self.futures = []


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _failure(future: Future) -> ExposureError:
    if future.status == "cancelled":
        return ComputeError(f"the Dask task {future.key} was cancelled: the run cannot finish")
    try:
        exc = future.exception(timeout=30)
    except Exception as other:  # noqa: BLE001
        exc = other
    if isinstance(exc, ExposureError):
        return exc
    return ComputeError(f"the Dask task {future.key} failed: {_reason(exc)}")


def screen_on_dask(
    client: Client,
    archive: ArchiveSlice,
    zones: ZoneSet | None = None,
    params: ScreeningParams = DEFAULT_PARAMS,
    as_of: datetime | date | None = None,
    *,
    watchlist: Watchlist | None = None,
    known_ports: KnownPorts | None = None,
    progress: TaskProgress | None = None,
    cancel: Callable[[], bool] | None = None,
    options: EngineOptions = EngineOptions(),  # noqa: B008  (frozen)
) -> ScreeningResult:
    """Screen the fixes of ``archive`` on the cluster of ``client``; the same result as
    ``screen`` on the same fixes (see the module docstring). ``known_ports`` None means the
    bundled points, which each worker loads itself.

    The result holds no fixes (``result.ingest.fixes`` is empty; the workers had them), so its
    ``reapply`` cannot re-screen: screen again instead.
    """
    from desktop.core.coverage import moment_of_ns
    from desktop.core.detect.geo import to_ns
    from desktop.core.detect.loitering import drop_sts_candidates
    from desktop.core.screening import (
        ScreeningResult,
        judge_events,
        normalise_as_of,
        sort_events,
    )

    moment = normalise_as_of(as_of)
    as_of_ns = to_ns(moment)
    if zones is None:
        from desktop.core.zones import default_zones  # type: ignore[attr-defined]

        zones = default_zones()
    run = _Tracker(client, options, progress, cancel)
    try:
        # a task, not scattered data: the scheduler can compute it again when its worker dies
        zones_f = run.submit(tasks.identity, zones, key="zones")
        workers = client.scheduler_info().get("workers", {})
        n_workers = max(1, len(workers))
        options = fit_to_memory(options, workers)
        days = day_blocks(
            archive, params, options.days_per_task, options.block_bytes, n_workers
        )
        day_fs = [
            run.submit(tasks.day_points, archive, a, b, as_of_ns, params, options.cell_deg,
                       key=f"day-points-{a.isoformat()}-{b.isoformat()}")
            for a, b in days
        ]
        counts_f = run.submit(
            tasks.merge_counts,
            [run.submit(tasks.day_counts, f, key=f"day-counts-{d[0]}") for d, f in zip(
                days, day_fs, strict=True)],
            key="mmsi-counts",
        )
        key_fs = [run.submit(tasks.cell_keys, f, key=f"day-cells-{d[0]}")
                  for d, f in zip(days, day_fs, strict=True)]
        cells = run.gather(key_fs, "reading days")
        cand_fs = [
            run.submit(tasks.cell_candidates, f, cell, params.sts_max_distance_m,
                       key=f"sts-cell-{d[0]}-{cell[0]}-{cell[1]}")
            for d, f, day_cells in zip(days, day_fs, cells, strict=True)
            for cell in day_cells
        ]
        pairs_f = run.submit(tasks.merge_pairs, cand_fs, key="sts-candidates")
        run.forget(day_fs + key_fs)
        del day_fs, key_fs
        [(mmsi, counts)] = run.gather([counts_f], "counting fixes")
        n_parts = max(
            int(np.ceil(counts.sum() / max(options.partition_fixes, 1))),
            n_workers * options.partitions_per_worker,
        )
        part_fs = [
            run.submit(tasks.vessel_partition, archive, lo, hi, as_of_ns, zones_f, params,
                       known_ports, key=f"vessels-{lo}-{hi}")
            for lo, hi in tasks.mmsi_ranges(mmsi, counts, n_parts)
        ]
        statics_f = run.submit(
            tasks.statics_task, archive, as_of_ns, part_fs, watchlist, key="statics"
        )
        per_detector_f = run.submit(tasks.partition_events, part_fs, key="vessel-events")
        [pairs] = run.gather([pairs_f], "STS candidates by day and cell")
        run.forget(cand_fs + [pairs_f])
        del cand_fs, pairs_f
        batch_fs = [
            run.submit(tasks.sts_batch, archive, batch, as_of_ns, zones_f, params, known_ports,
                       key=f"sts-batch-{k}")
            for k, batch in enumerate(tasks.pair_batches(pairs, mmsi, counts,
                                                         options.partition_fixes))
        ]
        sts_f = run.submit(tasks.concat_events, batch_fs, key="sts-events")
        [gaps] = run.gather([run.submit(tasks.partition_gaps, part_fs, key="gaps")], "AIS gaps")
        ends = gap_evidence.gap_ends(gaps)
        hit_fs = [
            run.submit(tasks.gap_neighbour_day, archive, day, ends.subset(index), index,
                       key=f"gap-neighbours-{day.isoformat()}")
            for day, index in tasks.gap_days(ends, archive).items()
        ]
        counts_f = run.submit(gap_evidence.count_neighbours, hit_fs, len(gaps),
                              key="gap-neighbours")
        (per_detector, coverage, data_end_ns, heard), sts, statics, neighbour_counts = run.gather(
            [per_detector_f, sts_f, statics_f, counts_f], "detectors"
        )
    finally:
        run.release()

    gaps = gap_evidence.attach_neighbours(gaps, neighbour_counts)
    # in run_detectors' order, so that a stable sort leaves ties as the local path does
    loitering = drop_sts_candidates(per_detector["loitering"], sts)
    events = (
        per_detector["visits"] + per_detector["waters"] + sts + gaps
        + loitering + statics.identity + per_detector["flag"]
    )
    sort_events(events)
    if watchlist is not None:
        events += statics.watchlist
        sort_events(events)
    vessels = statics.vessels if len(statics.vessels) else None
    verdicts = judge_events(
        events, moment, params, np.asarray(mmsi, dtype="uint32"), vessels, coverage
    )
    ingest = ClusterIngest(
        fixes=empty_fixes(),
        statics=statics.identities,
        vessels=vessels if vessels is not None else pd.DataFrame({"mmsi": []}),
        flagged=empty_fixes(),
        reports=list(archive.reports),
        heard=heard,
    )
    return ScreeningResult(
        moment, params, ingest, zones, events, verdicts, known_ports, watchlist,
        None if data_end_ns is None else moment_of_ns(data_end_ns),
    )

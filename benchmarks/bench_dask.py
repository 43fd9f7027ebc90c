"""Scale-out benchmark (issue 9): the Dask engine on generated fixes, against one process.

    .venv/bin/python benchmarks/bench_dask.py                 # 1 M and 10 M fixes
    .venv/bin/python benchmarks/bench_dask.py --sizes 1000000 # one size
    .venv/bin/python benchmarks/bench_dask.py --big           # adds 50 M fixes

For each size: the fixes of ``benchmarks/synth_fixes.py`` (240 days of Yellow Sea traffic) are
written as an archive in the layout of DESIGN.md §8 (one Parquet file per UTC day, sorted by
mmsi, time, row groups of 64 k rows). Then, each timed from the archive on disk:

- ``local``: read every day (the detector columns) into one table and ``screen`` it;
- ``dask 1 worker`` and ``dask 2 workers``: ``screen_on_dask`` on a LocalCluster of worker
  processes with one thread each (cluster start-up not included);
- ``dask 2 workers, memory limit``: each worker's memory limit at 0.9 x the fixes table's
  size in memory (when that leaves room above an idle worker's 200 MB); it must finish without
  a worker being killed (the worker set is compared before and after), with partitions and
  batches of 250 k fixes and day runs of 8 MB of Parquet.

Every Dask JSON is checked byte for byte against the local one. Reported: wall time, the peak
resident memory of each worker process (``ru_maxrss`` read on the worker), and where the time
goes (task compute time summed by stage from Dask's task stream: day reads + resampling,
STS candidates by (day, cell), per-vessel partitions including their reads, exact STS batches
including their reads, static records; the rule on the client timed on its own). Results are
printed as JSON lines; RESULTS.md has the write-up.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

# An idle worker (numpy, pandas, pyarrow, shapely, geopandas, distributed imported) holds about
# 200 MB; a limit must leave room for work above that.
MIN_LIMIT = 320 * 2**20
STAGES = {
    "day-points": "read days + STS resampling",
    "sts-cell": "STS candidates by (day, cell)",
    "vessels": "per-vessel detectors (incl. read)",
    "sts-batch": "exact STS on candidates (incl. read)",
    "statics": "static records",
}


def write_layout(root: Path, fixes: pd.DataFrame) -> int:
    """The fixes as ``fixes/day=YYYY-MM-DD/part-0.parquet``; returns the bytes written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    day = fixes["time"].dt.strftime("%Y-%m-%d").to_numpy()
    order = pd.Series(day).argsort(kind="stable").to_numpy()
    day_sorted = day[order]
    starts = [0] + [i for i in range(1, len(order)) if day_sorted[i] != day_sorted[i - 1]]
    total = 0
    for a, b in zip(starts, [*starts[1:], len(order)], strict=True):
        part = fixes.iloc[order[a:b]].sort_values(["mmsi", "time"], kind="stable")
        folder = root / "fixes" / f"day={day_sorted[a]}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "part-0.parquet"
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), path,
                       row_group_size=64 * 1024)
        total += path.stat().st_size
    return total


def _peak_rss_mb() -> float:
    """This process's peak resident size (VmHWM: unlike ``ru_maxrss``, not inherited from
    the process that spawned it)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    return time.process_time()


def run_dask(root: Path, as_of: datetime, zones: Any, workers: int, local_json: str,
             memory_limit: int | None = None, partition_fixes: int = 2_000_000,
             block_bytes: int = 64 * 2**20) -> dict:
    from distributed import get_task_stream

    from desktop.core.output import to_json_text
    from desktop.core.scaleout.engine import EngineOptions, dask_client, screen_on_dask
    from desktop.core.scaleout.layout import slice_from_layout
    from desktop.core.screening import judge_events

    first, last = (as_of - pd.Timedelta(days=361)).date(), as_of.date()
    archive = slice_from_layout(str(root), first, last)
    import dask

    options = EngineOptions(partition_fixes=partition_fixes, block_bytes=block_bytes)
    # with a limit: spill early, pause late (a paused worker runs nothing), never terminate
    # before the OS would; the defaults (0.6 / 0.7 / 0.8 / 0.95) assume a roomy limit
    memory = {"distributed.worker.memory.target": 0.5, "distributed.worker.memory.spill": 0.6,
              "distributed.worker.memory.pause": 0.9, "distributed.worker.memory.terminate": 0.98}
    with dask.config.set(memory if memory_limit else {}), dask_client(
        workers=workers, memory_limit=memory_limit, timeout_s=120
    ) as client:
        client.wait_for_workers(workers, timeout=300)
        before = set(client.scheduler_info()["workers"])
        cpu_before = client.run(_cpu_s)
        start = time.perf_counter()
        with get_task_stream(client) as stream:
            result = screen_on_dask(client, archive, zones, as_of=as_of, options=options)
        wall = time.perf_counter() - start
        after = set(client.scheduler_info()["workers"])
        peaks = client.run(_peak_rss_mb)
        cpu_after = client.run(_cpu_s)
        cpu = sum(cpu_after[w] - cpu_before.get(w, 0.0) for w in cpu_after)
    t = time.perf_counter()
    mmsi = [v.mmsi for v in result.verdicts]
    judge_events(list(result.events), result.as_of, result.params,
                 pd.Series(mmsi, dtype="uint32").sort_values().to_numpy(), None, {})
    rule_s = time.perf_counter() - t
    stages: dict[str, float] = defaultdict(float)
    tasks: dict[str, int] = defaultdict(int)
    for item in stream.data:
        name = "-".join(str(item["key"]).split("-")[:2])
        name = name if name in STAGES else str(item["key"]).split("-")[0]
        for ss in item["startstops"]:
            if ss["action"] == "compute":
                stages[STAGES.get(name, "other")] += ss["stop"] - ss["start"]
        tasks[STAGES.get(name, "other")] += 1
    same = to_json_text(result) == local_json
    return {
        "workers": workers, "memory_limit_mb": None if memory_limit is None else memory_limit
        / 2**20, "wall_s": round(wall, 2), "workers_cpu_s": round(cpu, 2),
        "identical_json": same,
        "worker_peak_rss_mb": sorted(round(v, 0) for v in peaks.values()),
        "workers_replaced": len(before - after),
        "compute_s_by_stage": {k: round(v, 2) for k, v in sorted(stages.items())},
        "tasks_by_stage": dict(sorted(tasks.items())), "rule_s": round(rule_s, 3),
    }


def run_size(n: int, limit_only: bool = False) -> list[dict]:
    from synth_fixes import synth_fixes

    from desktop.core.fixes import bytes_per_fix
    from desktop.core.output import to_json_text
    from desktop.core.scaleout.layout import DETECTOR_COLUMNS, read_fixes
    from desktop.core.screening import ingest_result_of, screen

    t = time.perf_counter()
    fixes, zones = synth_fixes(n, seed=0)
    table_mb = bytes_per_fix(fixes) * len(fixes) / 2**20
    as_of = datetime(2026, 10, 28, tzinfo=UTC)
    gen_s = time.perf_counter() - t
    root = Path(tempfile.mkdtemp(prefix=f"bench_dask_{n}_"))
    try:
        t = time.perf_counter()
        size = write_layout(root, fixes)
        write_s = time.perf_counter() - t
        n_fixes, n_vessels = len(fixes), int(fixes["mmsi"].nunique())
        del fixes
        cpu0 = time.process_time()
        t = time.perf_counter()
        files = sorted(str(p) for p in (root / "fixes").glob("day=*/*.parquet"))
        loaded = read_fixes(files, {}, DETECTOR_COLUMNS)
        read_s = time.perf_counter() - t
        t = time.perf_counter()
        local = screen(ingest_result_of(loaded), zones, as_of=as_of)
        screen_s = time.perf_counter() - t
        local_cpu = time.process_time() - cpu0
        local_json = to_json_text(local)
        del loaded, local
        head = {
            "fixes": n_fixes, "vessels": n_vessels, "days": len(files),
            "archive_mb": round(size / 2**20, 1), "fixes_table_mb": round(table_mb, 1),
            "generate_s": round(gen_s, 1), "write_s": round(write_s, 1),
            "local_read_s": round(read_s, 2), "local_screen_s": round(screen_s, 2),
            "local_cpu_s": round(local_cpu, 2),
            "local_peak_rss_mb": round(_peak_rss_mb()),
        }
        print(json.dumps(head), flush=True)
        rows = [head]
        for workers in () if limit_only else (1, 2):
            rows.append(run_dask(root, as_of, zones, workers, local_json))
            print(json.dumps(rows[-1]), flush=True)
        limit = int(table_mb * 0.9 * 2**20)
        if limit < MIN_LIMIT:  # below what an idle worker process holds (imports): no test
            print(json.dumps({"memory_limit": f"skipped: 0.9 x table < {MIN_LIMIT >> 20} MB"}))
            return rows
        rows.append(run_dask(root, as_of, zones, 2, local_json, memory_limit=limit,
                             partition_fixes=250_000, block_bytes=8 * 2**20))
        print(json.dumps(rows[-1]), flush=True)
        return rows
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--big", action="store_true", help="add 50 M fixes")
    parser.add_argument("--limit-only", action="store_true",
                        help="only the local run and the memory-limited Dask run")
    args = parser.parse_args()
    sizes = list(args.sizes) + ([50_000_000] if args.big else [])
    for n in sizes:
        run_size(n, args.limit_only)


if __name__ == "__main__":
    main()

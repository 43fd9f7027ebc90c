"""Issues 8 and 9 on the archives of ``make_bench_archive.py``: ``exposure check --archive``
with the local engine (whole archive, and ``--vessels`` of 20) and with ``--engine dask``
(1 and 2 workers of a LocalCluster, and an external cluster whose workers' memory limit is
below the size of the archive's fixes in memory), each run the command line itself, timed.

    .venv/bin/python benchmarks/bench_scale.py run NAME -- check --archive A --engine dask ...
    .venv/bin/python benchmarks/bench_scale.py report results.jsonl

``run`` starts ``python -m desktop`` (through this file's ``child``, which is the CLI's ``main``
with timers around its stages) and polls its process tree every 0.5 s: the peak resident
memory of each process is its ``VmHWM`` (the kernel's own high-water mark, read at every
poll, so not missed between polls). It appends one JSON line to ``--out``: wall time, load
average before and after, the peaks of the main process and of each worker, and what the
child measured itself:

- local engine: the archive read (``load_for_screening``) and ``screen``;
- Dask engine: task compute time summed by stage from Dask's task stream (day reads + STS
  resampling; STS candidates by (day, cell); per-vessel partitions including their reads;
  exact STS batches including their reads; static records), tasks per stage, the rule
  (``judge_events`` on the client), each worker's ``VmHWM`` (read on the worker), the workers
  before and after (a worker killed and replaced shows up as a changed address), and the
  nanny and scheduler log lines that say a worker was restarted, killed or paused.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

STAGES = [  # key prefix -> stage (longest prefix first)
    ("day-points", "read days + STS resampling"),
    ("day-counts", "small: counts, cell keys, merges"),
    ("day-cells", "small: counts, cell keys, merges"),
    ("sts-cell", "STS candidates by (day, cell)"),
    ("sts-candidates", "small: counts, cell keys, merges"),
    ("sts-batch", "exact STS on candidates (incl. read)"),
    ("sts-events", "small: counts, cell keys, merges"),
    ("vessel-events", "small: counts, cell keys, merges"),
    ("vessels", "per-vessel detectors (incl. read)"),
    ("statics", "static records"),
    ("mmsi-counts", "small: counts, cell keys, merges"),
    ("zones", "small: counts, cell keys, merges"),
]
WORDS = ("restart", "kill", "terminat", "paus", "spill", "exceed", "memory")


def _vmhwm_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _stage(key: str) -> str:
    for prefix, name in STAGES:
        if key.startswith(prefix):
            return name
    return "other"


def child(stats_path: str, argv: list[str]) -> int:
    """The CLI's ``main`` with timers; what they measured goes to ``stats_path``."""
    sys.path.insert(0, str(HERE.parent))
    import desktop.core.archive.screen as archive_screen
    import desktop.core.scaleout.engine as engine
    import desktop.core.screening as screening
    from desktop.cli import main

    stats: dict[str, Any] = defaultdict(float)

    def timed(name: str, fn: Any) -> Any:
        def inner(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                stats[name + "_s"] += time.perf_counter() - began
        return inner

    read = timed("local_read", archive_screen.load_for_screening)

    def counted(*args: Any, **kwargs: Any) -> Any:
        data = read(*args, **kwargs)
        stats["fixes_read"] = len(data.fixes)
        stats["vessels_read"] = int(data.fixes["mmsi"].nunique())
        return data

    archive_screen.load_for_screening = counted
    archive_screen.screen = timed("local_screen", archive_screen.screen)
    screening.judge_events = timed("rule", screening.judge_events)
    original = engine.screen_on_dask

    def on_dask(client: Any, *args: Any, **kwargs: Any) -> Any:
        from distributed import get_task_stream

        before = set(client.scheduler_info()["workers"])
        stats["workers_before"] = sorted(before)
        began = time.perf_counter()
        with get_task_stream(client) as stream:
            result = original(client, *args, **kwargs)
        stats["dask_screen_s"] = time.perf_counter() - began
        after = set(client.scheduler_info()["workers"])
        stats["workers_replaced"] = len(before - after)
        stats["worker_peak_rss_mb"] = {k: round(v) for k, v in client.run(_vmhwm_mb).items()}
        compute: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        for item in stream.data:
            name = _stage(str(item["key"]))
            count[name] += 1
            for ss in item["startstops"]:
                if ss["action"] == "compute":
                    compute[name] += ss["stop"] - ss["start"]
        stats["compute_s_by_stage"] = {k: round(v, 1) for k, v in sorted(compute.items())}
        stats["tasks_by_stage"] = dict(sorted(count.items()))
        stats["tasks"] = sum(count.values())
        lines: list[str] = []
        for source, logs in [("scheduler", {"scheduler": client.get_scheduler_logs(n=1000)}),
                             *[(f"nanny {k}", {k: v}) for k, v in
                               client.get_worker_logs(n=1000, nanny=True).items()],
                             *[(f"worker {k}", {k: v}) for k, v in
                               client.get_worker_logs(n=1000).items()]]:
            for _, entries in logs.items():
                for level, text in entries:
                    if any(w in text.lower() for w in WORDS) and "Memory:  " not in text:
                        lines.append(f"{source}: {level}: {text[:200]}")
        stats["memory_log_lines"] = lines[:50]
        stats["memory_log_count"] = len(lines)
        return result

    engine.screen_on_dask = on_dask
    code = 1
    try:
        code = main(argv)
    finally:
        stats["client_peak_rss_mb"] = round(_vmhwm_mb())
        Path(stats_path).write_text(json.dumps(stats, default=str), encoding="utf-8")
    return code


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (its own, not its children's)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _tree(pid: int) -> list[int]:
    import psutil

    try:
        return [pid] + [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return [pid]


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")[:160]
    except OSError:
        return ""


def run(name: str, argv: list[str], out: Path, watch: list[int]) -> dict:
    """One CLI run, its process tree polled (plus ``watch``: an external cluster's pids)."""
    stats_path = out.with_suffix(f".{name}.stats.json")
    load0 = os.getloadavg()
    started = datetime.now(UTC)
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "child", str(stats_path), "--", *argv],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    peaks: dict[int, float] = {}
    cpu: dict[int, float] = {}
    names: dict[int, str] = {}
    # an external cluster's processes were running before: count only this run's CPU
    base = {p: _cpu_s(p) for w in watch for p in _tree(w)}
    while proc.poll() is None:
        for pid in _tree(proc.pid) + [p for w in watch for p in _tree(w)]:
            peaks[pid] = max(peaks.get(pid, 0.0), _vmhwm_mb(pid))
            cpu[pid] = max(cpu.get(pid, 0.0), _cpu_s(pid) - base.get(pid, 0.0))
            names.setdefault(pid, _cmdline(pid))
        time.sleep(0.5)
    wall = time.perf_counter() - began
    stderr = proc.stderr.read() if proc.stderr else ""
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    row = {
        "name": name, "argv": argv, "exit": proc.returncode, "wall_s": round(wall, 1),
        "started": f"{started:%Y-%m-%d %H:%M:%S} UTC",
        "load_before": [round(x, 1) for x in load0],
        "load_after": [round(x, 1) for x in os.getloadavg()],
        "cpu_s": round(sum(cpu.values()), 1),
        "peaks_mb": sorted(
            [{"pid": p, "peak_mb": round(v), "cpu_s": round(cpu.get(p, 0.0), 1),
              "cmd": names[p]} for p, v in peaks.items() if v > 100],
            key=lambda r: -r["peak_mb"]),
        "stats": stats,
        "stderr_tail": stderr.strip().splitlines()[-5:],
    }
    with out.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
    return row


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "child":
        stats_path, rest = sys.argv[2], sys.argv[3:]
        sys.exit(child(stats_path, rest[1:] if rest[:1] == ["--"] else rest))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run"])
    parser.add_argument("name")
    parser.add_argument("--out", type=Path, default=Path("/work/bench-data/results.jsonl"))
    parser.add_argument("--watch", type=int, nargs="*", default=[],
                        help="pids of an external cluster's processes to poll too")
    mine = sys.argv[1:sys.argv.index("--")] if "--" in sys.argv else sys.argv[1:]
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    args = parser.parse_args(mine)
    row = run(args.name, argv, args.out, args.watch)
    print(json.dumps(row, indent=1))


if __name__ == "__main__":
    main()

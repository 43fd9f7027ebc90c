"""Archive benchmark (issue 8): ``archive add``, then ``check --archive`` of 20 vessels against a
screening of the whole archive, each step in a fresh process (time and peak RSS of that step).

    .venv/bin/python benchmarks/bench_archive.py                       # 1 M and 10 M fixes
    .venv/bin/python benchmarks/bench_archive.py --sizes 50000000      # the 50 M run
    .venv/bin/python benchmarks/bench_archive.py --sizes 1000000 --workdir /tmp/bench8 --keep

Inputs are ``synth_fixes`` traffic (240 days, 2,000 fixes per vessel, one vessel in twenty
with an STS twin) written as Parquet files of ``--file-fixes`` fixes, added in one
``add_files`` call (the same path as ``exposure archive add``: hashing, reading and cleaning,
spilling by day, merging each day, the manifest). The screenings use the synthetic zones
(the bundled KP zones plus the port boxes) and ``as_of`` the day after the data ends, so the
range read (two windows and a day) covers the whole archive. The 20 vessels are ten STS twins
and ten others; their verdicts must equal those of the whole screening (checked).

Peak RSS is the step's own process high-water mark (``VmHWM``); wall and CPU time are both
given (the machine is shared: CPU time is the fairer figure).

``--text SIZES`` measures instead the add of NMEA and NOAA CSV text files (``bench_stream``'s
generators: 2,000 vessels, 20 sentences a second, a two-part type 5 every 500), each add the
whole ``exposure archive add`` process (imports included), its peak RSS from ``wait4`` and
the memory of its process tree (the forked reader and day merger included, ``run_process``); and
``--vs-pyais N --rounds R`` alternates, R times, that whole process on the N-sentence NMEA
file with a whole process of pyais ``FileReaderStream`` + ``decode()`` on the same file,
giving each round's ratio (the machine is shared: only ratios of one round are comparable).

    .venv/bin/python benchmarks/bench_archive.py --text 1000000 5000000 --vs-pyais 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


from bench_common import ROOT, cpu_s, machine, pyais_decode, status_mb  # noqa: E402


def _peak_mb() -> float:
    return status_mb("VmHWM")


_cpu_s = cpu_s


def _as_of() -> datetime:
    from synth_fixes import SPAN_DAYS, START_NS

    start = datetime.fromtimestamp(START_NS / 1e9, tz=UTC)
    return start + timedelta(days=SPAN_DAYS + 1)


def step_inputs(n: int, folder: Path, file_fixes: int) -> dict:
    """Generate ``n`` fixes and write them as Parquet inputs; the 20 vessels to list."""
    import numpy as np
    from synth_fixes import synth_fixes

    fixes, _ = synth_fixes(n, seed=8)
    folder.mkdir(parents=True, exist_ok=True)
    columns = ["mmsi", "time", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status"]
    # Files by time, as feeds come: each holds a stretch of days for every vessel.
    order = np.argsort(fixes["time"].to_numpy(), kind="stable")
    for number, start in enumerate(range(0, len(fixes), file_fixes)):
        part = fixes.iloc[order[start:start + file_fixes]][columns]
        part.to_parquet(folder / f"feed_{number:03d}.parquet", index=False)
    mmsi = np.unique(fixes["mmsi"].to_numpy()).astype("int64")
    # synth_fixes numbers vessels MID * 10**6 + index and makes index 40k + 1 an STS twin
    # (the 50 KP-flagged ones are renumbered 445xxxxxx).
    index = mmsi % 1_000_000
    twins = mmsi[(index % 40 == 1) & (mmsi // 1_000_000 != 445)][:10]
    rest = np.setdiff1d(mmsi, twins)
    others = rest[np.linspace(0, len(rest) - 1, 20 - len(twins)).astype(int)]
    vessels = sorted(set(twins.tolist()) | set(others.tolist()))
    return {"fixes": len(fixes), "vessels_total": len(mmsi), "listed": vessels}


def step_add(archive: Path, inputs: Path) -> dict:
    from desktop.core.archive import add_files, archive_info

    began, cpu = time.perf_counter(), _cpu_s()
    result = add_files(str(archive), sorted(inputs.glob("*.parquet")))
    wall, cpu = time.perf_counter() - began, _cpu_s() - cpu
    info = archive_info(str(archive))
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": _peak_mb(), "files": len(result.added),
            "fixes": info["fixes"], "days": info["days"], "size_mb": info["size_bytes"] / 1e6,
            "rejected": info["rejected"]}  # fmt: skip


def step_check(archive: Path, listing: Path | None) -> dict:
    from synth_fixes import synth_zones

    from desktop.core.archive.screen import screen_archive

    zones = synth_zones()
    began, cpu = time.perf_counter(), _cpu_s()
    result = screen_archive(str(archive), zones, as_of=_as_of(), vessels=listing)
    wall, cpu = time.perf_counter() - began, _cpu_s() - cpu
    verdicts = {str(v.mmsi): str(v.verdict) for v in result.verdicts}
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": _peak_mb(),
            "fixes_read": len(result.ingest.fixes),
            "vessels_read": int(result.ingest.fixes["mmsi"].nunique()),
            "verdicts": verdicts}  # fmt: skip


def _child(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--step", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"step {args[0]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_size(n: int, workdir: Path, file_fixes: int) -> dict:
    folder = workdir / f"n{n}"
    if folder.exists():
        shutil.rmtree(folder)
    inputs, archive, listing = folder / "inputs", folder / "ais", folder / "vessels.txt"
    made = _child("inputs", str(n), str(inputs), str(file_fixes))
    listing.write_text("".join(f"{m}\n" for m in made["listed"]), encoding="utf-8")
    input_mb = sum(p.stat().st_size for p in inputs.glob("*.parquet")) / 1e6
    added = _child("add", str(archive), str(inputs))
    shutil.rmtree(inputs)
    whole = _child("check", str(archive))
    some = _child("check", str(archive), str(listing))
    same = all(whole["verdicts"][m] == v for m, v in some["verdicts"].items())
    counts: dict[str, int] = {}
    for v in whole["verdicts"].values():
        counts[v] = counts.get(v, 0) + 1
    return {"n": n, "vessels": made["vessels_total"], "input_mb": input_mb, "add": added,
            "whole": {k: v for k, v in whole.items() if k != "verdicts"} | {"verdicts": counts},
            "listed": {k: v for k, v in some.items() if k != "verdicts"}
            | {"verdicts": len(some["verdicts"]), "equal_to_whole": same}}  # fmt: skip


def run_process(command: list[str], *, sample_tree: bool = True) -> dict:
    """One whole process: wall seconds, CPU seconds (its own and its children's), peak RSS of
    the process (``wait4``'s ``ru_maxrss``: the largest of it and its children, not their
    sum) and the memory of its process tree (``tree_pss_mb``: the largest sum of the
    proportional set sizes of the process and its children, sampled every 20 ms; a page a
    forked child shares with its parent counts half in each, so the sum is the memory the
    tree holds, where a sum of RSS would count shared pages twice).

    ``sample_tree=False`` leaves the tree unsampled (``tree_pss_mb`` None) for runs that are
    timed: reading ``smaps_rollup`` walks every page of the processes, and on two cores the
    sampler took CPU from the process it measured (the add of 1 M sentences ran about 15%
    slower sampled, in alternated runs)."""
    began = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    tree_kb = 0
    while True:  # the pipes stay unread meanwhile: the commands here print a few lines only
        pid, status, usage = os.wait4(child.pid, 0 if not sample_tree else os.WNOHANG)
        if pid:
            break
        tree_kb = max(tree_kb, sum(_pss_kb(p) for p in [child.pid, *_children(child.pid)]))
        time.sleep(0.02)
    wall = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    out, err = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err.decode(errors='replace')}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "tree_pss_mb": tree_kb / 1024 if sample_tree else None,
            "load": os.getloadavg()[0], "stdout": out.decode(errors="replace").strip()}  # fmt: skip


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:  # ended meanwhile
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found.extend(int(c) for c in text.split())
    except OSError:
        pass
    return found


def _add_command(archive: Path, path: Path) -> list[str]:
    return [sys.executable, "-m", "desktop", "archive", "add", str(archive), str(path),
            "--progress", "none"]  # fmt: skip


def text_file(workdir: Path, fmt: str, size: int) -> Path:
    from bench_stream import make_csv, make_nmea

    path = workdir / f"{fmt}-{size}.{fmt}"
    if not path.exists():
        (make_nmea if fmt == "nmea" else make_csv)(path, size)
    return path


def run_text(sizes: list[int], workdir: Path, formats: list[str]) -> None:
    """Peak RSS and time of ``exposure archive add`` on one NMEA and one CSV file per size."""
    for fmt in formats:
        for size in sizes:
            path = text_file(workdir, fmt, size)
            archive = workdir / f"ais-{fmt}-{size}"
            shutil.rmtree(archive, ignore_errors=True)
            r = run_process(_add_command(archive, path))
            shown = run_process([sys.executable, "-m", "desktop", "archive", "info",
                                 str(archive), "--format", "json"])  # fmt: skip
            info = json.loads(shown["stdout"])
            shutil.rmtree(archive, ignore_errors=True)
            print(f"| {fmt} | {size:,} | {path.stat().st_size / 1e6:.0f} | {r['wall_s']:.1f} | "
                  f"{r['cpu_s']:.1f} | {r['peak_rss_mb']:.0f} | {r['tree_pss_mb']:.0f} | "
                  f"{info['fixes']:,} | "
                  f"{info['days']} | {r['load']:.1f} |", flush=True)  # fmt: skip


def run_vs_pyais(size: int, rounds: int, workdir: Path) -> None:
    """Alternated whole processes: ours (archive add), pyais (decode), R rounds; ratios."""
    path = text_file(workdir, "nmea", size)
    archive = workdir / "ais-vs-pyais"
    ratios = []
    for number in range(rounds):
        shutil.rmtree(archive, ignore_errors=True)
        # Unsampled, both: the timing is the point here (the memory is ``--text``'s).
        ours = run_process(_add_command(archive, path), sample_tree=False)
        peer = run_process([sys.executable, __file__, "--pyais", str(path)], sample_tree=False)
        ratio_wall = peer["wall_s"] / ours["wall_s"]
        ratio_cpu = peer["cpu_s"] / ours["cpu_s"]
        ratios.append(ratio_wall)
        print(f"| {number + 1} | {ours['wall_s']:.1f} | {ours['cpu_s']:.1f} | "
              f"{peer['wall_s']:.1f} | {peer['cpu_s']:.1f} | {ratio_wall:.2f}x | "
              f"{ratio_cpu:.2f}x | {ours['load']:.1f}, {peer['load']:.1f} |",
              flush=True)  # fmt: skip
    shutil.rmtree(archive, ignore_errors=True)
    ratios.sort()
    print(f"median wall ratio {ratios[len(ratios) // 2]:.2f}x over {rounds} rounds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--file-fixes", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the archives")
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--text", type=int, nargs="+", metavar="SIZE",
                        help="add NMEA and CSV files of these many sentences/rows instead")
    parser.add_argument("--vs-pyais", type=int, metavar="N",
                        help="alternate the add of an N-sentence NMEA file with pyais decoding")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--formats", default="nmea,csv", help="with --text: nmea, csv or both")
    parser.add_argument("--pyais", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pyais:
        print(json.dumps({"decoded": pyais_decode(args.pyais)[0]}))
        return
    if args.text or args.vs_pyais:
        workdir = args.workdir or Path("/tmp/bench_archive_text")
        workdir.mkdir(parents=True, exist_ok=True)
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}", flush=True)
        if args.vs_pyais:
            print("| round | add wall s | add CPU s | pyais wall s | pyais CPU s | wall ratio | "
                  "CPU ratio | load |\n|---|---:|---:|---:|---:|---:|---:|---|")  # fmt: skip
            run_vs_pyais(args.vs_pyais, args.rounds, workdir)
        if args.text:
            print("| format | sentences/rows | file MB | wall s | CPU s | peak RSS MB | "
                  "tree PSS MB | fixes | days | load |\n"
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")  # fmt: skip
            run_text(args.text, workdir, args.formats.split(","))
        return
    if args.step:
        kind, *rest = args.step
        if kind == "inputs":
            out = step_inputs(int(rest[0]), Path(rest[1]), int(rest[2]))
        elif kind == "add":
            out = step_add(Path(rest[0]), Path(rest[1]))
        else:
            out = step_check(Path(rest[0]), Path(rest[1]) if len(rest) > 1 else None)
        print(json.dumps(out))
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-archive-"))
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}, Python {sys.version.split()[0]}")  # fmt: skip
    try:
        for n in args.sizes:
            row = run_size(n, workdir, args.file_fixes)
            a, w, s = row["add"], row["whole"], row["listed"]
            print(f"\n{n:,} fixes, {row['vessels']:,} vessels, {row['input_mb']:.0f} MB of "
                  f"Parquet input in {a['files']} files")  # fmt: skip
            print(f"  add: {a['wall_s']:.1f} s wall, {a['cpu_s']:.1f} s CPU, peak RSS "
                  f"{a['peak_rss_mb']:.0f} MB; archive {a['fixes']:,} fixes, {a['days']} days, "
                  f"{a['size_mb']:.0f} MB; rejected {a['rejected']}")  # fmt: skip
            print(f"  check --archive (all {w['vessels_read']:,} vessels): {w['wall_s']:.1f} s "
                  f"wall, {w['cpu_s']:.1f} s CPU, peak RSS {w['peak_rss_mb']:.0f} MB; "
                  f"{w['fixes_read']:,} fixes read; verdicts {w['verdicts']}")  # fmt: skip
            print(f"  check --archive --vessels (20 listed): {s['wall_s']:.1f} s wall, "
                  f"{s['cpu_s']:.1f} s CPU, peak RSS {s['peak_rss_mb']:.0f} MB; "
                  f"{s['vessels_read']:,} vessels ({s['fixes_read']:,} fixes) read; "
                  f"{s['verdicts']} verdicts, equal to the whole screening's: "
                  f"{s['equal_to_whole']}")  # fmt: skip
            sys.stdout.flush()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

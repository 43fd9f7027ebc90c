"""Build the benchmark archives of issues 8 and 9 once, outside the repository.

    .venv/bin/python benchmarks/make_bench_archive.py /work/bench-data --chunks 5

Chunk k is ``synth_fixes(10_000_000, seed=k)`` (5,000 vessels, 240 days of Yellow Sea traffic)
with its MMSIs moved by k x 5,000 (k x 50 for the 50 KP-flagged ones), so the chunks are
distinct fleets over the same days. Each chunk is written as Parquet feed files of 1 M fixes
ordered by time (as feeds come) and added with ``add_files``, the path of ``exposure archive
add``. ``ais10m`` is chunk 0; ``ais50m`` is a copy of it with chunks 1-4 added: the 10 M archive
is a subset of the 50 M one, so the same 20 listed vessels (``vessels20.txt``: ten STS twins and
ten others, all of chunk 0) are screened in both. Generating one chunk at a time keeps the peak
near 3 GB (one 50 M table in memory would need about 12 GB).
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

CHUNK_FIXES = 10_000_000
COLUMNS = ["mmsi", "time", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status"]


def write_chunk(k: int, folder: Path, file_fixes: int = 1_000_000) -> list[int]:
    """Chunk ``k`` as Parquet feeds in ``folder``; returns its MMSIs."""
    import numpy as np
    from synth_fixes import synth_fixes

    fixes, _ = synth_fixes(CHUNK_FIXES, seed=k)
    mmsi = fixes["mmsi"].to_numpy().astype("int64")
    kp = mmsi // 1_000_000 == 445
    mmsi = np.where(kp, mmsi + 50 * k, mmsi + 5_000 * k)
    fixes["mmsi"] = mmsi.astype("uint32")
    folder.mkdir(parents=True, exist_ok=True)
    order = np.argsort(fixes["time"].to_numpy(), kind="stable")
    for number, start in enumerate(range(0, len(fixes), file_fixes)):
        part = fixes.iloc[order[start:start + file_fixes]][COLUMNS]
        part.to_parquet(folder / f"feed_{k}_{number:03d}.parquet", index=False)
    return sorted(np.unique(mmsi).tolist())


def listed(mmsi: list[int]) -> list[int]:
    """Ten STS twins (index 40 j + 1, not KP-flagged) and ten others spread over the fleet."""
    import numpy as np

    arr = np.array(mmsi, dtype="int64")
    index = arr % 1_000_000
    twins = arr[(index % 40 == 1) & (arr // 1_000_000 != 445)][:10]
    rest = np.setdiff1d(arr, twins)
    others = rest[np.linspace(0, len(rest) - 1, 10).astype(int)]
    return sorted(set(twins.tolist()) | set(others.tolist()))


def add(archive: Path, folder: Path) -> dict:
    from desktop.core.archive import add_files, archive_info

    began = time.perf_counter()
    add_files(str(archive), sorted(folder.glob("*.parquet")))
    info = archive_info(str(archive))
    return {"archive": str(archive), "add_s": round(time.perf_counter() - began, 1),
            "fixes": info["fixes"], "days": info["days"],
            "size_mb": round(info["size_bytes"] / 1e6, 1)}


def replicate(source: Path, target: Path, copies: int, shift_days: int = 3) -> dict:
    """``target`` = ``source`` plus ``copies - 1`` copies of its fixes, copy k with its MMSIs
    moved as the chunks' are and its times moved k x ``shift_days`` days later, written in the
    archive's own format (``merge_fixes``, ``Store.write_table``, the manifest entries of
    ``_merge_day``) as one more generation. A cheap stand-in for generating and adding chunks
    1-4 (the day a 2-core machine shared by seven made that take over an hour): copy k of a
    vessel is where the vessel was ``3 k`` days before, so it meets other vessels (and never
    itself: a stop lasts under two days) like new traffic would."""
    from datetime import date, timedelta

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from desktop.core.archive.add import merge_fixes
    from desktop.core.archive.layout import FIX_SCHEMA, open_store, part_name, read_manifest
    from desktop.core.model import iso_utc

    began = time.perf_counter()
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    store = open_store(str(target))
    manifest = read_manifest(store)
    old = dict(manifest["fixes"])
    generation = int(manifest["generation"]) + 1
    days = sorted(date.fromisoformat(d) for d in old)
    wanted = sorted({d + timedelta(days=shift_days * k) for d in days for k in range(copies)})
    entries: dict[str, dict] = {}
    for day in wanted:
        pieces = []
        for k in range(copies):
            src = (day - timedelta(days=shift_days * k)).isoformat()
            if src not in old:
                continue
            table = store.read_table(old[src]["path"]).select(FIX_SCHEMA.names).cast(FIX_SCHEMA)
            if k:
                mmsi = table.column("mmsi").to_numpy().astype("int64")
                kp = mmsi // 1_000_000 == 445
                mmsi = np.where(kp, mmsi + 50 * k, mmsi + 5_000 * k).astype("uint32")
                t = pc.add(table.column("time"), pa.scalar(
                    timedelta(days=shift_days * k), pa.duration("us")))
                table = table.set_column(0, "mmsi", pa.array(mmsi))
                table = table.set_column(1, "time", t.cast(FIX_SCHEMA.field("time").type))
            pieces.append(table)
        merged = merge_fixes(pa.concat_tables(pieces).combine_chunks())
        relative = part_name("fixes", day.isoformat(), generation)
        size = store.write_table(relative, merged)
        times = merged.column("time")
        entries[day.isoformat()] = {
            "path": relative, "rows": merged.num_rows, "bytes": size,
            "time_min": iso_utc(pc.min(times).as_py()), "time_max": iso_utc(pc.max(times).as_py()),
            "vessels": len(pc.unique(merged.column("mmsi"))),
        }
    manifest["fixes"] = entries
    manifest["generation"] = generation
    store.write_json_atomic("manifest.json", manifest)
    for part in old.values():
        store.delete(part["path"])
    return {"archive": str(target), "replicate_s": round(time.perf_counter() - began, 1),
            "fixes": sum(e["rows"] for e in entries.values()), "days": len(entries),
            "size_mb": round(sum(e["bytes"] for e in entries.values()) / 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--chunks", type=int, default=5)
    parser.add_argument("--only-chunk", type=int, default=None,
                        help="write chunk K's feeds to ROOT/inputs_K and stop (to generate "
                             "chunks in parallel processes; then --add-inputs)")
    parser.add_argument("--add-inputs", action="store_true",
                        help="add every ROOT/inputs_K folder (K >= 1) to ais50m in one add")
    parser.add_argument("--replicate", type=int, default=None,
                        help="make ais50m from ais10m by this many time-shifted copies "
                             "(see replicate) instead of generating and adding chunks")
    args = parser.parse_args()
    if args.replicate:
        print(json.dumps(replicate(args.root / "ais10m", args.root / "ais50m", args.replicate)))
        return
    if args.only_chunk is not None:
        write_chunk(args.only_chunk, args.root / f"inputs_{args.only_chunk}")
        return
    if args.add_inputs:
        folders = sorted(args.root.glob("inputs_*"))
        merged = args.root / "inputs"
        shutil.rmtree(merged, ignore_errors=True)
        merged.mkdir()
        for folder in folders:
            for path in folder.glob("*.parquet"):
                path.rename(merged / path.name)
        print(json.dumps(add(args.root / "ais50m", merged)), flush=True)
        shutil.rmtree(merged)
        for folder in folders:
            folder.rmdir()
        return
    root: Path = args.root
    inputs = root / "inputs"
    small, big = root / "ais10m", root / "ais50m"
    for k in range(args.chunks):
        shutil.rmtree(inputs, ignore_errors=True)
        began = time.perf_counter()
        mmsi = write_chunk(k, inputs)
        gc.collect()
        print(json.dumps({"chunk": k, "write_s": round(time.perf_counter() - began, 1)}),
              flush=True)
        if k == 0:
            (root / "vessels20.txt").write_text("".join(f"{m}\n" for m in listed(mmsi)),
                                                encoding="utf-8")
            print(json.dumps(add(small, inputs)), flush=True)
            shutil.copytree(small, big)
        else:
            print(json.dumps(add(big, inputs)), flush=True)
    shutil.rmtree(inputs, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Merging an add's days: ``merge_fixes``'s quick path (no two rows share (mmsi, time)) gives
exactly what the sort of the whole key gives, and any other table goes the whole-key way; days
merged in two lanes (this process and a forked child) give the parts one lane gives, and a
failure in the child leaves the archive as it was."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from desktop.core.archive import add as add_module
from desktop.core.archive import add_files, archive_info
from desktop.core.archive.add import merge_by_full_key, merge_fixes
from desktop.core.archive.layout import FIX_SCHEMA
from desktop.core.ingest import prefetch
from desktop.core.ingest import stream as stream_module
from tests.archive_kit import write_receivers

DAY_US = 86_400_000_000
DAY0_US = 1_700_006_400_000_000  # 2023-11-15T00:00:00Z


def _run(rng: np.random.Generator, vessels: np.ndarray, rows: int, source: str) -> dict:
    """One spill slice: rows sorted by (mmsi, time), one fix per vessel and instant."""
    mmsi = np.sort(rng.choice(vessels, rows))
    time = DAY0_US + rng.integers(0, DAY_US, rows)
    order = np.lexsort((time, mmsi))
    mmsi, time = mmsi[order], time[order]
    keep = np.append(True, (mmsi[1:] != mmsi[:-1]) | (time[1:] != time[:-1]))
    n = int(keep.sum())
    heading = rng.integers(0, 360, n).astype(float)
    heading[rng.random(n) < 0.2] = np.nan
    return {
        "mmsi": mmsi[keep], "time": time[keep], "lat": rng.uniform(-60, 60, n),
        "lon": rng.uniform(-180, 180, n), "sog_kn": rng.uniform(0, 20, n).astype(np.float32),
        "cog_deg": rng.uniform(0, 360, n).astype(np.float32), "heading_deg": heading,
        "nav_status": rng.integers(0, 16, n).astype(float), "source": [source] * n,
    }  # fmt: skip


def _table(runs: list[dict]) -> pa.Table:
    columns = {k: np.concatenate([np.asarray(r[k]) for r in runs]) for k in runs[0]}
    return pa.table(
        {
            "mmsi": pa.array(columns["mmsi"], type=pa.uint32()),
            "time": pa.array(columns["time"], type=pa.int64()).cast(pa.timestamp("us", "UTC")),
            "lat": columns["lat"], "lon": columns["lon"], "sog_kn": columns["sog_kn"],
            "cog_deg": columns["cog_deg"],
            "heading_deg": pa.array(columns["heading_deg"], type=pa.uint16(), from_pandas=True),
            "nav_status": pa.array(columns["nav_status"], type=pa.uint8(), from_pandas=True),
            "source": pa.array(columns["source"], type=pa.string()),
        },
        schema=FIX_SCHEMA,
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(12))
def test_runs_of_disjoint_vessels_merge_as_by_the_whole_key(seed: int) -> None:
    # The buckets of one file: vessels split by hash, each run sorted, no shared instant.
    rng = np.random.default_rng(seed)
    vessels = 200_000_000 + rng.choice(600_000_000, 300, replace=False)
    runs = [_run(rng, vessels[k::3], 2_000, "feed.nmea") for k in range(3)]
    table = _table(runs)
    merged = merge_fixes(table)
    assert merged.equals(merge_by_full_key(table))
    assert merged.num_rows == table.num_rows
    mmsi = merged.column("mmsi").to_numpy()
    time = merged.column("time").cast(pa.int64()).to_numpy()
    assert (np.diff(mmsi.astype(np.int64)) >= 0).all()
    assert ((mmsi[1:] != mmsi[:-1]) | (time[1:] > time[:-1])).all()


@pytest.mark.parametrize("seed", range(12))
def test_overlapping_files_drop_the_same_rows_as_the_whole_key(seed: int) -> None:
    # Two files of the same vessels: shared instants, identical rows and differing ones.
    rng = np.random.default_rng(100 + seed)
    vessels = 200_000_000 + rng.choice(600_000_000, 40, replace=False)
    first = _run(rng, vessels, 3_000, "a.nmea")
    second = {k: (v[:1_500] if k != "source" else ["b.nmea"] * 1_500) for k, v in first.items()}
    second["lat"] = np.where(rng.random(1_500) < 0.5, second["lat"], second["lat"] + 0.001)
    table = _table([second, first])
    merged = merge_fixes(table)
    assert merged.equals(merge_by_full_key(table))
    assert merged.num_rows == len(first["mmsi"])


@pytest.mark.parametrize("seed", range(6))
def test_vessels_in_two_sources_with_interleaved_instants_merge_as_by_the_whole_key(
    seed: int,
) -> None:
    # A day added again with another file of the same vessels, no instant shared: each
    # vessel's rows are two sorted runs whose times interleave (no row dropped).
    rng = np.random.default_rng(200 + seed)
    vessels = 200_000_000 + rng.choice(600_000_000, 30, replace=False)
    first = _run(rng, vessels, 2_000, "a.nmea")
    second = _run(rng, vessels, 2_000, "b.nmea")
    second["time"] = second["time"] | 1  # odd microseconds here, even ones there
    first["time"] = first["time"] & ~1
    table = _table([second, first])
    merged = merge_fixes(table)
    assert merged.equals(merge_by_full_key(table))
    assert merged.num_rows == table.num_rows


def test_a_table_already_in_order_comes_back_as_it_is() -> None:
    rng = np.random.default_rng(7)
    table = _table([_run(rng, np.arange(300_000_000, 300_000_050), 1_000, "feed.nmea")])
    assert merge_fixes(table) is table
    assert merge_fixes(table).equals(merge_by_full_key(table))


def test_rows_without_a_time_take_the_whole_key_way_and_sort_last() -> None:
    rng = np.random.default_rng(8)
    table = _table([_run(rng, np.arange(300_000_000, 300_000_010), 100, "feed.nmea")])
    times = table.column("time").to_pylist()
    times[3] = None
    table = table.set_column(1, "time", pa.array(times, type=pa.timestamp("us", "UTC")))
    merged = merge_fixes(table)
    assert merged.equals(merge_by_full_key(table))
    vessel = table.column("mmsi")[3].as_py()
    last_of_vessel = [t for m, t in zip(merged.column("mmsi").to_pylist(),
                                        merged.column("time").to_pylist(), strict=True)
                      if m == vessel][-1]  # fmt: skip
    assert last_of_vessel is None


# The days of an add merged in two lanes: this process and a forked child.

SAMPLE = Path(__file__).resolve().parents[1] / "sample_tracks" / "sample_2026.nmea.gz"


def _parts(archive: Path) -> dict[str, pa.Table]:
    manifest = json.loads((archive / "manifest.json").read_text())
    return {f"{table}/{day}": pq.read_table(archive / entry["path"])
            for table in ("fixes", "statics")
            for day, entry in manifest[table].items()}  # fmt: skip


def _files(archive: Path) -> list[str]:
    return sorted(p.relative_to(archive).as_posix() for p in archive.rglob("*") if p.is_file())


needs_fork = pytest.mark.skipif(not prefetch.can_fork(), reason="no fork here: one lane only")


@needs_fork
def test_an_add_in_two_lanes_equals_an_add_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Buckets cleaned and spilled, and days merged, half in forked children: the same parts
    and the same file entry as with everything in one process."""
    monkeypatch.setattr(stream_module, "BUCKET_INPUT_BYTES", 1 << 16)  # several buckets
    children: list[str] = []

    def counting(module: object) -> object:
        real = module.forked  # type: ignore[attr-defined]

        def forked(*args: object, **kwargs: object) -> object:
            children.append(str(kwargs.get("name")).split(" ")[0])
            return real(*args, **kwargs)

        return forked

    monkeypatch.setattr(add_module, "forked", counting(add_module))
    monkeypatch.setattr(stream_module, "forked", counting(stream_module))
    lanes = tmp_path / "lanes"
    add_files(str(lanes), [SAMPLE])
    assert children == ["read", "clean", "merge"]
    monkeypatch.setattr(prefetch, "can_fork", lambda: False)
    monkeypatch.setattr(add_module, "can_fork", lambda: False)
    monkeypatch.setattr(stream_module, "can_fork", lambda: False)
    one = tmp_path / "one"
    add_files(str(one), [SAMPLE])
    assert children == ["read", "clean", "merge", "read"]  # its thread stand-in, no child
    got, want = _parts(lanes), _parts(one)
    assert sorted(got) == sorted(want) and len(got) > 4
    for key in want:  # through pandas: Arrow's ``equals`` calls NaN (unknown length) unequal
        assert got[key].schema == want[key].schema, key
        pd.testing.assert_frame_equal(got[key].to_pandas(), want[key].to_pandas(), obj=key)

    def entry(archive: Path) -> dict:
        files = json.loads((archive / "manifest.json").read_text())["files"]
        return {k: v for k, v in files[0].items() if k != "added"}

    assert entry(lanes) == entry(one)
    assert entry(one)["fixes"] > 0
    info = archive_info(str(lanes))
    assert {k: v for k, v in info.items() if k != "archive"} == {
        k: v for k, v in archive_info(str(one)).items() if k != "archive"}  # fmt: skip


@needs_fork
def test_a_day_that_fails_in_the_child_fails_the_add_and_leaves_the_archive_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "ais"
    add_files(str(archive), [write_receivers(tmp_path / "rx")[0]])
    before = _files(archive)
    parent = os.getpid()
    real_merge = add_module._merge_day

    def merge_failing_in_child(*args: object) -> dict:
        if os.getpid() != parent:  # the forked child: its copy of this module is patched too
            raise OSError(28, "No space left on device")
        return real_merge(*args)

    monkeypatch.setattr(add_module, "_merge_day", merge_failing_in_child)
    with pytest.raises(OSError, match="No space left on device"):
        add_files(str(archive), [SAMPLE])
    assert _files(archive) == before
    assert multiprocessing.active_children() == []

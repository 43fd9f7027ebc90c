"""The tasks of the Dask engine, run in one process: the STS candidates by (day, cell) are a
superset of the encounter pairs, the exact batches give the single-process events once each,
and the halo, partition and batch arithmetic (desktop.core.scaleout.tasks)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scaleout_kit import write_archive
from screening_kit import M_PER_DEG, table

from desktop.core.detect.geo import NS_PER_H, haversine_m
from desktop.core.detect.sts import detect_encounters
from desktop.core.params import DEFAULT_PARAMS
from desktop.core.scaleout import tasks
from desktop.core.scaleout.engine import day_blocks
from desktop.core.scaleout.layout import ArchiveSlice, slice_from_layout
from desktop.core.screening import empty_zones

AS_OF_NS = pd.Timestamp("2026-07-10", tz="UTC").value
START_NS = pd.Timestamp("2026-07-01 18:00", tz="UTC").value


def random_traffic(seed: int, n_vessels: int = 30) -> pd.DataFrame:
    """Slow vessels drifting within 3 km of the 124 E / 36 N cell corner for 30 hours
    (across midnight), fixes 3 - 70 min apart (some gaps too long to interpolate), a quarter
    of the speeds missing and a tenth of them too fast."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_vessels):
        t = START_NS + int(rng.integers(0, 3 * NS_PER_H))
        lat = 36.0 + rng.uniform(-1500, 1500) / M_PER_DEG
        lon = 124.0 + rng.uniform(-1500, 1500) / M_PER_DEG / np.cos(np.radians(36.0))
        while t < START_NS + 30 * NS_PER_H:
            sog = rng.choice([np.nan, 0.3, 1.5, 5.0], p=[0.25, 0.4, 0.25, 0.1])
            rows.append((200_000_000 + k, t, lon, lat, sog))
            lat += rng.normal(0, 40) / M_PER_DEG
            lon += rng.normal(0, 40) / M_PER_DEG
            t += int(rng.uniform(3, 70) * 60e9)
    mmsi, t, lon, lat, sog = (np.array(c) for c in zip(*rows, strict=True))
    return table(mmsi, t, lon, lat, sog)


def _pairs_of(events: list) -> set[tuple[int, int]]:
    return {(min(e.mmsi, e.with_mmsi), max(e.mmsi, e.with_mmsi)) for e in events}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_day_and_cell_candidates_cover_every_encounter_and_batches_give_each_once(
    seed: int, tmp_path: Path
) -> None:
    fixes = random_traffic(seed)
    root = write_archive(tmp_path, fixes)
    archive = slice_from_layout(str(root), date(2026, 6, 30), date(2026, 7, 10))
    expected = detect_encounters(fixes, empty_zones(), DEFAULT_PARAMS)
    assert len(_pairs_of(expected)) >= 3  # the traffic is dense enough to test something

    candidates = set()
    for first, last in day_blocks(archive, DEFAULT_PARAMS, 1):
        points = tasks.day_points(archive, first, last, AS_OF_NS, DEFAULT_PARAMS, 1.0)
        for cell in tasks.cell_keys(points):
            found = tasks.cell_candidates(points, cell, DEFAULT_PARAMS.sts_max_distance_m)
            candidates |= {(int(a), int(b)) for a, b in found.tolist()}
    assert _pairs_of(expected) <= candidates

    mmsi, counts = np.unique(fixes["mmsi"].to_numpy(), return_counts=True)
    pairs = tasks.merge_pairs([np.array(sorted(candidates), dtype="uint32")])
    batches = tasks.pair_batches(pairs, mmsi, counts, max_fixes=80)
    assert len(batches) > 1
    got = [
        e for batch in batches
        for e in tasks.sts_batch(archive, batch, AS_OF_NS, empty_zones(), DEFAULT_PARAMS,
                                 (np.zeros(0), np.zeros(0)))
    ]
    key = lambda e: (e.mmsi, e.with_mmsi, e.start)  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)


def test_point_500_m_north_across_a_border_is_in_the_southern_cells_halo_501_m_is_not() -> None:
    lat_a = 36.0 - 1e-3 / M_PER_DEG  # 1 mm south of the 36 N border
    lats = np.array([lat_a, lat_a + 500 / M_PER_DEG, lat_a + 501 / M_PER_DEG])
    lons = np.full(3, 123.5)
    assert haversine_m(lons[0], lats[0], lons[1], lats[1]) <= 500.0
    cells = tasks.bucket_points(
        np.array([1, 2, 3], dtype="uint32"), np.zeros(3, dtype="int64"), lats, lons, 1.0, 500.0
    )
    south = cells[(35, 123)]
    assert south[0].tolist() == [1, 2]  # the 501 m point is outside the halo
    assert south[4].tolist() == [True, False]  # only the first lies in the cell itself
    north = cells[(36, 123)]
    assert north[0].tolist() == [1, 2, 3] and north[4].tolist() == [False, True, True]
    assert tasks.cell_candidates(tasks.DayPoints(np.zeros(0), np.zeros(0), cells), (35, 123),
                                 500.0).tolist() == [[1, 2]]


def test_halo_near_the_pole_reaches_every_longitude() -> None:
    # at 89.999 N, 500 m spans more than half a circle of latitude
    cells = tasks.bucket_points(
        np.array([7], dtype="uint32"), np.zeros(1, dtype="int64"), np.array([89.999]),
        np.array([10.0]), 90.0, 500.0,
    )
    assert sorted(cells) == [(0, 0)]  # only the core cell keeps it (no other core point)
    xs = {cx for (cy, cx) in tasks.bucket_points(
        np.array([7, 8], dtype="uint32"), np.zeros(2, dtype="int64"), np.array([89.999, 89.999]),
        np.array([10.0, -170.0]), 90.0, 500.0,
    )}
    assert xs == {-2, 0}  # each core cell sees the other point across the pole


def test_mmsi_ranges_split_by_fixes_and_never_split_a_vessel() -> None:
    mmsi = np.array([100, 200, 300, 400, 500], dtype="uint32")
    counts = np.array([10, 10, 40, 10, 30])
    assert tasks.mmsi_ranges(mmsi, counts, 2) == [(100, 400), (400, 501)]
    assert tasks.mmsi_ranges(mmsi, counts, 1) == [(100, 501)]
    # more partitions than vessels: at most one per vessel, and 300 alone holds 40 % of fixes
    assert tasks.mmsi_ranges(mmsi, counts, 9) == [(100, 300), (300, 400), (400, 501)]


def test_pair_batches_keep_components_together_and_each_pair_once() -> None:
    pairs = np.array([[1, 2], [2, 3], [10, 11], [20, 21]], dtype="uint32")
    mmsi = np.array([1, 2, 3, 10, 11, 20, 21], dtype="uint32")
    counts = np.array([10, 10, 10, 10, 10, 10, 10])
    batches = tasks.pair_batches(pairs, mmsi, counts, max_fixes=30)
    assert [b.tolist() for b in batches] == [[[1, 2], [2, 3]], [[10, 11]], [[20, 21]]]
    batches = tasks.pair_batches(pairs, mmsi, counts, max_fixes=20)  # the component is cut
    assert [b.tolist() for b in batches] == [[[1, 2]], [[2, 3]], [[10, 11]], [[20, 21]]]


def test_day_blocks_skip_days_without_fixes(tmp_path: Path) -> None:
    fixes = table([1, 1, 1], pd.to_datetime(["2026-07-01 10:00", "2026-07-02 10:00",
                                             "2026-07-05 10:00"], utc=True),
                  [124.0] * 3, [36.0] * 3, [0.0] * 3)
    archive = slice_from_layout(str(write_archive(tmp_path, fixes)), date(2026, 6, 1),
                                date(2026, 7, 31))
    assert day_blocks(archive, DEFAULT_PARAMS, 1) == [
        (date(2026, 7, 1), date(2026, 7, 1)), (date(2026, 7, 2), date(2026, 7, 2)),
        (date(2026, 7, 5), date(2026, 7, 5)),
    ]
    assert day_blocks(archive, DEFAULT_PARAMS, 3) == [
        (date(2026, 7, 1), date(2026, 7, 2)), (date(2026, 7, 5), date(2026, 7, 5)),
    ]


def test_day_blocks_by_size_join_small_days_up_to_the_target() -> None:
    days = [date(2026, 7, d) for d in (1, 2, 3, 4)]
    archive = ArchiveSlice(
        days[0], days[-1], {d: (f"{d}.parquet",) for d in days}, {},
        fixes_bytes=dict(zip(days, [10, 10, 10, 70], strict=True)),
    )
    # target min(25, 100 // 2): 10 + 10 fit, a third 10 would not; 70 stands alone
    assert day_blocks(archive, DEFAULT_PARAMS, None, block_bytes=25, n_workers=1) == [
        (days[0], days[1]), (days[2], days[2]), (days[3], days[3]),
    ]
    # two workers want at least four runs: target 100 // 4 = 25 as well
    assert len(day_blocks(archive, DEFAULT_PARAMS, None, block_bytes=10**9, n_workers=2)) == 3

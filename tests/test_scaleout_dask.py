"""The Dask engine on a 2-worker LocalCluster gives byte for byte the JSON of one process on a
generated multi-day archive whose STS encounters lie exactly on cell borders, across midnight
UTC and at the halo's edge (DESIGN.md §8, issue 9), and fails whole, with the reason, when it
cannot finish. The sample and real archives (local and S3) go through the command line in
``test_scaleout_cli.py``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from scaleout_kit import KillOnce, days_read, free_port, local_reference, write_archive
from screening_kit import M_PER_DEG, NAMPO, Track, east_of, fixes_of, north_of

from desktop.core.detect.geo import haversine_m
from desktop.core.errors import ComputeError, InputError
from desktop.core.output import to_json_text
from desktop.core.scaleout.engine import EngineOptions, dask_client, screen_on_dask
from desktop.core.scaleout.layout import slice_from_layout
from desktop.core.screening import ScreeningResult

pytestmark = pytest.mark.slow


# Fine cells (1 degree), one day per task, tiny partitions and batches: every border and every
# cut of the engine is crossed by the generated archive.
FINE = EngineOptions(cell_deg=1.0, days_per_task=1, partition_fixes=60, partitions_per_worker=3)


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """One 2-worker LocalCluster (processes, one thread each) for the module, closed after."""
    with dask_client(workers=2, timeout_s=60) as c:
        yield c


def _dask(client: object, root: Path, as_of: datetime, options: EngineOptions
          ) -> ScreeningResult:  # fmt: skip
    first, last = days_read(as_of, 180)
    return screen_on_dask(
        client, slice_from_layout(str(root), first, last), None, as_of=as_of, options=options
    )


# --- the generated archive: 1 - 5 July 2026, as of 5 July 12:00 UTC ------------------------

AS_OF = datetime(2026, 7, 5, 12, tzinfo=UTC)
LAT_BORDER = (101, 102)  # across the 36 N cell border
LON_BORDER = (103, 104)  # across the 124 E cell border
MIDNIGHT = (105, 106)  # 1 July 22:00 - 2 July 02:10, fixes 50 min apart, one without speeds
HALO_EDGE = (107, 108)  # 500 m apart across 36 N, exactly 2 h
TOO_FAR = (109, 110)  # 501 m apart across 36 N: no encounter
TOO_SHORT = (111, 112)  # 300 m apart for 1 h 50 min: no encounter
MERGED = (113, 114)  # on the 124 E / 36 N corner, 2 h before and 2 h after midnight
CALLER, ONE_HOP = 201, 202  # a Nampo call on 1 July, then an STS across 124 E on 3 July
LOITER = 501  # alone, slow for 5 h across midnight 3/4 July: loitering
LOITER_PAIR = (502, 503)  # slow 501 m apart for 5 h: both loitering (no STS)
LOITER_STS = (504, 505)  # slow 499 m apart for 5 h: an STS, so no loitering
LOITER_NEAR_KP = 506  # alone, slow for 6 h 11.6 nm off North Korean waters: review
LATE = 301  # its only fixes come after as_of on the as-of day
RENAMED, IMO_A, IMO_B = 401, 402, 403
# A 36 h gap off Haeju (2 July 06:00 - 3 July 18:00) whose neighbours sit in other MMSI
# partitions and on both days: one heard across midnight near where it went silent, one near
# where it reappeared, one near both, one just after the silence (not counted).
GAPPER, NEAR_START, NEAR_END, NEAR_BOTH, TOO_LATE = 501, 951, 952, 953, 954
GAP_START, GAP_END = (124.5, 37.5), (124.6, 37.3)
BASE = 211_000_000  # German MIDs: no vessel here is KP-flagged by its MMSI


def _m(n: int) -> int:
    return BASE + n


def _pair(ids: tuple[int, int], start: str, end: str, lon: float, lat: float, north_m: float,
          east_m: float = 0.0, step_min: float = 10.0, sog_a: float | None = 0.5
          ) -> list[Track]:  # fmt: skip
    """Two vessels still at (lon, lat) and ``north_m``/``east_m`` from it, fixes every
    ``step_min`` from ``start`` to ``end``."""
    lon_b, lat_b = north_of(lon, lat, north_m)
    lon_b, lat_b = east_of(lon_b, lat_b, east_m)
    return [
        Track(_m(ids[0])).every(start, end, step_min, lon, lat, sog=sog_a),
        Track(_m(ids[1])).every(start, end, step_min, lon_b, lat_b, sog=1.0),
    ]


def _south_of_border(metres_below: float) -> float:
    return 36.0 - metres_below / M_PER_DEG


def generated() -> tuple[pd.DataFrame, pd.DataFrame]:
    tracks: list[Track] = []
    tracks += _pair(LAT_BORDER, "2026-07-01 10:00", "2026-07-01 14:00", 123.5,
                    _south_of_border(150), 300)
    lon_c, lat_c = east_of(124.0, 35.5, -200)
    tracks += _pair(LON_BORDER, "2026-07-02 03:00", "2026-07-02 06:00", lon_c, lat_c, 0, 400)
    tracks += _pair(MIDNIGHT, "2026-07-01 22:00", "2026-07-02 02:10", 123.3, 35.3, 250,
                    step_min=50, sog_a=None)
    tracks += _pair(HALO_EDGE, "2026-07-03 06:00", "2026-07-03 08:00", 123.7,
                    _south_of_border(1e-3), 500)
    tracks += _pair(TOO_FAR, "2026-07-03 06:00", "2026-07-03 08:00", 123.2,
                    _south_of_border(1e-3), 501)
    tracks += _pair(TOO_SHORT, "2026-07-03 06:00", "2026-07-03 07:50", 123.9, 35.9, 300)
    corner_lon, corner_lat = east_of(*north_of(124.0, 36.0, -100), -100)
    merged_a = Track(_m(MERGED[0]))
    merged_b = Track(_m(MERGED[1]))
    lon_b, lat_b = east_of(*north_of(124.0, 36.0, 100), 100)
    for start, end in (("2026-07-03 21:00", "2026-07-03 23:00"),
                       ("2026-07-04 01:00", "2026-07-04 03:00")):
        merged_a.every(start, end, 10, corner_lon, corner_lat, sog=0.2)
        merged_b.every(start, end, 10, lon_b, lat_b, sog=0.2)
    tracks += [merged_a, merged_b]
    caller = Track(_m(CALLER)).every("2026-07-01 00:00", "2026-07-01 06:00", 30, *NAMPO, sog=0.0)
    lon_h, lat_h = east_of(124.0, 35.7, -150)
    caller.every("2026-07-03 12:00", "2026-07-03 15:00", 10, lon_h, lat_h, sog=0.3)
    hop = Track(_m(ONE_HOP)).every("2026-07-03 12:00", "2026-07-03 15:00", 10,
                                   *east_of(lon_h, lat_h, 300), sog=0.3)
    tracks.append(Track(_m(LOITER)).every("2026-07-03 22:00", "2026-07-04 03:00", 20, 123.6,
                                          35.6, sog=0.8))
    tracks += _pair(LOITER_PAIR, "2026-07-02 08:00", "2026-07-02 13:00", 122.6, 35.1, 0, 501)
    tracks += _pair(LOITER_STS, "2026-07-02 08:00", "2026-07-02 13:00", 122.8, 35.1, 0, 499)
    tracks.append(Track(_m(LOITER_NEAR_KP)).every("2026-07-04 06:00", "2026-07-04 12:00", 15,
                                                  124.2, 38.3, sog=1.2))
    late = Track(_m(LATE)).every("2026-07-05 13:00", "2026-07-05 15:00", 30, 122.0, 34.0, 9.0)
    tracks += [caller, hop, late]
    for n in (RENAMED, IMO_A, IMO_B):
        tracks.append(Track(_m(n)).every("2026-07-02 00:00", "2026-07-02 03:00", 60,
                                         121.0 + n / 1000, 33.0, 11.0))
    tracks.append(Track(_m(GAPPER)).every("2026-07-02 00:00", "2026-07-02 06:00", 30,
                                          *GAP_START, sog=10.0)
                  .at("2026-07-03 18:00", *GAP_END, sog=10.0))
    tracks.append(Track(_m(NEAR_START)).every("2026-07-02 23:40", "2026-07-03 00:20", 20,
                                              *north_of(*GAP_START, 40_000), sog=10.0))
    tracks.append(Track(_m(NEAR_END)).at("2026-07-03 12:00", *north_of(*GAP_END, -30_000),
                                         sog=10.0))
    tracks.append(Track(_m(NEAR_BOTH)).at("2026-07-02 20:00", 124.55, 37.4, sog=10.0))
    tracks.append(Track(_m(TOO_LATE)).at("2026-07-03 18:10", *GAP_END, sog=10.0))
    fixes = fixes_of(*tracks)
    statics = pd.DataFrame(
        {
            "mmsi": pd.array([_m(RENAMED), _m(RENAMED), _m(IMO_A), _m(IMO_B)], dtype="uint32"),
            "time": pd.to_datetime(["2026-07-01 08:00", "2026-07-03 09:00",
                                    "2026-07-02 01:00", "2026-07-04 02:00"], utc=True),
            "imo": pd.array([9000001, 9000001, 9300002, 9300002], dtype="Int64"),
            "name": ["SEA STAR", "OCEAN STAR", "ALPHA", "BETA"],
            "callsign": ["ABC1", "ABC1", None, None],
            "ship_type": pd.array([70, 70, 80, 80], dtype="Int64"),
            "length_m": [100.0, 100.0, 200.0, 210.0],
            "width_m": [20.0, 20.0, 30.0, 31.0],
            "destination": [None, None, None, None],
            "line": [1, 2, 3, 4],
            "source": ["static.nmea"] * 4,
        }
    )
    return fixes, statics


@pytest.fixture(scope="module")
def generated_runs(client: object, tmp_path_factory: pytest.TempPathFactory
                   ) -> tuple[dict, str, str]:  # fmt: skip
    fixes, statics = generated()
    root = write_archive(tmp_path_factory.mktemp("generated"), fixes, statics)
    local = to_json_text(local_reference(fixes, statics, None, AS_OF))
    dask = to_json_text(_dask(client, root, AS_OF, FINE))
    return json.loads(local), local, dask


def _sts(doc: dict, a: int, b: int) -> list[tuple[str, str, str, float]]:
    [vessel] = [v for v in doc["vessels"] if v["mmsi"] == _m(a)]
    return [
        (r["kind"], r["start"], r["end"], r["duration_h"])
        for r in vessel["reasons"]
        if r.get("with_mmsi") == _m(b)
    ]


def test_generated_archive_json_is_byte_identical(generated_runs: tuple[dict, str, str]) -> None:
    _, local, dask = generated_runs
    assert dask == local


def test_gap_neighbours_in_other_partitions_and_days_are_counted_alike(
    generated_runs: tuple[dict, str, str]
) -> None:
    doc, _, _ = generated_runs
    [vessel] = [v for v in doc["vessels"] if v["mmsi"] == _m(GAPPER)]
    [gap] = [r for r in vessel["reasons"] if r["kind"] == "ais_gap"]
    assert (gap["start"], gap["end"], gap["reports_before_12h"]) == (
        "2026-07-02T06:00:00Z", "2026-07-03T18:00:00Z", 13)
    assert (gap["others_heard_near_start"], gap["others_heard_near_end"],
            gap["others_heard_near"]) == (2, 2, 3)


def test_encounter_across_a_cell_border_in_latitude_is_found_once(
    generated_runs: tuple[dict, str, str],
) -> None:
    doc = generated_runs[0]
    assert _sts(doc, *LAT_BORDER) == [
        ("sts_transfer", "2026-07-01T10:00:00Z", "2026-07-01T14:00:00Z", 4.0)
    ]


def test_encounter_across_a_cell_border_in_longitude_is_found_once(
    generated_runs: tuple[dict, str, str],
) -> None:
    assert _sts(generated_runs[0], *LON_BORDER) == [
        ("sts_transfer", "2026-07-02T03:00:00Z", "2026-07-02T06:00:00Z", 3.0)
    ]


def test_encounter_across_midnight_interpolated_and_without_speed_is_one_event(
    generated_runs: tuple[dict, str, str],
) -> None:
    # fixes at 22:00, 22:50, ..., 01:30 (50 min apart, interpolated on the 10-minute grid);
    # the last fix at 02:10 is 50 min after 01:20, so the grid runs 22:00 - 02:10
    assert _sts(generated_runs[0], *MIDNIGHT) == [
        ("sts_transfer", "2026-07-01T22:00:00Z", "2026-07-02T02:10:00Z", 4.167)
    ]


def test_encounter_at_the_halo_edge_500_m_for_exactly_2_h_is_found(
    generated_runs: tuple[dict, str, str],
) -> None:
    lat_a = _south_of_border(1e-3)
    lon_b, lat_b = north_of(123.7, lat_a, 500)
    assert lat_a < 36.0 < lat_b  # the two lie in different cells
    assert haversine_m(123.7, lat_a, lon_b, lat_b) <= 500.0  # within the STS distance
    assert _sts(generated_runs[0], *HALO_EDGE) == [
        ("sts_transfer", "2026-07-03T06:00:00Z", "2026-07-03T08:00:00Z", 2.0)
    ]


def test_501_m_and_1_h_50_min_are_no_encounters(generated_runs: tuple[dict, str, str]) -> None:
    doc = generated_runs[0]
    assert _sts(doc, *TOO_FAR) == []
    assert _sts(doc, *TOO_SHORT) == []


def test_encounters_2_h_apart_across_midnight_on_a_cell_corner_merge(
    generated_runs: tuple[dict, str, str],
) -> None:
    assert _sts(generated_runs[0], *MERGED) == [
        ("sts_transfer", "2026-07-03T21:00:00Z", "2026-07-04T03:00:00Z", 6.0)
    ]


def test_one_hop_across_a_cell_border_bars_the_counterpart(
    generated_runs: tuple[dict, str, str],
) -> None:
    doc = generated_runs[0]
    verdicts = {v["mmsi"]: v for v in doc["vessels"]}
    assert verdicts[_m(CALLER)]["verdict"] == "barred"
    assert verdicts[_m(CALLER)]["barred_until"] == "2026-12-28T06:00:00Z"
    assert verdicts[_m(ONE_HOP)]["verdict"] == "barred"
    assert verdicts[_m(ONE_HOP)]["barred_until"] == "2026-12-30T15:00:00Z"


def test_vessel_seen_only_after_as_of_and_identity_changes_are_kept(
    generated_runs: tuple[dict, str, str],
) -> None:
    verdicts = {v["mmsi"]: v for v in generated_runs[0]["vessels"]}
    assert verdicts[_m(LATE)]["verdict"] == "clear"
    assert verdicts[_m(LATE)]["reasons"] == []
    kinds = {m: [r["kind"] for r in verdicts[_m(m)]["reasons"]] for m in (RENAMED, IMO_A, IMO_B)}
    assert kinds == {RENAMED: ["identity_change"], IMO_A: ["identity_change"],
                     IMO_B: ["identity_change"]}
    assert verdicts[_m(RENAMED)]["name"] == "OCEAN STAR"


def _loitering(doc: dict, n: int) -> list[tuple[str, str, str, str]]:
    [vessel] = [v for v in doc["vessels"] if v["mmsi"] == _m(n)]
    return [(r["kind"], r["start"], r["end"], r["effect"]) for r in vessel["reasons"]
            if r["kind"] == "loitering"]


def test_loitering_alone_across_midnight_is_one_event_far_from_kp_effect_none(
    generated_runs: tuple[dict, str, str],
) -> None:
    assert _loitering(generated_runs[0], LOITER) == [
        ("loitering", "2026-07-03T22:00:00Z", "2026-07-04T03:00:00Z", "none")
    ]


def test_loitering_near_kp_waters_calls_for_review_on_dask(
    generated_runs: tuple[dict, str, str],
) -> None:
    assert _loitering(generated_runs[0], LOITER_NEAR_KP) == [
        ("loitering", "2026-07-04T06:00:00Z", "2026-07-04T12:00:00Z", "review")
    ]


def test_loiterers_501_m_apart_both_loiter_499_m_apart_are_an_sts_instead(
    generated_runs: tuple[dict, str, str],
) -> None:
    doc = generated_runs[0]
    both = [("loitering", "2026-07-02T08:00:00Z", "2026-07-02T13:00:00Z", "none")]
    assert [_loitering(doc, n) for n in LOITER_PAIR] == [both, both]
    assert [_loitering(doc, n) for n in LOITER_STS] == [[], []]
    assert _sts(doc, *LOITER_STS) == [
        ("sts_transfer", "2026-07-02T08:00:00Z", "2026-07-02T13:00:00Z", 5.0)
    ]
    # the STS pairs of the archive, 4 h and more, are STS candidates, not loiterers, too
    assert [_loitering(doc, n) for n in (*LAT_BORDER, *MIDNIGHT)] == [[], [], [], []]


def _watch_list_runs(client: object, tmp_path: Path, watchlist: object) -> dict:
    """The generated tracks with IMO_A reporting IMO 8660313 (CHON MA SAN on the OFAC SDN
    list, programme DPRK4, entry 23729), screened locally and on Dask with ``watchlist``:
    asserts the two JSON texts are the same and returns IMO_A's vessel."""
    fixes, statics = generated()
    statics = statics.copy()
    statics.loc[(statics["mmsi"] == _m(IMO_A)).to_numpy(), "imo"] = 8660313
    root = write_archive(tmp_path / "archive", fixes, statics)
    local = to_json_text(local_reference(fixes, statics, None, AS_OF, watchlist=watchlist))
    first, last = days_read(AS_OF, 180)
    dask = to_json_text(screen_on_dask(
        client, slice_from_layout(str(root), first, last), None, as_of=AS_OF,
        watchlist=watchlist, options=FINE,
    ))
    assert dask == local
    [vessel] = [v for v in json.loads(local)["vessels"] if v["mmsi"] == _m(IMO_A)]
    return vessel


@pytest.mark.corpus
def test_watch_list_hits_are_the_same_on_dask(client: object, corpus: Path, tmp_path: Path
                                              ) -> None:  # fmt: skip
    from desktop.core.watchlist import load_watchlist

    watchlist = load_watchlist([corpus / "ofac_sdn" / "sdn.csv"])
    vessel = _watch_list_runs(client, tmp_path, watchlist)
    assert [(r["kind"], r.get("entry")) for r in vessel["reasons"]] == [("watchlist", 23729)]


@pytest.mark.corpus
def test_several_watch_lists_give_the_same_hits_on_dask(client: object, corpus: Path,
                                                        tmp_path: Path) -> None:  # fmt: skip
    from desktop.core.watchlist import load_watchlist

    plain = tmp_path / "un1718.csv"
    plain.write_text("IMO Number,Vessel Name,Designation,Reference\n"
                     "8660313,CHON MA SAN,UN 1718,KPe.900\n", encoding="utf-8")
    watchlist = load_watchlist([corpus / "ofac_sdn" / "sdn.csv", plain])
    vessel = _watch_list_runs(client, tmp_path, watchlist)
    assert [(r["list"], r["reference"]) for r in vessel["reasons"]] == [
        ("OFAC SDN", "23729"), ("UN 1718", "KPe.900")]


# --- failures -------------------------------------------------------------------------------


def test_worker_killed_during_a_partition_is_replaced_and_the_json_unchanged(
    client: object, generated_runs: tuple[dict, str, str], tmp_path: Path
) -> None:
    fixes, statics = generated()
    root = write_archive(tmp_path / "archive", fixes, statics)
    marker = tmp_path / "killed"
    client.register_plugin(KillOnce("vessels-", str(marker)), name="kill-once")
    try:
        dask = to_json_text(_dask(client, root, AS_OF, FINE))
    finally:
        client.unregister_worker_plugin("kill-once")
    assert marker.exists()  # a worker did die
    assert dask == generated_runs[1]


def test_unreadable_archive_file_fails_the_run_naming_it(client: object, tmp_path: Path) -> None:
    fixes, statics = generated()
    root = write_archive(tmp_path / "archive", fixes, statics)
    broken = root / "fixes" / "day=2026-07-02" / "part-0.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="day=2026-07-02/part-0.parquet"):
        _dask(client, root, AS_OF, FINE)


def test_cluster_without_workers_fails_with_the_reason(tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    fixes, statics = generated()
    root = write_archive(tmp_path / "archive", fixes, statics)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster, set_as_default=False) as empty:
        with pytest.raises(ComputeError, match="no worker for 1 s"):
            _dask(empty, root, AS_OF, EngineOptions(no_worker_timeout_s=1.0))


def test_scheduler_that_does_not_answer_is_one_clear_error() -> None:
    port = free_port()
    with pytest.raises(ComputeError) as caught:
        with dask_client(f"tcp://127.0.0.1:{port}", timeout_s=5):
            pass
    message = str(caught.value)
    assert message.startswith(f"the Dask scheduler tcp://127.0.0.1:{port} does not answer (")
    assert "\n" not in message

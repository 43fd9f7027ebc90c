"""The shared cleaning step and the ingest orchestrator, on hand-built tracks with known answers.

Tracks are written as small generic CSV files (``mmsi,time,lat,lon,sog``): the header is line 1,
so the n-th fix written is line n + 1.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desktop.core.errors import Cancelled, InputError, ParameterError
from desktop.core.fixes import check_fixes
from desktop.core.ingest import ingest

T0 = pd.Timestamp("2026-03-01T00:00:00Z")
# Degrees of latitude per nautical mile on the IUGG mean sphere (6,371,008.8 m).
DEG_PER_NM = 1852.0 / (6_371_008.8 * math.pi / 180.0)
VESSEL = 351000001


def write_track(path: Path, rows: list[tuple]) -> Path:
    """rows: (mmsi, seconds after T0, lat, lon[, sog])."""
    lines = ["mmsi,time,lat,lon,sog"]
    for row in rows:
        mmsi, seconds, lat, lon = row[:4]
        sog = row[4] if len(row) > 4 else ""
        time = (T0 + pd.Timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"{mmsi},{time},{lat},{lon},{sog}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def one(tmp_path: Path, rows: list[tuple], **kwargs: float):
    result = ingest([write_track(tmp_path / "track.csv", rows)], **kwargs)
    report = result.reports[0]
    assert report.accepted_total + report.rejected_total == report.lines
    check_fixes(result.fixes)
    return result, report


def north(nm: float) -> float:
    return 10.0 + nm * DEG_PER_NM


# --- implausible jumps ---------------------------------------------------------------------


def test_jump_just_over_50_kn_is_implausible(tmp_path: Path) -> None:
    rows = [(VESSEL, 0, 10.0, 20.0), (VESSEL, 3600, north(50.5), 20.0), (VESSEL, 7200, 10.0, 20.0)]
    result, report = one(tmp_path, rows)
    assert report.rejected == {"implausible_jump": 1}
    assert report.first_lines["implausible_jump"] == [3]
    assert len(result.fixes) == 2
    assert result.flagged["line"].tolist() == [3]
    assert result.flagged["implied_speed_kn"].iloc[0] == pytest.approx(50.5, rel=1e-4)
    assert result.flagged["lat"].iloc[0] == pytest.approx(north(50.5))


def test_jump_just_under_50_kn_is_kept(tmp_path: Path) -> None:
    rows = [(VESSEL, 0, 10.0, 20.0), (VESSEL, 3600, north(49.5), 20.0), (VESSEL, 7200, 10.0, 20.0)]
    result, report = one(tmp_path, rows)
    assert report.rejected == {}
    assert len(result.fixes) == 3
    assert len(result.flagged) == 0


def test_max_speed_kn_moves_the_boundary(tmp_path: Path) -> None:
    rows = [(VESSEL, 0, 10.0, 20.0), (VESSEL, 3600, north(50.5), 20.0)]
    result, report = one(tmp_path, rows, max_speed_kn=51.0)
    assert len(result.fixes) == 2
    result, report = one(tmp_path, rows, max_speed_kn=50.0)
    assert len(result.fixes) == 1


def test_max_speed_kn_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ParameterError):
        ingest([write_track(tmp_path / "t.csv", [])], max_speed_kn=0.0)


def test_single_outlier_is_flagged_and_the_rest_of_the_track_is_kept(tmp_path: Path) -> None:
    # Ten fixes ten minutes apart at 6 kn northbound; the fifth is 300 nm east.
    rows = [(VESSEL, 600 * i, north(1.0 * i), 20.0) for i in range(10)]
    rows[4] = (VESSEL, 2400, north(4.0), 25.0)
    result, report = one(tmp_path, rows)
    assert report.rejected == {"implausible_jump": 1}
    assert result.flagged["line"].tolist() == [6]
    assert len(result.fixes) == 9
    assert result.fixes["lon"].tolist() == [20.0] * 9


def test_bad_first_fix_is_flagged_not_the_track(tmp_path: Path) -> None:
    rows = [(VESSEL, 0, 40.0, -30.0)]
    rows += [(VESSEL, 600 * i, north(1.0 * i), 20.0) for i in range(1, 6)]
    result, report = one(tmp_path, rows)
    assert report.rejected == {"implausible_jump": 1}
    assert result.flagged["line"].tolist() == [2]
    assert len(result.fixes) == 5


def test_two_transmitters_sharing_an_mmsi_keep_the_longer_track(tmp_path: Path) -> None:
    a = [(VESSEL, 600 * i, north(1.0 * i), 20.0) for i in range(6)]  # 6 fixes off Africa
    b = [(VESSEL, 600 * i + 300, 50.0, -40.0) for i in range(3)]  # 3 fixes mid-Atlantic
    result, report = one(tmp_path, a + b)
    assert report.rejected == {"implausible_jump": 3}
    assert sorted(result.flagged["line"].tolist()) == [8, 9, 10]
    assert (result.fixes["lon"] == 20.0).all()


def test_reports_one_second_apart_are_judged_over_60_s(tmp_path: Path) -> None:
    # 500 m in 1 s is 972 kn, but over the 60 s floor it is 16 kn: receiver clock noise.
    rows = [(VESSEL, 0, 10.0, 20.0), (VESSEL, 1, 10.0 + 500 / 111_195.08, 20.0)]
    result, report = one(tmp_path, rows)
    assert report.rejected == {}
    assert len(result.fixes) == 2


# --- duplicates ----------------------------------------------------------------------------


def test_exact_duplicate_is_rejected_and_first_is_kept(tmp_path: Path) -> None:
    rows = [
        (VESSEL, 0, 10.0, 20.0, 5.0),
        (VESSEL, 60, 10.01, 20.0, 5.0),
        (VESSEL, 0, 10.0, 20.0, 5.0),
    ]
    result, report = one(tmp_path, rows)
    assert report.rejected == {"duplicate": 1}
    assert report.first_lines["duplicate"] == [4]
    assert len(result.fixes) == 2


def test_same_instant_close_positions_second_is_duplicate(tmp_path: Path) -> None:
    # 100 m apart at the same second: noise, not two places; one fix per (mmsi, time).
    rows = [(VESSEL, 0, 10.0, 20.0, 3.0), (VESSEL, 0, 10.0009, 20.0, 3.1)]
    result, report = one(tmp_path, rows)
    assert report.rejected == {"duplicate": 1}
    assert report.first_lines["duplicate"] == [3]
    assert result.fixes["lat"].tolist() == [10.0]


def test_same_instant_far_apart_keeps_the_report_that_fits_the_track(tmp_path: Path) -> None:
    track = [(VESSEL, 600 * i, north(1.0 * i), 20.0) for i in range(4)]
    conflict = [(VESSEL, 1800, 45.0, 20.0)]  # same instant as the 4th fix, 2,000 nm away
    result, report = one(tmp_path, conflict + track)
    assert report.rejected == {"implausible_jump": 1}
    assert result.flagged["line"].tolist() == [2]
    assert not result.fixes.duplicated(["mmsi", "time"]).any()
    assert len(result.fixes) == 4


def test_duplicate_across_two_files_is_counted_in_the_second_file(tmp_path: Path) -> None:
    rows = [(VESSEL, 0, 10.0, 20.0), (VESSEL, 600, north(1.0), 20.0)]
    first = write_track(tmp_path / "a.csv", rows)
    second = write_track(tmp_path / "b.csv", rows)
    result = ingest([first, second])
    assert result.reports[0].rejected == {}
    assert result.reports[1].rejected == {"duplicate": 2}
    assert result.reports[1].fixes == 0
    assert list(result.fixes["source"]) == ["a.csv", "a.csv"]


# --- MMSI ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mmsi", "expected"),
    [
        (100000000, None),  # lowest nine-digit MMSI: in range (first digit 1 is unassigned)
        (99999999, "invalid_mmsi"),  # eight digits, no station pattern
        (1000000000, "invalid_mmsi"),  # ten digits
        (0, "invalid_mmsi"),
        (999999999, "not_a_vessel"),  # in range, but 99MIDxxxx is an aid to navigation
        (992191000, "not_a_vessel"),  # Danish AtoN
        (989999999, None),  # 98MIDxxxx: craft associated with a parent ship, a vessel
        (2655000, "not_a_vessel"),  # 002655000: Swedish base station
        (2000000, "not_a_vessel"),  # 002000000: lowest base-station form
        (1999999, "invalid_mmsi"),  # 001999999: MID 199 is no country
        (23000000, "not_a_vessel"),  # 023000000: group call
        (111232000, "not_a_vessel"),  # SAR aircraft
        (110999999, None),
        (970123456, "not_a_vessel"),  # AIS-SART
        (972123456, "not_a_vessel"),  # man overboard
        (974123456, "not_a_vessel"),  # EPIRB-AIS
        (971123456, None),
        (445123456, None),  # North Korean flag: a vessel (screening flags it, ingest keeps it)
    ],
)
def test_mmsi_classes(tmp_path: Path, mmsi: int, expected: str | None) -> None:
    result, report = one(tmp_path, [(mmsi, 0, 10.0, 20.0)])
    if expected is None:
        assert report.rejected == {}
        assert result.fixes["mmsi"].tolist() == [mmsi]
    else:
        assert report.rejected == {expected: 1}
        assert len(result.fixes) == 0


def test_mmsi_999999999_is_valid_range_but_not_a_vessel(tmp_path: Path) -> None:
    result, report = one(tmp_path, [(999999999, 0, 10.0, 20.0)])
    assert report.rejected == {"not_a_vessel": 1}


# --- positions and times -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "valid"),
    [
        (90.0, 0.5, True),
        (-90.0, 0.5, True),
        (90.0001, 0.5, False),
        (91.0, 0.5, False),  # AIS "not available"
        (0.5, 180.0, True),
        (0.5, -180.0, True),
        (0.5, 180.0001, False),
        (0.5, 181.0, False),  # AIS "not available"
        (0.0, 0.0, False),  # receivers without a GPS fix send zeros
        (0.0, 0.5, True),
        ("", 0.5, False),
    ],
)
def test_position_boundaries(tmp_path: Path, lat: object, lon: float, valid: bool) -> None:
    result, report = one(tmp_path, [(VESSEL, 0, lat, lon)])
    assert len(result.fixes) == (1 if valid else 0)
    assert report.rejected == ({} if valid else {"invalid_position": 1})


def test_empty_time_is_no_timestamp_and_junk_time_is_bad_value(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "mmsi,time,lat,lon\n"
        f"{VESSEL},,10,20\n"
        f"{VESSEL},yesterday,10,20\n"
        f"{VESSEL},2026-03-01T00:00:00Z,north,20\n"
        f"abc,2026-03-01T00:00:00Z,10,20\n"
        f"{VESSEL},2026-03-01T00:00:00Z,10,20\n",
        encoding="utf-8",
    )
    report = ingest([path]).reports[0]
    assert report.rejected == {"no_timestamp": 1, "bad_value": 3}
    assert report.first_lines == {"no_timestamp": [2], "bad_value": [3, 4, 5]}
    assert report.accepted == {"header": 1, "fix": 1}


def test_rejection_order_not_a_vessel_before_invalid_position(tmp_path: Path) -> None:
    _, report = one(tmp_path, [(2655000, 0, 91.0, 181.0)])
    assert report.rejected == {"not_a_vessel": 1}


# --- orchestration -------------------------------------------------------------------------


def test_fixes_sorted_by_mmsi_then_time_across_files(tmp_path: Path) -> None:
    a = write_track(tmp_path / "a.csv", [(VESSEL + 1, 600, 10.0, 20.0), (VESSEL, 1200, 11.0, 20.0)])
    b = write_track(tmp_path / "b.csv", [(VESSEL, 0, 11.0, 20.0), (VESSEL + 1, 0, 10.0, 20.0)])
    result = ingest([a, b])
    check_fixes(result.fixes)
    assert result.fixes["mmsi"].tolist() == [VESSEL, VESSEL, VESSEL + 1, VESSEL + 1]
    assert result.fixes["source"].tolist() == ["b.csv", "a.csv", "b.csv", "a.csv"]
    assert [r.fixes for r in result.reports] == [2, 2]
    assert result.reports[0].time_min == T0 + pd.Timedelta(seconds=600)


def test_folder_expands_to_track_files_sorted_skipping_docs(tmp_path: Path) -> None:
    folder = tmp_path / "tracks"
    (folder / "sub").mkdir(parents=True)
    write_track(folder / "b.csv", [(VESSEL, 0, 10.0, 20.0)])
    write_track(folder / "sub" / "a.csv", [(VESSEL, 60, 10.0, 20.0)])
    (folder / "README.md").write_text("# notes\n", encoding="utf-8")
    (folder / "LICENSE").write_text("MIT\n", encoding="utf-8")
    (folder / "make.py").write_text("print(1)\n", encoding="utf-8")
    (folder / "zones.geojson").write_text("{}\n", encoding="utf-8")
    (folder / ".git").mkdir()
    write_track(folder / ".git" / "c.csv", [(VESSEL, 120, 10.0, 20.0)])
    result = ingest([folder])
    assert [Path(r.path).relative_to(folder).as_posix() for r in result.reports] == [
        "b.csv",
        "sub/a.csv",
    ]
    assert len(result.fixes) == 2


def test_a_single_path_is_not_taken_for_a_sequence(tmp_path: Path) -> None:
    path = write_track(tmp_path / "t.csv", [(VESSEL, 0, 10.0, 20.0)])
    assert len(ingest(str(path)).fixes) == 1  # type: ignore[arg-type]


def test_gz_is_read_transparently(tmp_path: Path) -> None:
    plain = write_track(tmp_path / "t.csv", [(VESSEL, 0, 10.0, 20.0), (VESSEL, 60, 10.01, 20.0)])
    packed = tmp_path / "t.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    result = ingest([packed])
    assert result.reports[0].format == "csv"
    assert result.reports[0].lines == 3
    assert len(result.fixes) == 2


def test_missing_path_raises_input_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.nmea"
    with pytest.raises(InputError, match="nope.nmea: no such file or folder"):
        ingest([missing])


def test_folder_without_track_files_raises_input_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# nothing here\n", encoding="utf-8")
    with pytest.raises(InputError, match="no track files in this folder"):
        ingest([tmp_path])


def test_binary_junk_is_counted_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "junk.bin"
    path.write_bytes(bytes(range(256)) * 4)
    report = ingest([path]).reports[0]
    assert report.format == "unknown"
    # Four b"\n" and four bare b"\r" (each followed by 14) end lines, and bytes follow the last.
    assert report.lines == 9
    assert report.rejected == {"not_ais": 9}


def test_empty_file_gives_an_empty_report(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = ingest([path])
    assert result.reports[0].lines == 0
    assert len(result.fixes) == 0
    check_fixes(result.fixes)


def test_cancel_raises_cancelled(tmp_path: Path) -> None:
    path = write_track(tmp_path / "t.csv", [(VESSEL, 0, 10.0, 20.0)])
    with pytest.raises(Cancelled):
        ingest([path], cancel=lambda: True)


def test_progress_reports_each_file_and_ends_at_one(tmp_path: Path) -> None:
    a = write_track(tmp_path / "a.csv", [(VESSEL, 0, 10.0, 20.0)])
    b = write_track(tmp_path / "b.csv", [(VESSEL, 60, 10.0, 20.0)])
    seen: list[tuple[float, str]] = []
    ingest([a, b], progress=lambda f, m: seen.append((f, m)))
    assert seen[0] == (0.0, "reading a.csv")
    # Within a file, progress by bytes: each file is one piece here, read whole.
    size_a = a.stat().st_size
    assert seen[1] == (0.425, "reading a.csv: 0 of 0 MB") and size_a < 500_000
    assert seen[2] == (0.425, "reading b.csv")
    assert seen[3] == (0.85, "reading b.csv: 0 of 0 MB")
    assert seen[-1] == (1.0, "done")
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)


# --- vessels and statics -------------------------------------------------------------------


def test_vessels_hold_latest_static_values_and_history_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
        "Length,Width,Draft,Cargo,TransceiverClass\n"
        "445123456,2026-03-01T00:10:00,39.0,125.0,0.0,0.0,511,OLD NAME,IMO9000001,HMAA,70,5,"
        "100,20,,,A\n"
        "445123456,2026-03-01T00:00:00,39.0,125.0,0.0,0.0,511,OLD NAME,IMO9000001,HMAA,70,5,"
        "100,20,,,A\n"
        "445123456,2026-03-01T00:20:00,39.0,125.0,0.0,0.0,511,NEW NAME,IMO9000001,,70,5,"
        "100,20,,,A\n"
        "636000001,2026-03-01T00:05:00,30.0,120.0,10.0,90.0,90,,,,,0,,,,,A\n",
        encoding="utf-8",
    )
    result = ingest([path])
    statics = result.statics
    assert statics["name"].tolist() == ["OLD NAME", "NEW NAME"]
    assert statics["time"].tolist() == [T0, T0 + pd.Timedelta(minutes=20)]
    assert statics["line"].tolist() == [3, 4]
    vessels = result.vessels.set_index("mmsi")
    assert vessels.loc[445123456, "name"] == "NEW NAME"
    assert vessels.loc[445123456, "callsign"] == "HMAA"  # a later empty cell does not erase it
    assert vessels.loc[445123456, "imo"] == 9000001
    assert vessels.loc[445123456, "ship_type"] == 70
    assert vessels.loc[445123456, "length_m"] == 100.0
    assert vessels.loc[445123456, "flag"] == "KP"
    assert vessels.loc[445123456, "fixes"] == 3
    assert vessels.loc[445123456, "first_seen"] == T0
    assert vessels.loc[445123456, "last_seen"] == T0 + pd.Timedelta(minutes=20)
    assert vessels.loc[636000001, "flag"] == "LR"
    assert vessels.loc[636000001, "name"] is None
    assert pd.isna(vessels.loc[636000001, "imo"])
    assert list(result.vessels.columns) == [
        "mmsi", "imo", "name", "callsign", "ship_type", "length_m", "width_m", "destination",
        "flag", "first_seen", "last_seen", "fixes",
    ]  # fmt: skip


def test_statics_of_non_vessels_are_left_out(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(
        "mmsi,time,lat,lon,name\n"
        "992191000,2026-03-01T00:00:00Z,55.0,12.0,BUOY 1\n"
        "219000001,2026-03-01T00:00:00Z,55.0,12.0,SHIP 1\n",
        encoding="utf-8",
    )
    result = ingest([path])
    assert result.statics["mmsi"].tolist() == [219000001]
    assert result.vessels["mmsi"].tolist() == [219000001]
    assert np.array_equal(result.fixes["mmsi"].to_numpy(), np.array([219000001], dtype="uint32"))

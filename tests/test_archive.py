"""The archive (DESIGN.md §8): layout, manifest, de-duplication, idempotence, refusals, and
``check --archive`` giving the same verdicts as ``check FILES`` on the same data."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from desktop.cli import main
from desktop.core.archive import add_files, archive_info, load_for_screening
from desktop.core.archive.layout import FORMAT_VERSION
from desktop.core.errors import ArchiveError, Cancelled
from tests.archive_kit import AS_OF, CALLER, HOP1, HOP2, RENAMED, write_receivers

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_tracks" / "sample_2026.nmea.gz"
SAMPLE_AS_OF = "2026-11-01"
GRAND_FORTUNE, SEA_PIONEER, HAI_XING_8 = 353120001, 667001101, 413220301


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def check_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code, out, err = run(capsys, "check", *argv, "--format", "json")
    assert (code, err) == (0, ""), err
    return json.loads(out)


@pytest.fixture(scope="module")
def receivers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_receivers(tmp_path_factory.mktemp("receivers"))


@pytest.fixture(scope="module")
def sample_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("sample") / "ais"
    result = add_files(str(target), [SAMPLE])
    assert result.failed == []
    return target


@pytest.fixture(scope="module")
def sample_files_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("files") / "check.json"
    assert main(["check", str(SAMPLE), "--as-of", SAMPLE_AS_OF, "--format", "json",
                 "--output", str(out)]) == 0  # fmt: skip
    return json.loads(out.read_text(encoding="utf-8"))


def test_sample_check_archive_gives_the_same_vessels_json_as_check_files(
    sample_archive: Path, sample_files_json: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    from_archive = check_json(capsys, "--archive", str(sample_archive), "--as-of", SAMPLE_AS_OF)
    assert len(from_archive["vessels"]) == 47
    assert from_archive["vessels"] == sample_files_json["vessels"]
    assert [i["path"] for i in from_archive["inputs"]] == ["sample_2026.nmea.gz"]


def test_sample_info_counts_what_the_file_gave(sample_archive: Path) -> None:
    info = archive_info(str(sample_archive))
    assert {k: info[k] for k in ("time_min", "time_max", "days", "vessels", "fixes",
                                 "static_records", "files", "lines", "repeated_fixes",
                                 "rejected")} == {  # fmt: skip
        "time_min": "2026-03-01T00:00:36Z", "time_max": "2026-10-31T22:48:10Z",
        "days": 245, "vessels": 47, "fixes": 124252, "static_records": 9706, "files": 1,
        "lines": 142764, "repeated_fixes": 0, "rejected": {},
    }  # fmt: skip
    on_disk = sum(p.stat().st_size for p in sample_archive.rglob("*") if p.is_file()
                  and p.name != ".lock")  # fmt: skip
    assert info["size_bytes"] == on_disk


def test_layout_is_hive_partitioned_parquet_sorted_by_mmsi_time(sample_archive: Path) -> None:
    header = json.loads((sample_archive / "archive.json").read_text(encoding="utf-8"))
    assert (header["format"], header["version"]) == ("exposure-archive", FORMAT_VERSION)
    manifest = json.loads((sample_archive / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = manifest["files"]
    assert entry["name"] == "sample_2026.nmea.gz"
    assert entry["size_bytes"] == SAMPLE.stat().st_size
    assert entry["lines"] == 142764 and entry["fixes"] == 124252
    assert entry["accepted"] == {"fix": 124252, "fragment": 8806, "static": 9706}
    part = manifest["fixes"]["2026-07-01"]["path"]
    assert part.startswith("fixes/day=2026-07-01/") and part.endswith(".parquet")
    frame = pq.read_table(sample_archive / part).to_pandas()
    assert list(frame.columns) == ["mmsi", "time", "lat", "lon", "sog_kn", "cog_deg",
                                   "heading_deg", "nav_status", "source"]  # fmt: skip
    keys = list(zip(frame["mmsi"], frame["time"], strict=True))
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert frame["time"].min() >= pd.Timestamp("2026-07-01", tz="UTC")
    # Plain pyarrow reads the whole folder as a Hive-partitioned dataset, without our code.
    import pyarrow.dataset as ds

    whole = ds.dataset(sample_archive / "fixes", format="parquet", partitioning="hive")
    assert whole.count_rows() == 124252


def test_generated_set_check_archive_equals_check_files_in_either_add_order(
    receivers: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = receivers
    files_json = check_json(capsys, str(a), str(b), "--as-of", AS_OF)
    verdicts = {v["mmsi"]: v["verdict"] for v in files_json["vessels"]}
    assert (verdicts[CALLER], verdicts[HOP1], verdicts[HOP2], verdicts[RENAMED]) == (
        "barred", "barred", "review", "review")
    ab, ba = tmp_path / "ab", tmp_path / "ba"
    assert run(capsys, "archive", "add", str(ab), str(a), str(b))[0] == 0
    assert run(capsys, "archive", "add", str(ba), str(b))[0] == 0
    assert run(capsys, "archive", "add", str(ba), str(a))[0] == 0
    info_ab, info_ba = archive_info(str(ab)), archive_info(str(ba))
    assert info_ab.pop("archive") != info_ba.pop("archive")
    assert info_ab == info_ba
    # Each receiver's fixes, less the ones the other already gave: every fix stored once.
    assert info_ab["fixes"] == 6481 and info_ab["days"] == 21 and info_ab["vessels"] == 7
    assert info_ab["repeated_fixes"] == 2187
    for archive in (ab, ba):
        got = check_json(capsys, "--archive", str(archive), "--as-of", AS_OF)
        assert got["vessels"] == files_json["vessels"]


def _days(archive: Path) -> dict[tuple[str, str], tuple[pd.DataFrame, dict, int]]:
    """Every part of an archive: its rows, its manifest entry (less path and size) and its
    row groups."""
    manifest = json.loads((archive / "manifest.json").read_text(encoding="utf-8"))
    out = {}
    for table in ("fixes", "statics"):
        for day, entry in manifest[table].items():
            part = pq.ParquetFile(archive / entry["path"])
            same = {k: v for k, v in entry.items() if k not in ("path", "bytes")}
            out[table, day] = (part.read().to_pandas(), same, part.metadata.num_row_groups)
    return out


def test_a_day_merged_in_ranges_of_3_rows_equals_the_day_merged_whole(
    receivers: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two adds: the second merges each day's current part with the new rows, range by range.
    a, b = receivers
    whole, ranged = tmp_path / "whole", tmp_path / "ranged"
    assert add_files(str(whole), [b]).failed == [] and add_files(str(whole), [a]).failed == []
    monkeypatch.setattr("desktop.core.archive.add.MERGE_ROWS", 3)
    assert add_files(str(ranged), [b]).failed == [] and add_files(str(ranged), [a]).failed == []
    got, want = _days(ranged), _days(whole)
    assert got.keys() == want.keys() and len(want) == 21 + 2  # 21 days of fixes, 2 of statics
    for key, (frame, entry, _) in want.items():
        pd.testing.assert_frame_equal(got[key][0], frame)
        assert got[key][1] == entry
    # One range per vessel at most 3 rows apart: a 7-vessel day is written as 7 row groups.
    assert {groups for _, _, groups in want.values()} == {1}
    assert max(groups for _, _, groups in got.values()) == 7
    assert archive_info(str(ranged))["fixes"] == 6481


def test_adding_the_same_file_again_changes_nothing(
    receivers: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "ais"
    assert run(capsys, "archive", "add", str(archive), str(receivers[0]))[0] == 0
    before = {p: p.read_bytes() for p in archive.rglob("*") if p.is_file()}
    copy = tmp_path / "renamed.csv"
    shutil.copy(receivers[0], copy)
    code, out, err = run(capsys, "archive", "add", str(archive), str(receivers[0]), str(copy))
    assert (code, err) == (0, "")
    assert "0 added, 2 already in the archive, 0 failed" in out
    assert {p: p.read_bytes() for p in archive.rglob("*") if p.is_file()} == before


def test_unreadable_file_is_reported_by_name_and_the_others_go_in(
    receivers: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "ais"
    missing = tmp_path / "missing.nmea"
    empty_folder = tmp_path / "nothing-here"
    empty_folder.mkdir()
    code, out, err = run(capsys, "archive", "add", str(archive), str(missing),
                         str(receivers[0]), str(empty_folder))  # fmt: skip
    assert code == 2
    assert err.splitlines() == [
        f"exposure: {missing}: no such file or folder",
        f"exposure: {empty_folder}: no track files in this folder",
    ]
    info = archive_info(str(archive))
    assert info["files"] == 1 and info["fixes"] > 0


def test_a_folder_that_is_not_an_archive_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("not an archive", encoding="utf-8")
    code, out, err = run(capsys, "archive", "info", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == f"exposure: {tmp_path}: not an archive (no archive.json)\n"
    with pytest.raises(ArchiveError, match="not empty: refusing to write"):
        add_files(str(tmp_path), [SAMPLE])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_an_archive_of_a_newer_format_version_is_refused(
    sample_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = tmp_path / "newer"
    shutil.copytree(sample_archive, newer)
    header = json.loads((newer / "archive.json").read_text(encoding="utf-8"))
    header["version"] = FORMAT_VERSION + 1
    (newer / "archive.json").write_text(json.dumps(header), encoding="utf-8")
    code, out, err = run(capsys, "check", "--archive", str(newer), "--as-of", SAMPLE_AS_OF)
    assert (code, out) == (2, "")
    assert f"archive format version {FORMAT_VERSION + 1} is newer" in err


def test_days_outside_the_screening_range_are_never_opened(
    sample_archive: Path, tmp_path: Path
) -> None:
    """Listed parts of days outside ``[as_of - 2 * 180 - 1 days, as_of]`` are made corrupt:
    the screening still works, because the partition filter never opens them; a range that
    takes in one of those days fails (so the test can fail)."""
    manifest = json.loads((sample_archive / "manifest.json").read_text(encoding="utf-8"))
    before = tmp_path / "before"
    shutil.copytree(sample_archive, before)
    for day in ("2026-03-01", "2026-03-02", "2026-03-03"):
        (before / manifest["fixes"][day]["path"]).write_bytes(b"not parquet at all")
    # as_of 2027-02-28 00:00: the range starts 361 days before, on 2026-03-04.
    late = load_for_screening(str(before), date(2027, 2, 28), 180)
    assert late.days == ("2026-03-04", "2027-02-28")
    # The sample's first fix of that day.
    assert str(late.fixes["time"].min()) == "2026-03-04 00:00:38+00:00"
    with pytest.raises(ArchiveError, match="day=2026-03-03.*Parquet magic bytes not found"):
        load_for_screening(str(before), date(2027, 2, 27), 180)

    after = tmp_path / "after"
    shutil.copytree(sample_archive, after)
    (after / manifest["fixes"]["2026-10-31"]["path"]).write_bytes(b"not parquet at all")
    early = load_for_screening(str(after), datetime(2026, 10, 30, 23, 59, tzinfo=UTC), 180)
    assert early.days == ("2025-11-03", "2026-10-30")
    with pytest.raises(ArchiveError, match="day=2026-10-31"):
        load_for_screening(str(after), datetime(2026, 10, 31, 0, 0, tzinfo=UTC), 180)


def test_screening_reads_only_the_columns_it_needs(sample_archive: Path) -> None:
    data = load_for_screening(str(sample_archive), date(2026, 11, 1), 180)
    assert data.fixes["cog_deg"].isna().all() and data.fixes["heading_deg"].isna().all()
    assert list(data.fixes["source"].cat.categories) == [sample_archive.name]
    full = load_for_screening(str(sample_archive), date(2026, 11, 1), 180,
                              all_columns=True)  # fmt: skip
    assert full.fixes["cog_deg"].notna().any()
    assert list(full.fixes["source"].cat.categories) == ["sample_2026.nmea.gz"]


def test_vessels_finds_one_hop_exposure_through_a_counterpart_not_listed(
    sample_archive: Path, sample_files_json: dict, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GRAND FORTUNE met SEA PIONEER after its Nampo call; HAI XING 8 met GRAND FORTUNE (a
    second hop). Listing only those two, by IMO and by MMSI, gives their verdicts of the whole
    screening: the unlisted counterparts were found in the archive."""
    listing = tmp_path / "vessels.txt"
    listing.write_text("# arrivals next week\nIMO 9300128\n413220301\n", encoding="utf-8")
    got = check_json(capsys, "--archive", str(sample_archive), "--as-of", SAMPLE_AS_OF,
                     "--vessels", str(listing))  # fmt: skip
    assert [v["mmsi"] for v in got["vessels"]] == [GRAND_FORTUNE, HAI_XING_8]
    expected = {v["mmsi"]: v for v in sample_files_json["vessels"]}
    assert got["vessels"] == [expected[GRAND_FORTUNE], expected[HAI_XING_8]]
    assert got["vessels"][0]["verdict"] == "barred"
    assert got["vessels"][0]["reasons"][-1]["with_mmsi"] == SEA_PIONEER
    assert got["vessels"][1]["reasons"][0]["kind"] == "sts_with_review"


def test_vessels_selection_reads_fewer_vessels_than_the_archive(sample_archive: Path) -> None:
    from desktop.core.archive import VesselList

    data = load_for_screening(str(sample_archive), date(2026, 11, 1), 180,
                              VesselList(mmsis={HAI_XING_8}))  # fmt: skip
    loaded = set(data.fixes["mmsi"].unique().tolist())
    assert data.listed == {HAI_XING_8}
    assert {HAI_XING_8, GRAND_FORTUNE, SEA_PIONEER} <= loaded
    assert len(loaded) < 44


def test_vessels_csv_with_imo_mmsi_name_columns_and_unknown_entries(
    receivers: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "ais"
    add_files(str(archive), list(receivers))
    listing = tmp_path / "arrivals.csv"
    listing.write_text("IMO,MMSI,Name,eta\n,353000003,,2026-09-25\n9300013,,,2026-09-26\n"
                       ",,NEW NAME,2026-09-27\n9300037,,,2026-09-27\n",
                       encoding="utf-8")  # fmt: skip
    code, out, err = run(capsys, "check", "--archive", str(archive), "--as-of", AS_OF,
                         "--vessels", str(listing), "--format", "json")  # fmt: skip
    assert code == 0
    assert err == ("exposure: IMO 9300037: not in the archive between 2025-09-29 and "
                   "2026-09-25\n")  # fmt: skip
    got = json.loads(out)
    assert [(v["mmsi"], v["verdict"]) for v in got["vessels"]] == [
        (HOP1, "barred"), (HOP2, "review"), (RENAMED, "review")]


def test_a_vessel_list_line_that_is_no_identifier_is_refused_with_its_line(
    sample_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "vessels.txt"
    listing.write_text("353120001\n12345\n", encoding="utf-8")
    code, out, err = run(capsys, "check", "--archive", str(sample_archive), "--vessels",
                         str(listing))  # fmt: skip
    assert (code, out) == (2, "")
    assert err == (f"exposure: {listing}: line 2: '12345' is not a 9-digit MMSI or a valid "
                   "7-digit IMO number (check digit)\n")  # fmt: skip


def test_check_needs_files_or_archive_not_both(
    sample_archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "check", str(SAMPLE), "--archive", str(sample_archive))
    assert (code, err) == (2, "exposure: check takes track files or --archive ARCHIVE (one of "
                              "the two)\n")  # fmt: skip


def test_files_left_by_an_interrupted_add_are_ignored_then_removed(
    receivers: tuple[Path, Path], tmp_path: Path
) -> None:
    archive = tmp_path / "ais"
    add_files(str(archive), [receivers[0]])
    before = archive_info(str(archive))
    stray = archive / "fixes" / "day=2026-09-02" / "part-g000009-deadbeef00.parquet"
    shutil.copy(next((archive / "fixes" / "day=2026-09-02").glob("*.parquet")), stray)
    assert archive_info(str(archive)) == before  # not listed: not read
    add_files(str(archive), [receivers[1]])
    assert not stray.exists()
    listed = json.loads((archive / "manifest.json").read_text(encoding="utf-8"))
    on_disk = {p.relative_to(archive).as_posix() for p in archive.glob("*/day=*/*")}
    assert on_disk == {part["path"] for table in ("fixes", "statics")
                       for part in listed[table].values()}  # fmt: skip


def test_info_table_and_progress_lines_on_stderr(
    receivers: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "ais"
    code, out, err = run(capsys, "archive", "add", str(archive), str(receivers[0]),
                         "--progress", "lines")  # fmt: skip
    assert code == 0
    assert out == f"{archive}: 1 added, 0 already in the archive, 0 failed; fixes 0 -> 4381\n"
    size = receivers[0].stat().st_size / 1e6
    assert err.splitlines()[-1] == (
        f"100% {size:.1f}/{size:.1f} MB read, 4,381 fixes read, 4,381 written  done"
    )
    code, out, err = run(capsys, "archive", "info", str(archive))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[1:10] == [
        "span            2026-09-01T00:00:00Z .. 2026-09-21T14:02:28Z",
        "days            21",
        "vessels         7",
        "fixes           4381",
        "static records  4",
        "files           1",
        "lines read      4382",
        "repeated fixes  0 (stored once)",
        "rejected lines  none",
    ]
    assert lines[10].startswith("size on disk    ") and lines[10].endswith(" KB")


def test_an_add_killed_while_creating_the_archive_does_not_block_the_next(
    receivers: tuple[Path, Path], tmp_path: Path
) -> None:
    """A folder holding only the lock and the temporary of an ``archive.json`` (what a kill
    during the very first write leaves) is not 'a folder that is not an archive'."""
    archive = tmp_path / "ais"
    archive.mkdir()
    (archive / ".lock").write_bytes(b"")
    (archive / ".archive.json.tmp-0123456789ab").write_bytes(b'{"format": "exposure-ar')
    (archive / ".manifest.json.tmp-0123456789ab").write_bytes(b"{")
    result = add_files(str(archive), [receivers[0]])
    assert result.added == [str(receivers[0])]
    assert sorted(p.name for p in archive.iterdir()) == [
        ".lock", "archive.json", "fixes", "manifest.json", "statics"]


def test_add_takes_folders_and_glob_patterns(
    receivers: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    by_glob, by_folder = tmp_path / "glob", tmp_path / "folder"
    pattern = str(receivers[0].parent / "receiver_*.csv")
    missing = str(tmp_path / "none_*.nmea")
    code, out, err = run(capsys, "archive", "add", str(by_glob), pattern, missing)
    assert code == 2
    assert err == f"exposure: {missing}: no file matches this pattern\n"
    assert out.startswith(f"{by_glob}: 2 added, 0 already in the archive, 1 failed")
    assert run(capsys, "archive", "add", str(by_folder), str(receivers[0].parent))[0] == 0
    glob_info, folder_info = archive_info(str(by_glob)), archive_info(str(by_folder))
    glob_info.pop("archive"), folder_info.pop("archive")
    assert glob_info == folder_info and glob_info["files"] == 2


def test_a_cancel_while_days_are_merged_leaves_the_archive_unchanged(
    receivers: tuple[Path, Path], tmp_path: Path
) -> None:
    """A cancel after the first day is merged stops the others (the child merging its share
    of the days is killed) and removes the parts already written, so the archive is as it
    was, file for file, and the same add then goes in whole."""
    archive = tmp_path / "ais"
    add_files(str(archive), [receivers[0]])
    before = archive_info(str(archive))
    files_before = sorted(p.relative_to(archive).as_posix() for p in archive.rglob("*")
                          if p.is_file())  # fmt: skip
    merged: list[str] = []

    def cancel() -> bool:
        return len(merged) > 0

    with pytest.raises(Cancelled, match="the archive is unchanged"):
        add_files(str(archive), [SAMPLE], cancel=cancel,
                  progress=lambda p: p.message.startswith("merging") and merged.append(p.message))
    assert len(merged) == 1 and merged[0].startswith("merging fixes of 2026-")
    assert archive_info(str(archive)) == before
    assert sorted(p.relative_to(archive).as_posix() for p in archive.rglob("*")
                  if p.is_file()) == files_before  # fmt: skip
    add_files(str(archive), [SAMPLE])
    fresh = tmp_path / "fresh"
    add_files(str(fresh), [receivers[0]])
    add_files(str(fresh), [SAMPLE])
    got, want = archive_info(str(archive)), archive_info(str(fresh))
    assert {k: v for k, v in got.items() if k != "archive"} == {
        k: v for k, v in want.items() if k != "archive"}  # fmt: skip

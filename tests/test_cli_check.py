"""`exposure check` end to end on a small CSV written here: exit codes, byte-identical JSON,
the JSON keys of DESIGN.md §6, the table and CSV formats."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.cli import main

BARRED, CLEAR = 351000001, 367000002


@pytest.fixture(scope="module")
def tracks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """351000001 stops at Nampo (the bundled KP zone) 30 Jun 16:00 - 3 Jul 06:00 UTC;
    367000002 sails in the Yellow Sea."""
    rows = ["mmsi,timestamp_utc,lat,lon,sog_kn"]
    rows.append(f"{BARRED},2026-06-30T12:00:00Z,38.72,125.65,10.0")
    t = datetime(2026, 6, 30, 16, tzinfo=UTC)
    while t <= datetime(2026, 7, 3, 6, tzinfo=UTC):
        rows.append(f"{BARRED},{t:%Y-%m-%dT%H:%M:%SZ},38.72,125.38,0.0")
        t += timedelta(hours=1)
    rows.append(f"{BARRED},2026-07-03T09:00:00Z,38.72,125.65,10.0")
    rows += [f"{CLEAR},2026-07-01T0{h}:00:00Z,36.0,124.0,11.0" for h in range(5)]
    path = tmp_path_factory.mktemp("check") / "tracks.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_is_byte_identical_twice_and_has_the_design_keys(
    tracks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for target in (first, second):
        code, out, err = run(capsys, str(tracks), "--as-of", "2026-11-28", "--format", "json",
                             "--output", str(target))
        assert (code, out, err) == (0, "", "")
    assert first.read_bytes() == second.read_bytes()
    doc = json.loads(first.read_text(encoding="utf-8"))
    assert list(doc) == [
        "schema", "as_of", "parameters", "inputs", "data_end", "warning", "vessels"]
    assert doc["data_end"] == "2026-07-03T09:00:00Z"
    assert doc["warning"] == ("The data ends 3 Jul 2026, 148 days before the as-of date: "
                              "verdicts reflect nothing after that.")
    assert doc["schema"] == "exposure-check/1"
    assert doc["as_of"] == "2026-11-28T00:00:00Z"
    assert doc["parameters"]["window_days"] == 180
    assert doc["parameters"]["port_stop_min_h"] == 1.0
    assert doc["parameters"]["stop_sog_kn"] == 1.0
    [source] = doc["inputs"]
    assert list(source) == ["path", "format", "lines", "fixes", "rejected"]
    assert source["fixes"] == (63 + 2) + 5  # hourly 30 Jun 16:00 - 3 Jul 06:00, 2 at sea; 5
    assert [(v["mmsi"], v["verdict"], v["barred_until"]) for v in doc["vessels"]] == [
        (BARRED, "barred", "2026-12-30T06:00:00Z"), (CLEAR, "clear", None)]
    vessel = doc["vessels"][0]
    assert list(vessel)[:8] == [
        "mmsi", "imo", "name", "callsign", "flag", "verdict", "barred_until", "reasons"]
    assert vessel["flag"] == "PA"
    call = vessel["reasons"][0]
    for key in ("kind", "zone", "locode", "country", "start", "end", "ongoing", "lat", "lon"):
        assert key in call
    assert (call["kind"], call["zone"], call["locode"], call["country"]) == (
        "port_call", "Nampo", "KPNAM", "KP")
    assert (call["start"], call["end"], call["ongoing"]) == (
        "2026-06-30T16:00:00Z", "2026-07-03T06:00:00Z", False)


def test_table_has_one_line_per_vessel_with_verdict_and_reason(
    tracks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, str(tracks), "--as-of", "2026-11-28T00:00:00Z")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        "Screening as of 28 Nov 2026 00:00 UTC, window 180 days: 2 vessels, 1 barred, "
        "0 review, 1 clear")
    barred = next(line for line in lines if line.startswith("barred"))
    assert "2026-12-30T06:00:00Z" in barred and str(BARRED) in barred
    assert "Called at Nampo (KPNAM)" in barred
    assert sum(line.startswith(("barred", "review", "clear")) for line in lines) == 2


def test_csv_one_row_per_vessel(tracks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(tracks), "--as-of", "2026-11-28", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["mmsi"], r["verdict"], r["barred_until"], r["main_reason_kind"]) for r in rows] == [
        (str(BARRED), "barred", "2026-12-30T06:00:00Z", "port_call"),
        (str(CLEAR), "clear", "", ""),
    ]


def test_as_of_after_window_turns_barred_into_clear(
    tracks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, str(tracks), "--as-of", "2026-12-30T06:00:00Z", "--format", "json")
    assert code == 0
    assert [v["verdict"] for v in json.loads(out)["vessels"]] == ["clear", "clear"]


def test_no_default_zones_finds_no_call(tracks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(tracks), "--as-of", "2026-11-28", "--no-default-zones",
                       "--format", "json")
    assert code == 0
    assert [v["verdict"] for v in json.loads(out)["vessels"]] == ["clear", "clear"]


def test_bad_as_of_exits_2_with_one_line(tracks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(tracks), "--as-of", "28/11/2026")
    assert code == 2 and out == ""
    assert err == ("exposure: --as-of '28/11/2026' is not a date (YYYY-MM-DD) or an ISO 8601 "
                   "date and time\n")


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(tmp_path / "nope.csv"))
    assert code == 2 and out == ""
    assert err.startswith("exposure: ") and "nope.csv" in err and err.count("\n") == 1


def test_bad_zone_file_exits_2_naming_it(
    tracks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "zones.geojson"
    bad.write_text("{not json", encoding="utf-8")
    code, _, err = run(capsys, str(tracks), "--zones", str(bad))
    assert code == 2 and "zones.geojson" in err and err.count("\n") == 1


def test_unknown_format_exits_2(tracks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", str(tracks), "--format", "xml"])
    assert exit_info.value.code == 2

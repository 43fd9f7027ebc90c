"""Arrivals lists (DESIGN.md §9) on hand-built lists and tracks: header aliases, IMO check
digits, unusable rows with their reasons, ETA parsing, matching IMO -> MMSI -> name, each
arrival screened as of its own ETA, no_data, and the CLI's exit status."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from screening_kit import NAMPO, Track, fixes_of, kp_zones, utc

from desktop.cli import main
from desktop.core.arrivals import read_arrivals, result_source, screen_arrivals
from desktop.core.errors import InputError
from desktop.core.screening import ingest_result_of, screen

NO_PORTS = (np.zeros(0), np.zeros(0))
SEA = (123.0, 35.0)
CALLER, SAILOR, LATE = 351000001, 412000002, 412000003
CALLER_IMO, SAILOR_IMO = 9123453, 9451018  # valid check digits


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def screened():
    """CALLER stops at Nampo 1 Jul 04:00 - 2 Jul 04:00 (barred until 29 Dec 04:00) and is heard
    hourly at sea until 1 Oct; SAILOR sails from 1 Sep to 1 Oct; LATE is first heard 1 Oct."""
    lon, lat = NAMPO
    caller = (Track(CALLER).at("2026-07-01 00:00", lon + 0.3, lat, 10.0)
              .every("2026-07-01 04:00", "2026-07-02 04:00", 60, lon, lat, 0.0)
              .every("2026-07-02 08:00", "2026-10-01 00:00", 360, *SEA, 10.0))
    sailor = Track(SAILOR).every("2026-09-01 00:00", "2026-10-01 00:00", 360, *SEA, 10.0)
    late = Track(LATE).every("2026-10-01 00:00", "2026-10-02 00:00", 360, *SEA, 10.0)
    vessels = pd.DataFrame({
        "mmsi": pd.Series([CALLER, SAILOR, LATE], dtype="uint32"),
        "imo": pd.Series([CALLER_IMO, SAILOR_IMO, None], dtype="Int64"),
        "name": ["EAST STAR", "West  Wind", "LATE ONE"],
    })
    ingested = ingest_result_of(fixes_of(caller, sailor, late), vessels=vessels)
    return screen(ingested, kp_zones(), as_of=utc("2026-10-02 00:00"), known_ports=NO_PORTS)


def test_header_aliases_are_case_insensitive_and_ignore_punctuation(tmp_path: Path) -> None:
    listed = read_arrivals(_write(tmp_path / "a.csv", (
        "Ship Name;IMO No.;mmsi;Expected Arrival;UN/LOCODE\n"
        "EAST STAR;9123453;;2026-09-01;USLAX\n")))
    assert listed.columns == {"name": "Ship Name", "imo": "IMO No.", "mmsi": "mmsi",
                              "eta": "Expected Arrival", "port": "UN/LOCODE"}
    [a] = listed.arrivals
    assert (a.line, a.name, a.imo, a.mmsi, a.eta, a.port, a.problem) == (
        2, "EAST STAR", CALLER_IMO, None, utc("2026-09-01 00:00"), "USLAX", None)


def test_eta_forms_date_is_midnight_utc_zone_less_is_utc_offset_converted(tmp_path: Path) -> None:
    listed = read_arrivals(_write(tmp_path / "a.csv", (
        "mmsi,eta\n351000001,2026-09-01\n351000001,2026-09-01T06:30\n"
        "351000001,2026-09-01T06:30:00+02:00\n351000001,2026-09-01T06:30:00Z\n")))
    assert [a.eta for a in listed.arrivals] == [
        utc("2026-09-01 00:00"), utc("2026-09-01 06:30"), utc("2026-09-01 04:30"),
        utc("2026-09-01 06:30")]


def test_unusable_rows_are_kept_with_their_reason_and_blank_rows_skipped(tmp_path: Path) -> None:
    listed = read_arrivals(_write(tmp_path / "a.csv", (
        "imo,mmsi,name,eta\n"
        "9123450,,BAD DIGIT,2026-09-01\n"   # check digit of 912345x is 3
        ",35100001,SHORT MMSI,2026-09-01\n"
        ",,,2026-09-01\n"
        ",,\n"
        ",,NO ETA,\n"
        ",,WHEN,soon\n")))
    assert [(a.line, a.problem) for a in listed.arrivals] == [
        (2, "IMO '9123450' is not a valid IMO number (7 digits, check digit)"),
        (3, "MMSI '35100001' is not 9 digits"),
        (4, "no IMO, MMSI or name"),
        (6, "no ETA"),
        (7, "ETA 'soon' is not an ISO 8601 date (YYYY-MM-DD) or date and time"),
    ]


def test_header_without_eta_or_identifier_is_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"a\.csv: the header row \(line 1\) has no an ETA"):
        read_arrivals(_write(tmp_path / "a.csv", "imo,name\n9123453,EAST STAR\n"))
    with pytest.raises(InputError, match=r"b\.csv: .* no an IMO, MMSI or name column"):
        read_arrivals(_write(tmp_path / "b.csv", "eta,port\n2026-09-01,USLAX\n"))


def test_xlsx_list_with_date_cells(tmp_path: Path) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["IMO", "ETA"])
    sheet.append([9123453, datetime(2026, 9, 1, 6, 30)])  # noqa: DTZ001 (a spreadsheet cell)
    sheet.append([9123453, "2026-09-02"])
    book.save(tmp_path / "a.xlsx")
    listed = read_arrivals(tmp_path / "a.xlsx")
    assert [(a.imo, a.eta, a.problem) for a in listed.arrivals] == [
        (CALLER_IMO, utc("2026-09-01 06:30"), None), (CALLER_IMO, utc("2026-09-02 00:00"), None)]


def test_matching_prefers_imo_then_mmsi_then_name_and_screens_as_of_each_eta(
    screened, tmp_path: Path
) -> None:
    listed = read_arrivals(_write(tmp_path / "a.csv", (
        "imo,mmsi,name,eta\n"
        "9123453,412000002,WEST WIND,2026-12-29T03:59:59Z\n"  # IMO wins over the MMSI
        "9123453,,,2026-12-29T04:00:00Z\n"  # the bar ends exactly then: clear (and stale)
        "9451018,,,2026-09-15\n"
        "9074729,412000002,,2026-09-15\n"  # IMO not in the data: MMSI
        ",,west wind,2026-09-15\n"  # name, case and spaces ignored
        ",,NOBODY,2026-09-15\n"
        ",412000003,,2026-09-15\n"  # in the data, but heard only after the ETA
        "1234568,,,2026-09-15\n")))  # check digit of 123456x is 7
    result = screen_arrivals(listed, result_source(screened))
    got = [(line.arrival.line, line.outcome, line.match and (line.match.by, line.match.mmsi),
            line.barred_until) for line in result.lines]
    until = utc("2026-07-02 04:00") + timedelta(days=180)
    assert got == [
        (2, "barred", ("imo", CALLER), until),
        (3, "clear", ("imo", CALLER), None),
        (4, "clear", ("imo", SAILOR), None),
        (5, "clear", ("mmsi", SAILOR), None),
        (6, "clear", ("name", SAILOR), None),
        (7, "no_data", None, None),
        (8, "no_data", ("mmsi", LATE), None),
        (9, "unusable", None, None),
    ]
    lines = result.lines
    assert lines[0].as_of == utc("2026-12-29 03:59:59")
    assert lines[1].coverage is not None and lines[1].coverage.stale
    assert lines[1].reason_text().startswith("No AIS since 30 Sep 2026 (90 days before")
    assert lines[3].match is not None and lines[3].match.note == (
        "listed IMO 9074729 is not in the data (this MMSI reports IMO 9451018)")
    assert lines[4].match is not None and lines[4].match.words() == "matched by name only"
    assert lines[5].reason_text() == "no AIS for name 'NOBODY' in the data"
    assert lines[6].reason_text() == (
        "MMSI 412000003 has no AIS at or before the ETA (15 Sep 2026 00:00 UTC)")
    assert result.counts() == {"barred": 1, "review": 0, "clear": 4, "no_data": 2,
                               "unusable": 1}
    assert result.data_end == utc("2026-10-02 00:00")


def test_cli_arrivals_exit_2_for_a_bad_list_and_0_with_unusable_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tracks = _write(tmp_path / "t.csv", "mmsi,timestamp_utc,lat,lon,sog_kn\n"
                    "412000002,2026-09-01T00:00:00Z,35.0,123.0,10.0\n"
                    "412000002,2026-09-01T06:00:00Z,35.0,123.1,10.0\n")
    bad = _write(tmp_path / "bad.csv", "port\nUSLAX\n")
    assert main(["arrivals", str(bad), str(tracks)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "bad.csv" in err
    good = _write(tmp_path / "good.csv", "mmsi,eta\n412000002,2026-09-01T12:00:00Z\n,soon\n")
    assert main(["arrivals", str(good), str(tracks), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(a["verdict"], a["coverage"] and a["coverage"]["silent_h"]) for a in
            doc["arrivals"]] == [("clear", 6.0), ("unusable", None)]


def test_clearance_sheet_escapes_the_list_and_lists_every_line_with_its_as_of(
    screened, tmp_path: Path
) -> None:
    from desktop.core.clearance import to_clearance_html

    listed = read_arrivals(_write(tmp_path / "a.csv", (
        "imo,name,eta,port\n"
        "9123453,<b>EAST</b> STAR,2026-12-29T03:59:59Z,USLAX\n"
        ",NOBODY,2026-09-15,=cmd()\n"
        ",,soon,USLAX\n")))
    result = screen_arrivals(listed, result_source(screened), inputs=[
        {"path": "t.csv", "format": "csv", "fixes": 3, "sha256": "ab" * 32}])
    text = to_clearance_html(result, {2: b"\x89PNG"})
    assert "<b>EAST</b>" not in text and "&lt;b&gt;EAST&lt;/b&gt; STAR (IMO 9123453)" in text
    assert "<td>2026-12-29 03:59</td><td>USLAX</td>" in text  # the ETA is the as-of instant
    assert "Screened as of 2026-12-29T03:59:59Z." in text
    assert "BARRED until 29 Dec 2026 04:00 UTC" in text
    assert "<td class=''>no data</td><td>not established</td>" in text
    assert ("unusable row: no IMO, MMSI or name; ETA &#x27;soon&#x27; is not an ISO 8601 "
            "date") in text
    assert f"<code>{listed.sha256}</code>" in text and f"<code>{'ab' * 32}</code>" in text
    assert text.count("data:image/png;base64,") == 1  # the barred line's map only

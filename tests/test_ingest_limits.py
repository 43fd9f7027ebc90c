"""Hostile text in track files (issue #12): line ends, limits, encodings, separators, times.

Every case is read three ways that must agree: ``ingest`` (the streaming first pass, as the
CLI and the app read), ``read_file`` (the whole-file reader) and ``stream.read_raw`` in small
pieces (borders everywhere), with exact counts per outcome.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_ingest_stream import T0, assert_raw_equal, position, tag

from desktop.core.errors import ParameterError
from desktop.core.ingest import ingest, read_file
from desktop.core.ingest import stream as st
from desktop.core.ingest.limits import PIECE_MAX_LINES, ReadLimits

SENTENCES = [tag(f"c:{T0 + i * 60}") + position(412000001, 37.5, 124.5 + i * 0.001)[0]
             for i in range(6)]  # fmt: skip
HEADER = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName"
ROWS = [f"41200000{i},2023-01-0{i + 1}T00:00:00,37.5,124.5,1,2,3,NAME{i}" for i in range(5)]


def read_all_ways(path: Path, kind: str, limits: ReadLimits | None = None,
                  chunk_bytes: int = 97) -> dict:  # fmt: skip
    """The file's report from ``ingest``, checked equal to the whole-file and small-piece
    first passes."""
    limits = limits or ReadLimits()
    whole = read_file(path, limits)
    assert whole.format == kind
    assert_raw_equal(st.read_raw(path, kind, chunk_bytes=chunk_bytes, limits=limits), whole)
    report = ingest([path], limits=limits).reports[0]
    assert report.lines == whole.lines
    assert sum(report.accepted.values()) + sum(report.rejected.values()) == report.lines
    return {"lines": report.lines, "fixes": report.fixes, "accepted": report.accepted,
            "rejected": report.rejected, "first_lines": report.first_lines}  # fmt: skip


# --- line ends (item 5) ------------------------------------------------------------------------


def test_bare_cr_line_ends_nmea_read_every_sentence_as_a_line(tmp_path: Path) -> None:
    path = tmp_path / "mac.nmea"
    path.write_bytes(("\r".join(SENTENCES) + "\r").encode())
    got = read_all_ways(path, "nmea")
    assert (got["lines"], got["fixes"], got["accepted"], got["rejected"]) == (
        6, 6, {"fix": 6}, {})


def test_mixed_cr_lf_crlf_line_ends_nmea_lose_no_sentence(tmp_path: Path) -> None:
    s = SENTENCES
    text = f"{s[0]}\r{s[1]}\n{s[2]}\r\n{s[3]}\r{s[4]}\n{s[5]}"
    path = tmp_path / "mixed.nmea"
    path.write_bytes(text.encode())
    got = read_all_ways(path, "nmea", chunk_bytes=7)
    assert (got["lines"], got["fixes"], got["accepted"]) == (6, 6, {"fix": 6})


def test_bare_cr_and_mixed_line_ends_csv_read_every_row(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        (HEADER + "\r" + ROWS[0] + "\r\n" + ROWS[1] + "\n" + ROWS[2] + "\r" + ROWS[3] + "\r"
         + ROWS[4] + "\r").encode()  # fmt: skip
    )
    got = read_all_ways(path, "csv-noaa", chunk_bytes=11)
    assert (got["lines"], got["fixes"], got["accepted"], got["rejected"]) == (
        6, 5, {"header": 1, "fix": 5}, {})


def test_gzip_file_with_bare_cr_split_across_pieces(tmp_path: Path) -> None:
    path = tmp_path / "mac.nmea.gz"
    path.write_bytes(gzip.compress(("\r".join(SENTENCES)).encode()))
    got = read_all_ways(path, "nmea", chunk_bytes=5)
    assert (got["lines"], got["fixes"]) == (6, 6)


# --- time outside what pandas holds (item 3) ----------------------------------------------------


def test_csv_time_9999_placeholder_and_year_1500_reject_only_their_rows(tmp_path: Path) -> None:
    path = tmp_path / "placeholder.csv"
    bad = ["412000007,9999-12-31T00:00:00,37,124,1,2,3,X",
           "412000008,1500-01-01 00:00:00,37,124,1,2,3,X"]  # fmt: skip
    path.write_text("\n".join([HEADER, *ROWS[:2], *bad, *ROWS[2:]]) + "\n")
    got = read_all_ways(path, "csv-noaa")
    assert (got["lines"], got["fixes"], got["accepted"], got["rejected"]) == (
        8, 5, {"header": 1, "fix": 5}, {"time_out_of_range": 2})
    assert got["first_lines"]["time_out_of_range"] == [4, 5]


def test_csv_epoch_number_beyond_2262_rejects_only_that_row(tmp_path: Path) -> None:
    path = tmp_path / "epoch.csv"
    # 1e20 is taken as milliseconds (above EPOCH_MS_ABOVE): the year 3 billion.
    path.write_text("mmsi,time,lat,lon\n412000001,1672531200,37.5,124.5\n"
                    "412000002,1e20,37.5,124.5\n412000003,1672531260,37.5,124.6\n")
    got = read_all_ways(path, "csv")
    assert (got["lines"], got["fixes"], got["rejected"]) == (4, 2, {"time_out_of_range": 1})


def test_parquet_time_9999_rejects_only_that_row(tmp_path: Path) -> None:
    path = tmp_path / "placeholder.parquet"
    pq.write_table(pa.table({
        "mmsi": [412000001, 412000002, 412000003, 412000004],
        "time": pa.array([1672531200, 253402214400, 1672531260, -14831769600],
                         pa.timestamp("s", tz="UTC")),  # 2023, 9999-12-31, 2023, 1500-01-01
        "lat": [37.5, 37.5, 37.6, 37.7], "lon": [124.5, 124.5, 124.6, 124.7],
    }), path)  # fmt: skip
    report = ingest([path]).reports[0]
    assert (report.lines, report.fixes, report.accepted, report.rejected) == (
        4, 2, {"fix": 2}, {"time_out_of_range": 2})
    assert report.first_lines["time_out_of_range"] == [2, 4]


# --- the longest line and field (items 4, 8) -----------------------------------------------------


def test_field_over_16_mb_rejects_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "bigfield.csv"
    big = "y" * (17 << 20)
    row = f'412000009,2023-01-01T00:00:00,37,124,1,2,3,"{big}"'
    path.write_text("\n".join([HEADER, *ROWS[:2], row, *ROWS[2:]]) + "\n")
    report = ingest([path]).reports[0]
    assert (report.lines, report.fixes, report.accepted, report.rejected) == (
        7, 5, {"header": 1, "fix": 5}, {"line_too_long": 1})
    assert report.first_lines["line_too_long"] == [4]
    whole = read_file(path)
    assert dict(whole.tally.rejected) == {"line_too_long": 1}


def test_nmea_line_over_the_limit_rejected_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "long.nmea"
    path.write_text("\n".join([*SENTENCES[:2], "X" * 500, *SENTENCES[2:]]) + "\n")
    got = read_all_ways(path, "nmea", ReadLimits(max_line_bytes=200), chunk_bytes=64)
    assert (got["lines"], got["fixes"], got["accepted"], got["rejected"]) == (
        7, 6, {"fix": 6}, {"line_too_long": 1})
    assert got["first_lines"] == {"line_too_long": [3]}


def test_last_line_over_the_limit_without_newline_counted_once(tmp_path: Path) -> None:
    path = tmp_path / "longlast.nmea"
    path.write_text("\n".join([*SENTENCES[:2], "X" * 500]))
    got = read_all_ways(path, "nmea", ReadLimits(max_line_bytes=200), chunk_bytes=64)
    assert (got["lines"], got["fixes"], got["rejected"]) == (3, 2, {"line_too_long": 1})


def test_line_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "edge.nmea"
    limit = len(SENTENCES[0].encode())
    path.write_text("\n".join(SENTENCES) + "\n")
    got = read_all_ways(path, "nmea", ReadLimits(max_line_bytes=limit))
    assert (got["lines"], got["fixes"], got["rejected"]) == (6, 6, {})
    got = read_all_ways(path, "nmea", ReadLimits(max_line_bytes=limit - 1))
    assert (got["lines"], got["fixes"], got["rejected"]) == (6, 0, {"line_too_long": 6})


def test_quoted_field_spanning_a_million_lines_rejected_line_by_line(tmp_path: Path) -> None:
    """A closed quoted value over the record limit: every physical line of it is rejected,
    and the rows after it are read (quickly: the work is linear in the file)."""
    path = tmp_path / "quoted.csv"
    spanning = '412000009,2023-01-01T00:00:00,37,124,1,2,3,"' + "ab\n" * 1_000_000 + '"'
    path.write_text("\n".join([HEADER, *ROWS[:2], spanning, *ROWS[2:]]) + "\n")
    report = ingest([path]).reports[0]
    assert (report.lines, report.fixes, report.accepted, report.rejected) == (
        1_000_007, 5, {"header": 1, "fix": 5}, {"line_too_long": 1_000_001})
    assert report.first_lines["line_too_long"] == [4, 5, 6, 7, 8]


def test_unclosed_quote_is_cut_at_the_limit_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "unclosed.csv"
    lines = [HEADER, ROWS[0], '412000009,2023-01-01T00:00:00,37,124,1,2,3,"open', *ROWS[1:]]
    path.write_text("\n".join(lines) + "\n")
    got = read_all_ways(path, "csv-noaa", ReadLimits(max_line_bytes=120), chunk_bytes=50)
    # The quote never closes: the record runs to the end of the file, every line of it
    # (lines 3 to 7) is rejected, and memory held stays within the limit.
    assert (got["lines"], got["fixes"], got["accepted"], got["rejected"]) == (
        7, 1, {"header": 1, "fix": 1}, {"line_too_long": 5})
    assert got["first_lines"]["line_too_long"] == [3, 4, 5, 6, 7]


@pytest.mark.parametrize("chunk_bytes", [3, 7, 64, 1 << 20])
def test_quoted_record_over_the_limit_gives_the_same_lines_in_any_pieces(
    tmp_path: Path, chunk_bytes: int
) -> None:
    path = tmp_path / "quoted.csv"
    spanning = '412000009,2023-01-01T00:00:00,37,124,1,2,3,"' + "a,b\n" * 40 + 'end"'
    path.write_text("\n".join([HEADER, ROWS[0], spanning, *ROWS[1:]]) + "\n")
    got = read_all_ways(path, "csv-noaa", ReadLimits(max_line_bytes=100), chunk_bytes)
    assert (got["lines"], got["fixes"], got["accepted"], got["rejected"]) == (
        47, 5, {"header": 1, "fix": 5}, {"line_too_long": 41})
    assert got["first_lines"]["line_too_long"] == [3, 4, 5, 6, 7]


# --- file limits (item 9) ------------------------------------------------------------------------


def test_text_past_max_file_bytes_rejected_as_past_file_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.nmea.gz"
    path.write_bytes(gzip.compress(("\n".join(SENTENCES) + "\n").encode()))
    limit = len(SENTENCES[0]) * 2 + 2 + 10  # two lines and a bit of the third
    got = read_all_ways(path, "nmea", ReadLimits(max_file_bytes=limit), chunk_bytes=40)
    assert (got["lines"], got["fixes"], got["rejected"]) == (6, 2, {"past_file_limit": 4})
    assert got["first_lines"]["past_file_limit"] == [3, 4, 5, 6]


def test_lines_past_max_lines_rejected_as_past_file_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n")
    got = read_all_ways(path, "csv-noaa", ReadLimits(max_lines=4), chunk_bytes=30)
    assert (got["lines"], got["fixes"], got["accepted"], got["rejected"]) == (
        6, 3, {"header": 1, "fix": 3}, {"past_file_limit": 2})


def test_blank_lines_beyond_one_piece_counted_exactly(tmp_path: Path) -> None:
    path = tmp_path / "blank.nmea"
    blank = PIECE_MAX_LINES + 100
    path.write_bytes(SENTENCES[0].encode() + b"\n" * (blank + 1) + SENTENCES[1].encode() + b"\n")
    report = ingest([path]).reports[0]
    assert (report.lines, report.fixes, report.accepted, report.rejected) == (
        blank + 2, 2, {"fix": 2}, {"not_ais": blank})
    assert report.first_lines["not_ais"] == [2, 3, 4, 5, 6]


def test_read_limits_must_be_positive() -> None:
    with pytest.raises(ParameterError, match="max_line_bytes"):
        ReadLimits(max_line_bytes=0)


# --- encodings and separators (item 15) ----------------------------------------------------------


@pytest.mark.parametrize("separator", [";", "\t"])
def test_semicolon_and_tab_separated_csv_read(tmp_path: Path, separator: str) -> None:
    path = tmp_path / "sep.csv"
    path.write_text("\n".join(line.replace(",", separator) for line in [HEADER, *ROWS]) + "\n")
    got = read_all_ways(path, "csv-noaa", chunk_bytes=40)
    assert (got["lines"], got["fixes"], got["accepted"], got["rejected"]) == (
        6, 5, {"header": 1, "fix": 5}, {})


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_csv_with_bom_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "u16.csv"
    text = "\r\n".join([HEADER, *ROWS]) + "\r\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    got = read_all_ways(path, "csv-noaa", chunk_bytes=33)
    assert (got["lines"], got["fixes"], got["accepted"], got["rejected"]) == (
        6, 5, {"header": 1, "fix": 5}, {})

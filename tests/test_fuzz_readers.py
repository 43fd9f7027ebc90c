"""Fuzzing every reader with hypothesis (issue #12): NMEA, CSV, Parquet, zones, watch list.

For any bytes, a reader either reads (every line counted once: ``sum(accepted) +
sum(rejected) == lines``; the streaming and whole-file readers agree, wherever the pieces are
cut) or refuses with the core's one exception type (``ExposureError``), never anything else.
The inputs are drawn near the formats (mutated valid lines, headers, quotes, odd line ends,
long fields), where the bugs live, and also as raw bytes.

In the suite each property runs a few seconds (``SUITE_EXAMPLES`` examples). ``make fuzz``
sets ``EXPOSURE_FUZZ=1``: each then runs ``FUZZ_EXAMPLES`` examples (about ten minutes in
all on the reference machine), under a ``timeout`` of thirty minutes that fails the run if
anything hangs.
"""

from __future__ import annotations

import gzip
import io
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_ingest_stream import T0, assert_raw_equal, position, tag

from desktop.core.errors import ExposureError
from desktop.core.ingest import ingest, read_file
from desktop.core.ingest import stream as streaming
from desktop.core.ingest.limits import ReadLimits

FUZZ = os.environ.get("EXPOSURE_FUZZ") == "1"
# Examples per property: a few seconds each in the suite; under ``make fuzz`` about 100 s
# each on the reference machine (ten minutes over the six).
FUZZ_EXAMPLES = {"nmea": 460, "csv": 800, "bytes": 900, "parquet": 1800, "zones": 4600,
                 "watchlist": 9000}  # fmt: skip
SUITE_EXAMPLES = 12


def fuzz_settings(reader: str) -> settings:
    """No deadline, and no shrinking: a failing example is printed as drawn (shrinking one
    took minutes)."""
    return settings(
        max_examples=FUZZ_EXAMPLES[reader] if FUZZ else SUITE_EXAMPLES, deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )  # fmt: skip


NMEA_LINES = [tag(f"c:{T0 + i}") + position(412000000 + i, 37.5, 124.5)[0] for i in range(4)]
CSV_HEADER = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName"
CSV_ROW = "412000001,2023-01-01T00:00:00,37.5,124.5,1,2,3,NAME"
ENDS = st.sampled_from(["\n", "\r\n", "\r", ""])
JUNK = st.sampled_from(['"', ",", ";", "\t", "\\", "!", "*", "$PGHP,1", "9999-12-31", "\x00",
                        "\ufeff", "x" * 300, '""', "1e400", "-1", "NaN"])  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, lines: list[str]) -> str:
    """Valid lines cut, joined by any line end, with junk put in."""
    out = []
    for _ in range(draw(st.integers(0, 12))):
        line = draw(st.sampled_from(lines))
        if draw(st.booleans()):
            at = draw(st.integers(0, len(line)))
            line = line[:at] + draw(JUNK) + line[at + draw(st.integers(0, 3)):]
        out.append(line + draw(ENDS))
    return "".join(out)


def text_bytes(draw: st.DrawFn, text: str) -> bytes:
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    return gzip.compress(data) if draw(st.booleans()) else data


def check_text_file(data: bytes, name: str, chunk_bytes: int, max_line_bytes: int) -> None:
    limits = ReadLimits(max_line_bytes=max_line_bytes)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        whole = read_file(path, limits)
        assert whole.tally.total == whole.lines
        if whole.format == "nmea" or whole.format.startswith("csv"):
            got = streaming.read_raw(path, whole.format, chunk_bytes=chunk_bytes, limits=limits)
            assert_raw_equal(got, whole)
        report = ingest([path], limits=limits).reports[0]
        assert sum(report.accepted.values()) + sum(report.rejected.values()) == report.lines
        assert "reader_error" not in report.rejected, report.notes


@fuzz_settings("nmea")
@given(st.data(), st.integers(1, 64), st.integers(8, 400))
def test_fuzz_nmea_reader(data: st.DataObject, chunk_bytes: int, max_line: int) -> None:
    text = data.draw(mutated(NMEA_LINES))
    check_text_file(text_bytes(data.draw, text), "f.nmea", chunk_bytes, max_line)


@fuzz_settings("csv")
@given(st.data(), st.integers(1, 64), st.integers(8, 400))
def test_fuzz_csv_reader(data: st.DataObject, chunk_bytes: int, max_line: int) -> None:
    sep = data.draw(st.sampled_from([",", ";", "\t"]))
    body = data.draw(mutated([CSV_ROW, '412000002,2023-01-01T00:01:00,37,124,,,,"A\nB"']))
    text = CSV_HEADER.replace(",", sep) + data.draw(ENDS) + body.replace(",", sep)
    check_text_file(text_bytes(data.draw, text), "f.csv", chunk_bytes, max_line)


@fuzz_settings("bytes")
@given(st.binary(max_size=600), st.integers(1, 64))
def test_fuzz_any_bytes_as_a_track_file(raw: bytes, chunk_bytes: int) -> None:
    check_text_file(raw, "f.dat", chunk_bytes, 1 << 20)


@fuzz_settings("parquet")
@given(st.data())
def test_fuzz_parquet_reader(data: st.DataObject) -> None:
    n = data.draw(st.integers(0, 6))
    times = data.draw(st.lists(st.one_of(st.none(), st.integers(-(2**62), 2**62)),
                               min_size=n, max_size=n))  # fmt: skip
    unit = data.draw(st.sampled_from(["s", "ms", "us", "ns"]))
    mmsi = data.draw(st.lists(st.one_of(st.none(), st.integers(-(2**40), 2**40)),
                              min_size=n, max_size=n))  # fmt: skip
    coords = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
    lat = data.draw(st.lists(coords, min_size=n, max_size=n))
    lon = data.draw(st.lists(coords, min_size=n, max_size=n))
    limit = {"s": 2**33, "ms": 2**43, "us": 2**53, "ns": 2**62}[unit]  # pyarrow's own range
    table = pa.table({
        "mmsi": pa.array(mmsi, pa.int64()),
        "time": pa.array([None if t is None else t % limit for t in times], pa.timestamp(unit)),
        "lat": pa.array(lat, pa.float64()), "lon": pa.array(lon, pa.float64()),
    })  # fmt: skip
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    raw = buffer.getvalue()
    if data.draw(st.booleans()):  # a damaged file
        at = data.draw(st.integers(0, len(raw)))
        raw = raw[:at] + data.draw(st.binary(max_size=8)) + raw[at + 8 :]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.parquet"
        path.write_bytes(raw)
        report = ingest([path]).reports[0]
        assert sum(report.accepted.values()) + sum(report.rejected.values()) == report.lines
        assert "reader_error" not in report.rejected, report.notes


ZONE_DOC = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
            '{"name":"Z"},"geometry":{"type":"Polygon","coordinates":[[[124,37],[125,37],'
            '[125,38],[124,38],[124,37]]]}}]}')  # fmt: skip


@fuzz_settings("zones")
@given(st.data())
def test_fuzz_zones_reader(data: st.DataObject) -> None:
    from desktop.core.zones import load_zones

    text = ZONE_DOC
    for _ in range(data.draw(st.integers(0, 4))):
        at = data.draw(st.integers(0, len(text)))
        junk = data.draw(st.sampled_from(
            ["[", "]", "{", "}", ",", '"', "0", "-181", "1e999", "null", '"x"', "[[", "]]",
             '"name":5', "NaN", "\x00", ":"]))  # fmt: skip
        text = text[:at] + junk + text[at + data.draw(st.integers(0, 4)) :]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "z.geojson"
        path.write_text(text, encoding="utf-8", errors="replace")
        try:
            zones = load_zones([path], include_defaults=False)
        except ExposureError:
            return
        assert len(zones.frame) >= 1


SDN_ROW = ('36,"PAEKTUSAN",vessel,"DPRK",-0- ,"HMTX","Cargo",-0- ,-0- ,"Korea, North",-0- ,'
           '"Vessel Registration Identification IMO 8405402; MMSI 445074000."')  # fmt: skip


@fuzz_settings("watchlist")
@given(st.data())
def test_fuzz_watchlist_reader(data: st.DataObject) -> None:
    from desktop.core.watchlist import load_watchlist

    text = data.draw(mutated([SDN_ROW, SDN_ROW.replace("36", "37").replace("PAEKTUSAN", "X")]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sdn.csv"
        path.write_bytes(text_bytes(data.draw, text))
        try:
            watchlist = load_watchlist([path])
        except ExposureError:
            return
        assert watchlist is not None


# Found by ``make fuzz``: stray quotes inside values. The guard and ``record_layout`` cut
# records by one quote rule (a quote next to a delimiter opened or closed a value) and pyarrow
# parsed by another, so the whole-file reader numbered pyarrow's rows by position (a fix on
# line 4, continued_row 2) and the streaming reader, cut elsewhere, rejected a row the
# whole-file reader accepted. Now both cut where pyarrow does (``limits.quote_runs``).
STRAY_QUOTES = (
    CSV_HEADER + "\n"
    '412000001,2023-01-01T00:00:00,37.5,124.5,1,2,3,"A"B\n'  # quoted "A", then plain B
    '412000001,2023-01-01T00:01:00,37.5,124.5,1,2,3,"B\n'  # opens a value over a newline
    '"C,\n'  # a quote mid-value closes it; then a ninth field: a bad row
    '412000001,2023-01-01T00:02:00,37.5,124.5,1,2,3,D"E\n'  # a stray quote is plain text
)


def test_stray_quotes_mid_value_cut_the_same_records_whole_and_streamed(tmp_path: Path) -> None:
    path = tmp_path / "stray.csv"
    path.write_text(STRAY_QUOTES, encoding="utf-8")
    whole = read_file(path)
    assert (whole.format, whole.lines) == ("csv-noaa", 5)
    assert dict(whole.tally.accepted) == {"header": 1, "fix": 2, "continued_row": 1}
    assert dict(whole.tally.rejected) == {"bad_value": 1}
    assert whole.tally.first_lines["bad_value"] == [3]
    assert whole.positions["line"].tolist() == [2, 5]
    assert whole.positions["time"].tolist() == [1672531200 * 10**9, 1672531320 * 10**9]
    assert whole.statics["name"].tolist() == ["AB", 'D"E']
    assert whole.statics["line"].tolist() == [2, 5]
    for chunk_bytes in (1, 7, 64, 1 << 20):
        assert_raw_equal(streaming.read_raw(path, "csv-noaa", chunk_bytes=chunk_bytes), whole)


# Found by ``make fuzz`` once the rule was one: a header record over two physical lines (a
# quoted newline in a column name). The streaming reader put only the header's first line in
# front of later pieces, with its quote closed, while the whole-file reader parsed the whole
# record. Now both put the same one-line header in front of every piece.
HEADER_OVER_TWO_LINES = (
    'MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,"Vessel\nName"\n'
    "412000001,2023-01-01T00:00:00,37.5,124.5,1,2,3,A\n"
    "412000001,2023-01-01T00:01:00,37.5,124.5,1,2,3,B\n"
)


def test_header_record_over_two_lines_reads_the_same_whole_and_streamed(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(HEADER_OVER_TWO_LINES, encoding="utf-8")
    whole = read_file(path)
    assert (whole.format, whole.lines) == ("csv-noaa", 4)
    assert dict(whole.tally.accepted) == {"header": 1, "continued_row": 1, "fix": 2}
    assert dict(whole.tally.rejected) == {}
    assert whole.positions["line"].tolist() == [3, 4]
    assert whole.statics["name"].tolist() == ["A", "B"]
    assert whole.statics["line"].tolist() == [3, 4]
    for chunk_bytes in (1, 7, 64, 1 << 20):
        assert_raw_equal(streaming.read_raw(path, whole.format, chunk_bytes=chunk_bytes), whole)


@settings(max_examples=5000 if FUZZ else 200, deadline=None)
@given(st.lists(st.sampled_from(['"', '""', ",", "\n", "\r\n", "a"]), max_size=24))
def test_record_ends_cut_where_pyarrow_does(tokens: list[str]) -> None:
    """The guard's quote rule (``limits.record_ends``) and pyarrow agree on every record:
    as many non-blank records after the header as rows pyarrow reads or hands back as bad."""
    import numpy as np
    import pyarrow.csv as pacsv

    from desktop.core.ingest.limits import record_ends

    data = ("h1,h2\n" + "".join(tokens)).encode()
    ends = record_ends(data, True)
    if not len(ends) or ends[-1] != len(data) - 1:
        ends = np.append(ends, len(data))  # the last line, without a newline
    starts = np.concatenate(([0], ends[:-1] + 1))
    records = [data[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    ours = sum(1 for r in records if r not in (b"", b"\r")) - 1
    bad: list[int] = []

    def on_bad_row(row: object) -> str:
        bad.append(1)
        return "skip"

    table = pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(use_threads=False),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_bad_row,
                                         newlines_in_values=True),
    )  # fmt: skip
    assert ours == table.num_rows + len(bad)


# Found by ``make fuzz``: pyarrow guessed a column's type per piece, so a piece holding only
# the name 1e400 (or 007) read it as a number: "inf" (or "7") streamed, "1e400" whole.
NUMERIC_NAMES = (
    CSV_HEADER + "\n"
    "412000001,2023-01-01T00:00:00,37.5,124.5,1,2,3,1e400\n"
    "412000002,2023-01-01T00:00:00,37.5,124.5,1,2,3,007\n"
    "412000003,2023-01-01T00:00:00,37.5,124.5,1,2,3,A\n"
)


def test_static_names_that_look_like_numbers_stay_text_whole_and_streamed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "names.csv"
    path.write_text(NUMERIC_NAMES, encoding="utf-8")
    whole = read_file(path)
    assert whole.statics["name"].tolist() == ["1e400", "007", "A"]
    assert whole.statics["line"].tolist() == [2, 3, 4]
    assert dict(whole.tally.accepted) == {"header": 1, "fix": 3}
    for chunk_bytes in (1, 7, 64, 1 << 20):
        assert_raw_equal(streaming.read_raw(path, whole.format, chunk_bytes=chunk_bytes), whole)

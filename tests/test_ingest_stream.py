"""The streaming readers give exactly what the whole-file readers give, wherever pieces are cut.

Two levels are compared: the first pass (``stream.read_raw``: positions, statics, line tally,
notes) against ``read_file``, with chunk borders at every byte offset of small hand-built
files; and the whole stream (``stream_file``: cleaned fixes, statics, report) against the
whole-file ingest of one file, on every corpus track file and on generated files, with the
cleaning buckets forced small so that rows go through the on-disk spill.
"""

from __future__ import annotations

import gzip
import os
import random
import tempfile
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import CORPUS_TRACK_FILES
from nmea_kit import checksum, tag
from pyais import encode_dict

from desktop.core.errors import Cancelled
from desktop.core.ingest import ingest, read_file
from desktop.core.ingest import stream as st
from desktop.core.ingest.assemble import assemble
from desktop.core.ingest.base import RawRead
from desktop.core.ingest.prefetch import can_fork

T0 = 1_700_000_000  # 2023-11-14T22:13:20Z


def pghp(stamp: pd.Timestamp, ref: str = "00") -> str:
    body = (
        f"PGHP,1,{stamp.year},{stamp.month},{stamp.day},{stamp.hour},{stamp.minute},"
        f"{stamp.second},0,219,1,2190047,1,{ref}"
    )
    return f"${body}*{checksum(body)}"


def position(mmsi: int, lat: float, lon: float, **kw: object) -> list[str]:
    msg = {"type": 1, "mmsi": mmsi, "status": 0, "speed": 10.0, "lon": lon, "lat": lat,
           "course": 90.0, "heading": 90}  # fmt: skip
    return encode_dict(msg, talker_id="AI", sentence_type="VDM", **kw)


def static5(mmsi: int, name: str, seq: int = 1) -> list[str]:
    msg = {"type": 5, "mmsi": mmsi, "imo": 9234567, "callsign": "ABCD", "shipname": name,
           "ship_type": 70, "to_bow": 100, "to_stern": 20, "to_port": 10, "to_starboard": 10,
           "destination": "BUSAN"}  # fmt: skip
    return encode_dict(msg, talker_id="AI", sentence_type="VDM", seq_id=seq)


def write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_bytes(end.join(lines).encode("latin-1") + end.encode())
    return path


def whole_ingest(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, object]:
    """Today's whole-file reader and cleaning of one file."""
    raw = read_file(path)
    if raw.tally.total != raw.lines:
        raw.notes.append(f"line accounting is off: {raw.tally.total} counted for {raw.lines} lines")
    result = assemble([path], [raw], 50.0)
    return result.fixes, result.statics, result.reports[0]


def streamed(path: Path, mapped: bool = False,
             **kw: object) -> tuple[pd.DataFrame, pd.DataFrame, object]:  # fmt: skip
    """The stream's chunks joined; ``mapped``: through ``map_chunks`` (half the buckets
    cleaned in a forked child, their chunks sent back), not plain iteration."""
    stream = st.stream_file(path, **kw)  # type: ignore[arg-type]
    chunks = list(stream.map_chunks(lambda chunk: chunk) if mapped else stream)
    for chunk in chunks:  # each chunk sorted by (mmsi, time) on its own
        keys = chunk.fixes[["mmsi", "time"]]
        assert keys.equals(keys.sort_values(["mmsi", "time"], ignore_index=True))
        assert chunk.bytes_read == chunk.bytes_total == path.stat().st_size
    fixes = pd.concat([c.fixes for c in chunks], ignore_index=True)
    fixes = fixes.sort_values(["mmsi", "time"], ignore_index=True)
    statics = pd.concat([c.statics for c in chunks], ignore_index=True)
    return fixes, statics, stream.report


def assert_stream_equals_whole(path: Path, mapped: bool = False, **kw: object) -> None:
    fixes, statics, report = streamed(path, mapped, **kw)
    w_fixes, w_statics, w_report = whole_ingest(path)
    pd.testing.assert_frame_equal(fixes, w_fixes, check_exact=True)
    order = ["mmsi", "time", "line"]
    statics = statics.sort_values(order, ignore_index=True, na_position="first")
    w_statics = w_statics.sort_values(order, ignore_index=True, na_position="first")
    if len(w_statics):
        pd.testing.assert_frame_equal(statics, w_statics, check_exact=True)
    else:  # the whole-file table's empty source column has no category at all
        assert statics.empty
    assert report.to_json() == w_report.to_json()


def assert_raw_equal(got: RawRead, want: RawRead) -> None:
    by_line = ["line"]
    pd.testing.assert_frame_equal(
        got.positions.sort_values(by_line, ignore_index=True),
        want.positions.sort_values(by_line, ignore_index=True),
        check_exact=True,
        check_dtype=False,  # mmsi: uint32 (NMEA) either way, int64 (CSV) either way
    )
    pd.testing.assert_frame_equal(
        got.statics.sort_values(["mmsi", "time", "line"], ignore_index=True),
        want.statics.sort_values(["mmsi", "time", "line"], ignore_index=True),
        check_exact=True,
    )
    assert (got.lines, got.format, got.notes) == (want.lines, want.format, want.notes)
    assert dict(got.tally.accepted) == dict(want.tally.accepted)
    assert dict(got.tally.rejected) == dict(want.tally.rejected)
    assert got.tally.first_lines == want.tally.first_lines


def near_line_ends(data: bytes) -> list[int]:
    """Offsets within two bytes of every line end, and the middle of every line."""
    ends = [i for i, byte in enumerate(data) if byte == 10]
    starts = [0, *(e + 1 for e in ends)]
    near = {o for e in ends for o in range(e - 1, e + 3)}
    near |= {(a + b) // 2 for a, b in zip(starts, ends, strict=False)}
    return sorted(o for o in near if 0 < o < len(data))


def assert_every_border(path: Path, kind: str, monkeypatch: pytest.MonkeyPatch,
                        offsets: list[int] | None = None) -> None:  # fmt: skip
    """read_raw equals read_file with a piece border at every byte offset of the file (or at
    ``offsets``): the content cut in two there; and with a border every 7 bytes.

    The margin is one line, so every line that can be committed is committed at once: only
    the carried state (multipart parts, $PGHP links, lone tag blocks) keeps the result exact.
    """
    monkeypatch.setattr(st, "MARGIN_LINES", 1)
    want = read_file(path)
    assert_raw_equal(st.read_raw(path, kind, chunk_bytes=7), want)
    data = path.read_bytes()
    for offset in offsets or range(1, len(data)):
        halves = [(data[:offset], offset), (data[offset:], len(data))]
        monkeypatch.setattr(st, "_blocks", lambda *_args, h=halves: iter(h))
        got = st.read_raw(path, kind, chunk_bytes=len(data))
        try:
            assert_raw_equal(got, want)
        except AssertionError as exc:
            raise AssertionError(f"border at byte {offset}: {exc}") from exc


# --- NMEA: a border at every byte of small files ------------------------------------------------


def test_border_inside_a_multipart_pair_joined_like_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = static5(412000001, "PAIR ONE")
    path = write(tmp_path / "pair.nmea", [
        tag(f"c:{T0}") + position(412000001, 37.5, 124.5)[0],
        tag(f"c:{T0 + 1}") + first,
        second,
        tag(f"c:{T0 + 70}") + position(412000001, 37.5, 124.51)[0],
    ])  # fmt: skip
    want = read_file(path)
    assert dict(want.tally.accepted) == {"fix": 2, "static": 1, "fragment": 1}
    assert want.statics["name"].tolist() == ["PAIR ONE"]
    assert_every_border(path, "nmea", monkeypatch)


def test_border_between_a_pghp_line_and_its_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = pd.Timestamp(T0, unit="s", tz="UTC")
    a = position(412000002, 37.5, 124.5)[0]
    b = position(412000002, 37.6, 124.5)[0]
    path = write(tmp_path / "pghp.nmea", [
        pghp(t), a,
        pghp(t + pd.Timedelta(minutes=10), b[-2:]), b,  # names the checksum of b
        pghp(t + pd.Timedelta(minutes=20)),  # nothing follows: orphan
    ])  # fmt: skip
    want = read_file(path)
    assert dict(want.tally.accepted) == {"fix": 2, "timestamp": 2}
    assert dict(want.tally.rejected) == {"orphan_timestamp": 1}
    assert want.tally.first_lines == {"orphan_timestamp": [5]}
    assert_every_border(path, "nmea", monkeypatch, near_line_ends(path.read_bytes()))


def test_border_inside_a_tag_block_group_whose_halves_are_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = static5(412000003, "GROUPED", seq=3)
    path = write(tmp_path / "group.nmea", [
        tag(f"g:1-2-77,c:{T0}") + first,
        tag(f"c:{T0 + 5}") + position(412000004, 37.0, 124.0)[0],
        tag("g:2-2-77") + second,
        tag(f"g:1-2-78,c:{T0}") + first,  # never completed: orphan
    ])  # fmt: skip
    want = read_file(path)
    assert dict(want.tally.accepted) == {"fix": 1, "static": 1, "fragment": 1}
    assert want.tally.first_lines == {"orphan_fragment": [4]}
    assert want.statics["line"].tolist() == [3]
    assert_every_border(path, "nmea", monkeypatch, near_line_ends(path.read_bytes()))


def test_border_after_a_lone_tag_block_and_inside_crlf_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "lone.nmea", [
        tag(f"c:{T0}"),
        position(412000005, 37.0, 124.0)[0],
        "junk",
        "",
        f"{T0 + 60} " + position(412000005, 37.0, 124.01)[0],  # a leading epoch
    ], end="\r\n")  # fmt: skip
    want = read_file(path)
    assert dict(want.tally.accepted) == {"fix": 2, "timestamp": 1}
    assert dict(want.tally.rejected) == {"not_ais": 2}
    monkeypatch.setattr(st, "MARGIN_LINES", 1)
    for chunk_bytes in (1, 2, 5, 17, 18, 19, 20, 40, 77):  # 19: just after the lone tag block
        assert_raw_equal(st.read_raw(path, "nmea", chunk_bytes=chunk_bytes), want)


def test_gzip_input_cut_at_many_compressed_offsets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = static5(412000006, "ZIPPED")
    lines = [tag(f"c:{T0}") + first, second, tag(f"c:{T0}") + position(412000006, 37, 124)[0]]
    path = tmp_path / "z.nmea.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    monkeypatch.setattr(st, "MARGIN_LINES", 1)
    want = read_file(path)
    assert dict(want.tally.accepted) == {"fix": 1, "static": 1, "fragment": 1}
    for chunk_bytes in (1, 3, 8, 21, 55, 144):
        assert_raw_equal(st.read_raw(path, "nmea", chunk_bytes=chunk_bytes), want)


def test_truncated_gzip_keeps_what_decompressed_with_the_same_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [tag(f"c:{T0 + k}") + position(412000007, 37, 124 + k / 1000)[0] for k in range(300)]
    packed = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "cut.nmea.gz"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    want = read_file(path)
    assert want.notes[0].startswith("gzip data broken after ")
    monkeypatch.setattr(st, "MARGIN_LINES", 1)
    for chunk_bytes in (100, 4096):
        assert_raw_equal(st.read_raw(path, "nmea", chunk_bytes=chunk_bytes), want)


# --- CSV: a border at every byte ----------------------------------------------------------------

NOAA_HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)


def noaa_row(mmsi: int, when: str, lat: float, lon: float, name: str = "ALPHA") -> str:
    return f"{mmsi},{when},{lat},{lon},10.0,90.0,511,{name},IMO9234567,ABCD,70,0,120,20,5,,A"


def test_border_inside_a_quoted_csv_field_keeps_the_record_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "quoted.csv", [
        "mmsi,time,lat,lon,name",
        f'412000010,{T0},37.0,124.0,"A, B\nC"',
        "1,2,3",
        f"412000011,{T0},37.1,124.0,D",
    ])  # fmt: skip
    want = read_file(path)
    assert want.lines == 5
    assert dict(want.tally.accepted) == {"header": 1, "fix": 2, "continued_row": 1}
    assert want.tally.first_lines == {"bad_value": [4]}
    assert want.positions["line"].tolist() == [2, 5]
    assert want.statics["name"].tolist() == ["A, B\nC", "D"]
    data = path.read_bytes()
    inside = data.index(b'"A, B')
    offsets = sorted(set(near_line_ends(data)) | set(range(inside, inside + 9)))
    assert_every_border(path, "csv", monkeypatch, offsets)


def test_a_stray_quote_inside_a_value_does_not_open_a_quoted_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "stray.csv", [
        "mmsi,time,lat,lon,name",
        f"412000014,{T0},37.0,124.0,5'6\" BOAT",
        f"412000014,{T0 + 600},37.01,124.0,5'6\" BOAT",
        f"412000015,{T0},37.1,124.0,OTHER",
    ])  # fmt: skip
    want = read_file(path)
    assert dict(want.tally.accepted) == {"header": 1, "fix": 3}
    assert want.statics["name"].tolist() == ['5\'6" BOAT', "OTHER"]
    monkeypatch.setattr(st, "MARGIN_LINES", 1)
    for chunk_bytes in (1, 30, 60, 1000):
        assert_raw_equal(st.read_raw(path, "csv", chunk_bytes=chunk_bytes), want)


def test_latin1_csv_read_as_latin1_in_every_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [NOAA_HEADER, noaa_row(412000012, "2023-11-14T22:00:00", 37.0, 124.0, "CAFÉ")]
    rows += [noaa_row(412000012, f"2023-11-14T23:{k:02d}:00", 37.0, 124.0) for k in range(3)]
    rows.append(noaa_row(412000013, "2023-11-14T23:30:00", 37.0, 124.0, "SÃO"))
    path = write(tmp_path / "latin1.csv", rows)  # written as Latin-1: not UTF-8
    want = read_file(path)
    assert "CAFÉ" in want.statics["name"].tolist()
    monkeypatch.setattr(st, "MARGIN_LINES", 1)
    for chunk_bytes in (1, 50, 200, 10_000):
        assert_raw_equal(st.read_raw(path, "csv-noaa", chunk_bytes=chunk_bytes), want)


# --- Whole streams: cleaning by bucket ----------------------------------------------------------


def _nmea_track_file(path: Path, seed: int, gz: bool = False) -> Path:
    """Vessels in time order with duplicates (the same sentence twice), jumps, multipart
    statics, $PGHP-stamped and tag-block-stamped sentences, and junk."""
    rng = random.Random(seed)
    lines: list[str] = []
    vessels = [412100000 + k for k in range(12)]
    where = {m: (37.0 + rng.random(), 124.0 + rng.random()) for m in vessels}
    for step in range(150):
        t = T0 + 60 * step
        m = rng.choice(vessels)
        lat, lon = where[m]
        lat += 0.01
        where[m] = (lat, lon)
        if rng.random() < 0.05:
            lat += 5.0  # an implausible jump (not kept as the vessel's position)
        sentence = position(m, round(lat, 5), round(lon, 5))[0]
        roll = rng.random()
        if roll < 0.3:
            lines += [pghp(pd.Timestamp(t, unit="s", tz="UTC")), sentence]
        else:
            lines.append(tag(f"c:{t}") + sentence)
        if roll > 0.9:
            lines.append(lines[-1])  # heard twice: a duplicate
        if rng.random() < 0.05:
            first, second = static5(m, f"SHIP {m % 100}", seq=step % 10)
            lines += [tag(f"c:{t}") + first, second]
        if rng.random() < 0.03:
            lines.append("# a comment")
    text = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(text) if gz else text)
    return path


@pytest.mark.parametrize("mapped", [False, True], ids=["iterated", "map_chunks"])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_nmea_stream_with_spilled_buckets_equals_whole_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gz: bool, mapped: bool
) -> None:
    path = _nmea_track_file(tmp_path / ("t.nmea.gz" if gz else "t.nmea"), seed=1, gz=gz)
    monkeypatch.setattr(st, "MARGIN_LINES", 21)
    monkeypatch.setattr(st, "BUCKET_INPUT_BYTES", 2048)  # several buckets on disk
    _, _, report = whole_ingest(path)
    assert report.rejected["duplicate"] > 0 and report.rejected["implausible_jump"] > 0
    assert_stream_equals_whole(path, mapped, chunk_bytes=700)
    # And ingest(), which reads NMEA through the same first pass, gives the same fixes.
    fixes, _, _ = streamed(path, chunk_bytes=700)
    pd.testing.assert_frame_equal(ingest([path]).fixes, fixes, check_exact=True)


@pytest.mark.parametrize("mapped", [False, True], ids=["iterated", "map_chunks"])
def test_unsorted_csv_with_duplicates_and_jumps_across_pieces_equals_whole_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mapped: bool
) -> None:
    rng = random.Random(5)
    rows = []
    for k in range(400):
        m = 412200000 + k % 9
        minute = rng.randrange(0, 24 * 60)
        when = pd.Timestamp(T0, unit="s") + pd.Timedelta(minutes=minute)
        lat = 37.0 + minute / 10_000 + (4.0 if k % 37 == 0 else 0.0)  # some jumps
        name = "ALPHA" if (minute // 300) % 2 == 0 else '"BRAVO, TWO"'  # static changes
        rows.append(noaa_row(m, when.strftime("%Y-%m-%dT%H:%M:%S"), round(lat, 5), 124.0, name))
    rows += rng.sample(rows, 40)  # duplicates anywhere in the file
    rng.shuffle(rows)
    rows.insert(100, "")
    rows.insert(200, "not,a,row")
    path = write(tmp_path / "unsorted.csv", [NOAA_HEADER, *rows])
    _, statics, report = whole_ingest(path)
    assert report.rejected["duplicate"] >= 40 and report.rejected["implausible_jump"] > 0
    assert len(statics) > 9  # names change back and forth: a record per change
    monkeypatch.setattr(st, "BUCKET_INPUT_BYTES", 4096)
    for chunk_bytes in (333, 1 << 20):
        assert_stream_equals_whole(path, mapped, chunk_bytes=chunk_bytes)


def _corpus_chunk(path: Path) -> int:
    # Small files are cut every 4 KiB; big ones about 25 times (keeps the suite fast).
    return max(4096, path.stat().st_size // 25)


@pytest.mark.parametrize("name", CORPUS_TRACK_FILES)
def test_stream_equals_whole_file_ingest_on_corpus(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = corpus / name
    # exactEarth's $PGHP lines match their sentence by arrival time up to 125 lines away.
    monkeypatch.setattr(st, "MARGIN_LINES", 200)
    monkeypatch.setattr(st, "BUCKET_INPUT_BYTES", max(path.stat().st_size // 3, 4096))
    assert_stream_equals_whole(path, chunk_bytes=_corpus_chunk(path))


def test_margin_below_the_arrival_time_reach_is_not_exact(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why the margin matters: exactEarth's arrival-time matches reach 125 lines, so a margin
    of 21 lines loses some; the default covers them."""
    path = corpus / "amsa/exact-earth-augmented-2.txt"
    assert st.MARGIN_LINES > 125
    monkeypatch.setattr(st, "MARGIN_LINES", 21)
    got = st.read_raw(path, "nmea", chunk_bytes=2048)
    want = read_file(path)
    assert got.tally.accepted["timestamp"] < want.tally.accepted["timestamp"]


# --- API ----------------------------------------------------------------------------------------


def test_parquet_is_read_whole_as_one_chunk(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "mmsi": [412300001, 412300001], "time": pd.to_datetime([T0, T0 + 600], unit="s", utc=True),
        "lat": [37.0, 37.01], "lon": [124.0, 124.0],
    })  # fmt: skip
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)
    stream = st.stream_file(path)
    chunks = list(stream)
    assert len(chunks) == 1 and stream.format == "parquet"
    assert chunks[0].fixes["lat"].tolist() == [37.0, 37.01]
    assert stream.report.fixes == 2 and stream.report.lines == 2


def test_cancel_stops_the_stream(tmp_path: Path) -> None:
    path = _nmea_track_file(tmp_path / "t.nmea", seed=2)
    with pytest.raises(Cancelled):
        list(st.stream_file(path, chunk_bytes=1024, cancel=lambda: True))


def test_progress_is_reported_by_bytes_within_a_file(tmp_path: Path) -> None:
    path = _nmea_track_file(tmp_path / "t.nmea", seed=3)
    size = path.stat().st_size
    seen: list[tuple[float, str]] = []
    ingest_mod = __import__("desktop.core.ingest", fromlist=["INGEST_CHUNK_BYTES"])
    old = ingest_mod.INGEST_CHUNK_BYTES
    ingest_mod.INGEST_CHUNK_BYTES = size // 4 + 1
    try:
        ingest([path], progress=lambda f, m: seen.append((f, m)))
    finally:
        ingest_mod.INGEST_CHUNK_BYTES = old
    reading = [(f, m) for f, m in seen if m.startswith("reading t.nmea: ")]
    assert len(reading) == 5  # four pieces and the empty last one
    fractions = [f for f, _ in reading]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(0.85)
    assert np.isclose(fractions[0], 0.85 * (size // 4 + 1) / size)


# --- the read-ahead: a piece parsed alone, then joined to the lines carried before it ----------

def assert_join_equals_parse(carry: bytes, rest: bytes) -> None:
    buf = carry + rest
    want = st.nmea_lines.parse(buf)
    got = st._join_fast(buf, len(carry), st.nmea_lines.parse(rest))
    for name in st.nmea_lines.ARRAYS:
        a, b = getattr(want, name), getattr(got, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert got.tag_bad == want.tag_bad
    assert got.buf.tobytes() == buf


def test_a_piece_joined_to_its_carried_lines_reads_as_the_joined_text(corpus: Path) -> None:
    """The worker parses a piece alone; joined to the carried lines in front of it, the fast
    lines (every array, its dtype, the bad tag blocks) are those of one parse of the two."""
    rnd = random.Random(8)
    for name in ("dma_aislib/stream_example.txt", "amsa/exact-earth-with-tag-block.txt",
                 "libais/tagblock.nmea"):
        lines = (corpus / name).read_bytes().split(b"\n")
        for _ in range(12):
            a = rnd.randrange(len(lines))
            b = rnd.randrange(a, min(len(lines), a + 300))
            carry = b"".join(line + b"\n" for line in lines[a:b])
            assert_join_equals_parse(carry, b"\n".join(lines[b : b + rnd.randrange(400)]))


def test_a_carried_lone_tag_block_hands_the_pieces_first_sentence_to_the_loop() -> None:
    sentence = position(412000005, 37.0, 124.0)[0].encode()
    stamp = tag(f"c:{T0}").encode()
    for carry in (stamp + b"\n", stamp + b"\r\n", sentence + b"\n" + stamp + b"\n\n\n"):
        assert_join_equals_parse(carry, sentence + b"\n" + sentence + b"\n")
        got = st._join_fast(carry + sentence, len(carry), st.nmea_lines.parse(sentence))
        assert not got.fast[-1]  # the sentence the lone tag block stamps: read by the loop
    # White space after the tag block, blank lines before the piece's first sentence: the join
    # reads them as one parse of the two does, whatever that parse makes of them.
    for carry in (stamp + b"\r\r\n", stamp + b" \n", b" " + stamp + b"\n"):
        for rest in (sentence + b"\n", b"\n\r\n" + sentence, b"  \n" + sentence):
            assert_join_equals_parse(carry, rest)
    # A tag block with a sentence behind it is not alone: the next piece's line stays fast.
    carry = stamp + sentence + b"\n"
    got = st._join_fast(carry + sentence, len(carry), st.nmea_lines.parse(sentence))
    assert got.fast.tolist() == [True, True]


def test_a_caller_that_stops_after_one_chunk_stops_every_worker_and_removes_the_spills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-ahead, scan and cleaning threads end, and the bucket spills are removed, when
    the caller stops early (an error of its own, a cancel): nothing keeps running or stays."""
    path = _nmea_track_file(tmp_path / "t.nmea", seed=2, gz=False)
    spill_root = tmp_path / "tmp"
    spill_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill_root))
    monkeypatch.setattr(st, "BUCKET_INPUT_BYTES", 2048)  # several buckets on disk
    stream = iter(st.stream_file(path, chunk_bytes=700))
    next(stream)
    assert [p.name for p in spill_root.iterdir()][0].startswith("exposure-stream-")
    stream.close()
    assert list(spill_root.iterdir()) == []
    workers = [t.name for t in threading.enumerate() if t.name.endswith(path.name)]
    assert workers == []


def test_map_chunks_cleans_every_other_bucket_in_a_child_and_calls_fn_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not can_fork():
        pytest.skip("no fork here: map_chunks cleans every bucket in this process")
    path = _nmea_track_file(tmp_path / "t.nmea", seed=2, gz=False)
    monkeypatch.setattr(st, "BUCKET_INPUT_BYTES", 2048)
    buckets = st._bucket_count(path, path.stat().st_size)
    assert buckets >= 4
    seen = list(st.stream_file(path).map_chunks(lambda chunk: (os.getpid(), len(chunk.fixes))))
    here = [n for pid, n in seen if pid == os.getpid()]
    there = [n for pid, n in seen if pid != os.getpid()]
    assert (len(here), len(there)) == ((buckets + 1) // 2, buckets // 2)
    assert sum(here) + sum(there) == whole_ingest(path)[2].fixes

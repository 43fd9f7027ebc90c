"""The NMEA reader against the real third-party files in ../shared/corpus.

Expected values come from the upstream files: gpsd's own decode (``sample.aivdm.js.chk``),
libais's JSON (``typeexamples.json``, ``tagblock.json``), the time fields written in the lines
themselves, and pyais (an independent decoder) for every position report.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pyais
import pytest
from conftest import CORPUS_NMEA_FILES
from pyais.messages import NMEASentenceFactory

from desktop.core.ingest import nmea_lines
from desktop.core.ingest.base import RawRead
from desktop.core.ingest.nmea import decode_messages, read_nmea

pytestmark = pytest.mark.corpus

NMEA_FILES = CORPUS_NMEA_FILES
POSITION_TYPES = (1, 2, 3, 18, 19, 27)


def _text_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    lines = data.decode("latin-1").split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _utc(ns: int) -> pd.Timestamp:
    return pd.Timestamp(ns, unit="ns", tz="UTC")


def _sentence(line: str) -> str:
    """The bare NMEA sentence of a line: tag block and fields after the checksum removed."""
    start = line.index("!")
    star = line.index("*", start)
    return line[start : star + 3]


# --- every file ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NMEA_FILES)
def test_every_nmea_corpus_file_counts_each_physical_line_once(corpus: Path, name: str) -> None:
    path = corpus / name
    read = read_nmea(path)
    assert read.lines == len(_text_lines(path))
    assert read.tally.total == read.lines
    assert read.format == "nmea"
    assert len(read.positions) == read.tally.accepted["fix"]
    # Positions are only emitted with a time and a decoded position.
    assert (read.positions["time"] > 0).all()
    assert read.positions[["lat", "lon"]].notna().all().all()


@pytest.mark.parametrize(
    "name",
    [
        "gpsd/sample.aivdm",
        "libais/test.aivdm",
        "libais/typeexamples.nmea",
        "libais/tagblock.nmea",
        "dma_aislib/stream_example.txt",
        pytest.param("amsa/ais.txt.gz", marks=pytest.mark.slow),  # 34,000 pyais decodes
        "amsa/exact-earth-augmented-2.txt",
        "amsa/exact-earth-with-tag-block.txt",
        "amsa/korea_japan_box_subset.nmea",
        "amsa/nmea-timestamped.txt",
        "pyais/tests_nmea_data_sample.txt",
        "signalk/nais400-merrimac.log",
    ],
)
def test_every_position_report_equals_pyais_decode(corpus: Path, name: str) -> None:
    """The vectorised decoder and pyais agree on every position report, field by field."""
    path = corpus / name
    lines = _text_lines(path)
    ours = decode_messages(path)
    assert len(ours) > 0
    for row in ours.itertuples():
        sentence = _sentence(lines[row.line - 1])
        assert sentence.split(",")[1] == "1", "position reports here are single-part"
        msg = pyais.decode(sentence).asdict()
        assert msg["msg_type"] == row.msg_type
        assert msg["mmsi"] == row.mmsi
        # pyais rounds degrees to 6 decimals.
        assert round(row.lat, 6) == pytest.approx(msg["lat"], abs=1e-9), row.line
        assert round(row.lon, 6) == pytest.approx(msg["lon"], abs=1e-9), row.line
        sog = 63.0 if row.msg_type == 27 and np.isnan(row.sog_kn) else row.sog_kn
        assert sog == pytest.approx(msg["speed"], abs=1e-4), row.line
        assert row.cog_deg == pytest.approx(msg["course"], abs=1e-4), row.line
        if row.msg_type != 27:
            assert row.heading_deg == msg["heading"], row.line
        if row.msg_type in (1, 2, 3, 27):
            assert row.nav_status == int(msg["status"]), row.line
        else:
            assert np.isnan(row.nav_status)


def test_pyais_decodes_no_position_report_that_the_reader_loses(corpus: Path) -> None:
    """Each checksum-valid, single-part position report pyais decodes is in ours (test.aivdm)."""
    path = corpus / "libais/test.aivdm"
    lines = _text_lines(path)
    ours = set(decode_messages(path)["line"])
    read = read_nmea(path)
    missing = []
    for no, line in enumerate(lines, start=1):
        if not line.startswith("!") or line.split(",")[1] != "1":
            continue
        sentence = NMEASentenceFactory.produce(_sentence(line).encode())
        if not sentence.is_valid:
            continue
        kind = pyais.decode(_sentence(line)).msg_type
        if kind in POSITION_TYPES and no not in ours:
            missing.append(no)
    # The only position reports we do not decode are the short type 27s, counted truncated.
    assert all(lines[n - 1].split(",")[5][0] == "K" for n in missing)
    assert len(missing) == read.tally.rejected["truncated"] == 7


# --- gpsd ----------------------------------------------------------------------------------------


def _gpsd(corpus: Path) -> list[dict]:
    text = (corpus / "gpsd/sample.aivdm.js.chk").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_gpsd_position_reports_equal_gpsd_decode(corpus: Path) -> None:
    expected = [d for d in _gpsd(corpus) if d["type"] in POSITION_TYPES]
    ours = decode_messages(corpus / "gpsd/sample.aivdm")
    assert len(ours) == len(expected) == 12
    for row, want in zip(ours.itertuples(), expected, strict=True):
        assert row.msg_type == want["type"]
        assert row.mmsi == want["mmsi"]
        # gpsd prints 1/10000 minute positions with 7 decimals, type 27's 1/10 minute with 4.
        decimals = 4 if want["type"] == 27 else 7
        assert round(row.lat, decimals) == want["lat"], row.line
        assert round(row.lon, decimals) == want["lon"], row.line
        assert round(float(row.sog_kn), 1) == want["speed"], row.line
        assert round(float(row.cog_deg), 1) == want["course"], row.line
        if "heading" in want:
            assert row.heading_deg == want["heading"]
        if "status" in want:
            assert row.nav_status == want["status"]


def test_gpsd_position_reports_have_no_time_so_count_no_timestamp(corpus: Path) -> None:
    read = read_nmea(corpus / "gpsd/sample.aivdm")
    assert decode_messages(corpus / "gpsd/sample.aivdm")["time"].isna().all()
    assert len(read.positions) == 0
    assert read.tally.rejected["no_timestamp"] == 12
    assert read.tally.accepted["fix"] == 0


def test_gpsd_static_reports_equal_gpsd_decode(corpus: Path) -> None:
    statics = read_nmea(corpus / "gpsd/sample.aivdm").statics
    for want in _gpsd(corpus):
        if want["type"] not in (5, 24):
            continue
        rows = statics[statics["mmsi"] == want["mmsi"]]
        named = rows[rows["name"] == want["shipname"]]
        assert len(named) >= 1
        with_call = rows[rows["callsign"] == want["callsign"]]
        assert len(with_call) >= 1
        row = with_call.iloc[0]
        assert row["ship_type"] == want["shiptype"]
        assert row["length_m"] == want["to_bow"] + want["to_stern"]
        assert row["width_m"] == want["to_port"] + want["to_starboard"]
        if want["type"] == 5:
            imo = None if want["imo"] == 0 else want["imo"]  # 0 = not available
            assert (pd.isna(row["imo"]) and imo is None) or row["imo"] == imo
            assert row["destination"] == (want["destination"] or None)


def test_gpsd_comment_lines_are_not_ais(corpus: Path) -> None:
    path = corpus / "gpsd/sample.aivdm"
    lines = _text_lines(path)
    read = read_nmea(path)
    # Every '#' comment or blank line, plus the one sentence that lost its '!'.
    expected = sum(1 for line in lines if not line.strip() or line.startswith("#"))
    expected += sum(1 for line in lines if line.startswith("AIVDM"))
    assert read.tally.rejected["not_ais"] == expected == 1003


# --- libais: USCG N-AIS trailing epochs, tag-block groups ----------------------------------------


def test_typeexamples_positions_equal_libais_json_and_times_come_from_last_field(
    corpus: Path,
) -> None:
    path = corpus / "libais/typeexamples.nmea"
    lines = _text_lines(path)
    expected = [json.loads(line) for line in (corpus / "libais/typeexamples.json").open()]
    read = read_nmea(path)
    want = [(n, d) for n, d in enumerate(expected, start=1) if d["type"] in POSITION_TYPES]
    assert list(read.positions["line"]) == [n for n, _ in want] == [2, 4, 6, 11, 21]
    for row, (no, d) in zip(read.positions.itertuples(), want, strict=True):
        assert row.mmsi == d["mmsi"]
        # libais keeps float32 values.
        assert row.lat == pytest.approx(d["lat"], rel=1e-6)
        assert row.lon == pytest.approx(d["lon"], rel=1e-6)
        assert row.sog_kn == pytest.approx(d["speed"], rel=1e-6)
        assert row.cog_deg == pytest.approx(d["course"], rel=1e-6)
        if "heading" in d:
            assert row.heading_deg == d["heading"]
        assert row.time == int(lines[no - 1].rsplit(",", 1)[1]) * 10**9
    assert _utc(read.positions["time"].iloc[0]) == pd.Timestamp("2012-01-01T05:00:01Z")


def test_uscg_test_aivdm_every_fix_is_stamped_from_the_last_field(corpus: Path) -> None:
    path = corpus / "libais/test.aivdm"
    lines = _text_lines(path)
    read = read_nmea(path)
    assert len(read.positions) == 34
    for row in read.positions.itertuples():
        assert row.time == int(lines[row.line - 1].rsplit(",", 1)[1]) * 10**9


def test_tagblock_type5_halves_not_adjacent_are_joined_through_g_group(corpus: Path) -> None:
    path = corpus / "libais/tagblock.nmea"
    expected = [json.loads(line) for line in (corpus / "libais/tagblock.json").open()]
    want5 = next(d for d in expected if d["type"] == 5)
    read = read_nmea(path)
    assert len(read.statics) == 1
    static = read.statics.iloc[0]
    assert static["mmsi"] == want5["mmsi"] == 219005012
    assert static["name"] == want5["shipname"] == "ROSINANTE"
    assert static["callsign"] == want5["callsign"] == "XPD5019"
    assert want5["imo"] == "0" and pd.isna(static["imo"])  # IMO 0 = not available
    assert static["line"] == 3  # the second half, two lines after the first
    assert static["time"] == pd.Timestamp(want5["tagblock_timestamp"])
    assert read.tally.accepted == {"fix": 3, "static": 1, "fragment": 1}


def test_tagblock_positions_are_stamped_from_c_field(corpus: Path) -> None:
    expected = [json.loads(line) for line in (corpus / "libais/tagblock.json").open()]
    want = [d for d in expected if d["type"] == 1]
    read = read_nmea(corpus / "libais/tagblock.nmea")
    assert len(read.positions) == len(want) == 3
    for row, d in zip(read.positions.itertuples(), want, strict=True):
        assert _utc(row.time) == pd.Timestamp(d["tagblock_timestamp"])
        assert row.lat == pytest.approx(d["lat"], rel=1e-6)
        assert row.lon == pytest.approx(d["lon"], rel=1e-6)


# --- DMA AisLib: $PGHP ---------------------------------------------------------------------------


def _pghp_time(line: str) -> pd.Timestamp:
    f = line.split("*")[0].split(",")
    y, mo, d, h, mi, s, ms = (int(x) for x in f[2:9])
    return pd.Timestamp(year=y, month=mo, day=d, hour=h, minute=mi, second=s, tz="UTC") + (
        pd.Timedelta(milliseconds=ms)
    )


def test_dma_stream_every_fix_is_stamped_from_its_pghp_line(corpus: Path) -> None:
    path = corpus / "dma_aislib/stream_example.txt"
    lines = _text_lines(path)
    read = read_nmea(path)
    assert len(read.positions) > 2900
    assert read.tally.rejected["no_timestamp"] == 0
    for row in read.positions.itertuples():
        before = lines[row.line - 2]
        assert before.startswith("$PGHP,")
        assert _utc(row.time) == _pghp_time(before)
    times = pd.to_datetime(read.positions["time"], unit="ns", utc=True)
    assert times.min() >= pd.Timestamp("2010-06-11T11:46:10Z")
    assert times.max() <= pd.Timestamp("2010-06-11T11:46:39Z")


def test_dma_stream_reads_dash_dash_talker(corpus: Path) -> None:
    path = corpus / "dma_aislib/stream_example.txt"
    lines = _text_lines(path)
    read = read_nmea(path)
    dashes = [n for n, line in enumerate(lines, start=1) if line.startswith("!--VDM")]
    assert len(dashes) == 18
    # They are type 8 binary broadcasts: valid AIS, not positions.
    assert read.tally.rejected["not_ais"] == 0
    assert read.tally.rejected["bad_checksum"] == 0
    assert read.tally.accepted["other_ais"] >= 18


def test_dma_stream_every_pghp_line_stamps_the_message_after_it(corpus: Path) -> None:
    path = corpus / "dma_aislib/stream_example.txt"
    lines = _text_lines(path)
    read = read_nmea(path)
    pghp = sum(1 for line in lines if line.startswith("$PGHP"))
    assert pghp == 4051
    assert read.tally.accepted["timestamp"] == pghp
    assert "orphan_timestamp" not in read.tally.rejected
    # Multipart statics too: the $PGHP line stands before the first part.
    for row in read.statics.itertuples():
        first = row.line  # 1-based line of the first part
        while lines[first - 1].split(",")[2] != "1":
            first -= 1
        assert row.time == _pghp_time(lines[first - 2])


def test_dma_small_cb_example_lone_tag_block_and_broken_parts(corpus: Path) -> None:
    path = corpus / "dma_aislib/small_cb_example.txt"
    lines = _text_lines(path)
    read = read_nmea(path)
    assert read.lines == 27
    # DMA's own test asserts every packet of this file has a time: so do we, for every fix.
    assert len(read.positions) == 5
    assert read.tally.rejected["no_timestamp"] == 0
    # "\c:1354719388*56\" on its own line stamps the !BSVDM on the next line.
    lone = lines.index("\\c:1354719388*56\\")
    row = read.positions[read.positions["line"] == lone + 2].iloc[0]
    assert _utc(row.time) == pd.Timestamp(1354719388, unit="s", tz="UTC")
    # The NMEA 4.0 group "1G2:0125" / "2G2:0125" joins a type 5, timed by its c: field.
    grouped = read.statics[read.statics["line"] == 14].iloc[0]
    assert lines[12].startswith("\\1G2:0125,c:1354719387")
    assert grouped["mmsi"] == 211235170 and grouped["destination"] == "BREMERHAVEN"
    assert grouped["time"] == pd.Timestamp(1354719387, unit="s", tz="UTC")
    # A second trailing field that is not a number does not hide the last one.
    second = read.positions[read.positions["line"] == 2].iloc[0]
    assert _utc(second.time) == pd.Timestamp(1357134222, unit="s", tz="UTC")
    # "!BSVDO,2,2,2,A,0000,0*0F" has no first part.
    assert read.tally.rejected["orphan_fragment"] == 1
    assert lines[read.tally.first_lines["orphan_fragment"][0] - 1].startswith("!BSVDO,2,2,2")
    assert read.tally.rejected["not_ais"] == 6  # 5 blank lines and "$PFOO,INVALID"
    assert read.tally.accepted["timestamp"] == 5  # four $PGHP lines and the lone tag block


def test_dma_retry_example_broken_tags_and_orphans(corpus: Path) -> None:
    read = read_nmea(corpus / "dma_aislib/retry_example.txt")
    assert read.lines == 11
    assert dict(read.tally.rejected) == {"orphan_fragment": 2, "no_timestamp": 3}
    assert dict(read.tally.accepted) == {"static": 2, "fragment": 3, "other_ais": 1}


# --- AMSA ----------------------------------------------------------------------------------------


def test_amsa_every_tag_block_checksum_wrong_fields_used_when_sentence_valid(corpus: Path) -> None:
    path = corpus / "amsa/nmea-timestamped.txt"
    lines = _text_lines(path)
    read = read_nmea(path)
    assert read.lines == 100
    assert dict(read.tally.accepted) == {"fix": 100}
    assert not read.tally.rejected
    assert any(
        note.startswith("100 tag block(s) with a wrong tag-block checksum") for note in read.notes
    )
    for row in read.positions.itertuples():
        c = lines[row.line - 1].split("c:")[1].split("*")[0]
        assert row.time == int(c) * 10**9
    assert _utc(read.positions["time"].min()) == pd.Timestamp(1420030797, unit="s", tz="UTC")


def test_amsa_ais_txt_gz_junk_and_instrument_lines_are_counted(corpus: Path) -> None:
    path = corpus / "amsa/ais.txt.gz"
    lines = _text_lines(path)
    read = read_nmea(path)
    assert read.lines == 44687
    dollar = sum(1 for line in lines if line.startswith("$"))
    assert dollar == 10431
    pghp = sum(1 for line in lines if line.startswith("$PGHP"))
    assert read.tally.accepted["timestamp"] + read.tally.rejected["orphan_timestamp"] == pghp
    not_vdm = sum(1 for line in lines if line.startswith("!") and line[3:6] not in ("VDM", "VDO"))
    assert not_vdm == 227  # !AIPWR device status sentences
    assert read.tally.rejected["not_ais"] == dollar - pghp + not_vdm
    cut = sum(1 for line in lines if line[3:6] in ("VDM", "VDO") and "*" not in line)
    assert read.tally.rejected["truncated"] >= cut
    # Only the lines with an epoch after the checksum have a time.
    timed = [
        line for line in lines if line.startswith("!") and "*" in line and line.split("*")[1][2:]
    ]
    assert len(timed) == 855
    assert read.tally.accepted["fix"] <= len(timed)
    assert read.tally.rejected["no_timestamp"] > 20000
    for row in read.positions.itertuples():
        assert row.time == int(lines[row.line - 1].rsplit(",", 1)[1]) * 10**9
    assert read.tally.total == read.lines


def test_amsa_exact_earth_trailing_ms_and_pghp(corpus: Path) -> None:
    path = corpus / "amsa/exact-earth-augmented-2.txt"
    lines = _text_lines(path)
    read = read_nmea(path)
    assert read.tally.rejected["no_timestamp"] == 0
    pghp = {
        no: (_pghp_time(line), int(line.rsplit(",", 1)[1]), line.split("*")[0].rsplit(",", 1)[1])
        for no, line in enumerate(lines, start=1)
        if line.startswith("$PGHP")
    }
    by_pghp = 0
    for row in read.positions.itertuples():
        line = lines[row.line - 1]
        trailing_ms = int(line.rsplit(",", 1)[1])
        stamped = _utc(row.time)
        if stamped != pd.Timestamp(trailing_ms, unit="ms", tz="UTC"):
            # Stamped by a $PGHP line (satellite detection time): the one just before it,
            # or one that names this sentence's checksum and arrived within 1 s of it.
            checksum = line.split("*")[1][:2]
            just_before = pghp.get(row.line - 1)
            assert (just_before is not None and just_before[0] == stamped) or any(
                t == stamped and ref == checksum and abs(arrival - trailing_ms) <= 1000
                for t, arrival, ref in pghp.values()
            ), row.line
            by_pghp += 1
    assert by_pghp > 400


def test_amsa_exact_earth_tag_block_groups_join(corpus: Path) -> None:
    read = read_nmea(corpus / "amsa/exact-earth-with-tag-block.txt")
    assert read.lines == 221
    assert dict(read.tally.accepted) == {"fix": 178, "static": 21, "fragment": 21, "other_ais": 1}
    assert not read.tally.rejected
    first = read.statics.iloc[0]
    assert first["line"] == 2 and first["time"] == pd.Timestamp(1334337317, unit="s", tz="UTC")


def test_amsa_korea_japan_positions_lie_off_korea_and_japan(corpus: Path) -> None:
    path = corpus / "amsa/korea_japan_box_subset.nmea"
    lines = _text_lines(path)
    read = read_nmea(path)
    assert read.lines == 132
    assert dict(read.tally.accepted) == {"fix": 114, "static": 13, "other_ais": 5}
    ok = read.positions[(read.positions["lat"] < 91) & (read.positions["lon"] < 181)]
    assert ok["lat"].between(20, 50).all() and ok["lon"].between(115, 150).all()
    for row in read.positions.itertuples():
        assert row.time == int(lines[row.line - 1].rsplit(",", 1)[1]) * 10**9


# --- pyais and Signal K fixtures -----------------------------------------------------------------


def test_pyais_empty_payloads_are_truncated(corpus: Path) -> None:
    path = corpus / "pyais/tests_nmea_data_sample.txt"
    lines = _text_lines(path)
    read = read_nmea(path)
    empty = sum(1 for line in lines if ",,0*" in line)
    assert empty == 100
    assert read.tally.rejected["truncated"] == 100


def test_pyais_gatehouse_pghp_stamps_the_sentence_it_precedes(corpus: Path) -> None:
    path = corpus / "pyais/examples_gatehouse.nmea"
    lines = _text_lines(path)
    read = read_nmea(path)
    assert list(read.positions["line"]) == [2]
    assert _utc(read.positions["time"].iloc[0]) == _pghp_time(lines[0])
    # Line 7's $PGHP names checksum 09 (line 2's sentence, already stamped), not line 8's 0A;
    # lines 10 and 11 stand before nothing.
    assert lines[6].endswith(",09*17") and lines[7].endswith("*0A")
    assert read.tally.first_lines["orphan_timestamp"] == [7, 10, 11]
    assert read.tally.rejected["no_timestamp"] == 3


def test_signalk_gofree_eight_field_vdm_is_decoded(corpus: Path) -> None:
    path = corpus / "signalk/gofree-merrimac.log"
    lines = _text_lines(path)
    read = read_nmea(path)
    eight = [
        n
        for n, line in enumerate(lines, start=1)
        if line.startswith("!AIVDM") and line.count(",") == 7
    ]
    assert len(eight) > 1000
    decoded = decode_messages(path)
    assert set(decoded["line"]) <= set(eight)
    # pyais reads the standard 7-field form of the same sentence: drop the extra ",0".
    first = decoded[decoded["line"] == 1].iloc[0]
    msg = pyais.decode("!AIVDM,1,1,1,,13aI8e?P00PGpU:NR6s00?vT2000,0*00").asdict()
    assert first["mmsi"] == msg["mmsi"]
    assert round(first["lat"], 6) == msg["lat"] and round(first["lon"], 6) == msg["lon"]
    # No time source in these logs: decoded, counted no_timestamp, never a fix.
    assert read.tally.accepted["fix"] == 0
    assert read.tally.rejected["no_timestamp"] == len(decoded)
    assert read.tally.rejected["bad_checksum"] == 0


def test_gzip_file_reads_like_the_plain_file(corpus: Path, tmp_path: Path) -> None:
    plain = corpus / "dma_aislib/stream_example.txt"
    packed = tmp_path / "stream_example.txt.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = read_nmea(plain), read_nmea(packed)
    assert a.tally.accepted == b.tally.accepted and a.tally.rejected == b.tally.rejected
    pd.testing.assert_frame_equal(a.positions, b.positions)


# --- the numpy fast path and the line loop read alike --------------------------------------------


def _loop_only(real_parse):  # noqa: ANN001, ANN202 - wraps nmea_lines.parse
    """``nmea_lines.parse`` that hands every line to the Python line loop."""

    def parse(data: bytes) -> nmea_lines.FastLines:
        got = real_parse(data)
        none_i = np.zeros(0, dtype=np.int64)
        return nmea_lines.FastLines(
            buf=got.buf,
            starts=got.starts,
            ends=got.ends,
            fast=np.zeros_like(got.fast),
            line=none_i,
            checksum_ok=np.zeros(0, dtype=bool),
            pay_start=none_i,
            pay_len=none_i,
            fill=none_i,
            c_ns=none_i,
            tail_ns=none_i,
            own_ship=np.zeros(0, dtype=bool),
            star=none_i,
            tag_bad=0,
        )

    return parse


def assert_same_read(fast: RawRead, loop: RawRead) -> None:
    """The fast path's read and the line loop's are the same: tally, notes, records."""
    assert fast.tally.accepted == loop.tally.accepted
    assert fast.tally.rejected == loop.tally.rejected
    assert fast.tally.first_lines == loop.tally.first_lines
    assert sorted(fast.notes) == sorted(loop.notes)
    pd.testing.assert_frame_equal(fast.positions, loop.positions)
    pd.testing.assert_frame_equal(fast.statics, loop.statics)


@pytest.mark.parametrize("name", NMEA_FILES)
def test_fast_path_and_line_loop_give_the_same_read(
    corpus: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = corpus / name
    fast = read_nmea(path)
    monkeypatch.setattr(nmea_lines, "parse", _loop_only(nmea_lines.parse))
    assert_same_read(fast, read_nmea(path))


def test_fast_path_takes_the_plain_sentences(corpus: Path) -> None:
    lines = _text_lines(corpus / "dma_aislib/stream_example.txt")
    fast = nmea_lines.parse((corpus / "dma_aislib/stream_example.txt").read_bytes()).fast
    single = [line.startswith("!") and line.split(",")[1:3] == ["1", "1"] for line in lines]
    assert list(fast) == single  # every plain single-part line, and nothing else
    assert sum(single) == 3602


def test_mutated_corpus_lines_never_raise_and_every_line_is_counted(
    corpus: Path, tmp_path: Path
) -> None:
    """Seeded random damage (bytes changed, dropped, inserted, lines cut) to real lines."""
    rng = random.Random(20261128)
    source: list[bytes] = []
    for name in ("dma_aislib/stream_example.txt", "libais/test.aivdm", "libais/tagblock.nmea"):
        source += (corpus / name).read_bytes().split(b"\n")[:400]
    alphabet = b"!\\*,$\r\t 0123456789ABCDEFc:g-VDMO\xff\x00"
    for trial in range(40):
        damaged = []
        for line in rng.sample(source, 50):
            buf = bytearray(line)
            for _ in range(rng.randrange(4)):
                if not buf:
                    break
                at = rng.randrange(len(buf))
                op = rng.randrange(4)
                if op == 0:
                    buf[at] = rng.choice(alphabet)
                elif op == 1:
                    del buf[at]
                elif op == 2:
                    buf.insert(at, rng.choice(alphabet))
                else:
                    del buf[at:]
            damaged.append(bytes(buf))
        path = tmp_path / f"damaged{trial}.nmea"
        path.write_bytes(b"\n".join(damaged) + b"\n")
        read = read_nmea(path)
        assert read.lines == len(damaged) == read.tally.total
        assert len(read.positions) == read.tally.accepted["fix"]


@pytest.mark.parametrize("block_bytes", [1, 97, 5000])
def test_reading_in_small_blocks_gives_the_same_lines(corpus: Path, block_bytes: int) -> None:
    """Block edges (even one line per block) change nothing, lone tag blocks included."""
    for name in ("dma_aislib/small_cb_example.txt", "amsa/exact-earth-with-tag-block.txt"):
        data = (corpus / name).read_bytes()
        whole, blocks = nmea_lines.parse(data), nmea_lines.parse(data, block_bytes=block_bytes)
        for column in ("fast", "line", "checksum_ok", "pay_start", "pay_len", "c_ns", "star"):
            assert np.array_equal(getattr(whole, column), getattr(blocks, column)), column
        assert whole.tag_bad == blocks.tag_bad


def _message_sentences(lines: list[str], last_line: int) -> list[str]:
    """The sentences of the message completed on 1-based ``last_line``: walks back to part 1
    over the lines of the same sequence id (the corpus files keep parts close together)."""
    last = _sentence(lines[last_line - 1])
    fields = last.split(",")
    parts = [last]
    k = last_line - 2
    while len(parts) < int(fields[1]):
        line = lines[k]
        if "!" in line and "*" in line and _sentence(line).split(",")[3] == fields[3]:
            parts.insert(0, _sentence(line))
        k -= 1
    return parts


@pytest.mark.parametrize(
    "name",
    [
        "dma_aislib/stream_example.txt",
        "amsa/exact-earth-with-tag-block.txt",
        "amsa/korea_japan_box_subset.nmea",
        "libais/test.aivdm",
    ],
)
def test_every_static_record_equals_pyais_decode(corpus: Path, name: str) -> None:
    path = corpus / name
    lines = _text_lines(path)
    statics = read_nmea(path).statics
    assert len(statics) > 10

    def text(value: str | None) -> str | None:
        # pyais strips only trailing '@'; the reader ends a text at its first '@' (padding,
        # ITU-R M.1371-5 table 47), so 'YONGDUCK@@@@@@@@@@@Q' is 'YONGDUCK'.
        return (value or "").split("@")[0].strip() or None

    for row in statics.itertuples():
        msg = pyais.decode(*_message_sentences(lines, row.line)).asdict()
        assert row.mmsi == msg["mmsi"], row.line
        assert row.name == text(msg.get("shipname")), row.line
        assert row.callsign == text(msg.get("callsign")), row.line
        if msg["msg_type"] == 5:
            imo = msg["imo"] if 1_000_000 <= msg["imo"] <= 9_999_999 else None
            assert (None if pd.isna(row.imo) else row.imo) == imo, row.line
            assert row.destination == text(msg.get("destination")), row.line
        kind = msg.get("ship_type")
        # pyais turns codes its enum lacks into 0 (the raw bits of DMA line 853 say 39) or
        # folds them into one member (78 -> 75 "Cargo_Reserved"), so only its plain codes are
        # compared here; gpsd's decode checks raw codes in test_gpsd_static_reports_equal_...
        if kind is not None and "Reserved" not in getattr(kind, "name", "") and int(kind) != 0:
            assert row.ship_type == int(kind), row.line
        if msg.get("to_bow") is not None and not 980_000_000 <= msg["mmsi"] <= 989_999_999:
            length = msg["to_bow"] + msg["to_stern"]
            width = msg["to_port"] + msg["to_starboard"]
            assert (np.nan_to_num(row.length_m), np.nan_to_num(row.width_m)) == (length, width)


def test_damaged_lines_read_alike_by_fast_path_and_line_loop(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seeded damage near the edges of the fast path's rules (tabs, dots, stray separators)."""
    rng = random.Random(145)
    source: list[bytes] = []
    for name in (
        "dma_aislib/stream_example.txt",
        "amsa/exact-earth-augmented-2.txt",
        "amsa/nmea-timestamped.txt",
        "dma_aislib/small_cb_example.txt",
    ):
        source += (corpus / name).read_bytes().split(b"\n")[:600]
    alphabet = b"!\\*,$\r\t 0123456789ABCDEFc:g-VDMO.\xff\xa0"
    paths = []
    for trial in range(30):
        damaged = []
        for line in rng.sample(source, 40):
            buf = bytearray(line)
            for _ in range(rng.randrange(3)):
                if not buf:
                    break
                at = rng.randrange(len(buf))
                if rng.random() < 0.5:
                    buf[at] = rng.choice(alphabet)
                else:
                    buf.insert(at, rng.choice(alphabet))
            damaged.append(bytes(buf))
        path = tmp_path / f"d{trial}.nmea"
        path.write_bytes(b"\n".join(damaged) + b"\n")
        paths.append(path)
    fast = [read_nmea(path) for path in paths]
    monkeypatch.setattr(nmea_lines, "parse", _loop_only(nmea_lines.parse))
    for path, a in zip(paths, fast, strict=True):
        b = read_nmea(path)
        assert (a.tally.accepted, a.tally.rejected) == (b.tally.accepted, b.tally.rejected), path
        pd.testing.assert_frame_equal(a.positions, b.positions)
        pd.testing.assert_frame_equal(a.statics, b.statics)


def test_an_empty_tag_block_alone_on_its_line_stamps_the_next_sentence_and_loses_nothing(
    tmp_path: Path,
) -> None:
    """``\\\\`` alone on a line is an empty tag block: it has no checksum (counted as wrong),
    applies to the next sentence, and the file is read, not lost as a reader error (the
    tag-block checksum check read past the end of an all-empty set of tags)."""
    path = tmp_path / "empty_tag.nmea"
    sentence = "!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24"
    path.write_text(f"\\\\\n{sentence},1700000000\n\\\\\r\n{sentence}\n", encoding="latin-1")
    raw = read_nmea(path)
    assert dict(raw.tally.accepted) == {"fix": 1, "timestamp": 2}
    assert dict(raw.tally.rejected) == {"no_timestamp": 1}
    assert raw.tally.first_lines == {"no_timestamp": [4]}
    assert raw.positions["time"].tolist() == [1_700_000_000 * 10**9]  # ns
    assert sorted(raw.notes) == [
        "2 tag block(s) on a line of their own applied to the next sentence",
        "2 tag block(s) with a wrong tag-block checksum: their fields were used because the "
        "sentence's own checksum was valid",
    ]

"""The NMEA reader on small hand-built files whose every line has a known outcome.

Payloads are encoded by pyais (an independent encoder) from known values; checksums are
computed here; each test names the rule it pins.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nmea_kit import sentence, tag
from pyais import encode_dict

from desktop.core.ingest.nmea import decode_messages, read_nmea

T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
T0_ISO = "2023-11-14T22:13:20Z"


def encoded(msg: dict, **kw: object) -> list[str]:
    return encode_dict(msg, talker_id="AI", sentence_type="VDM", **kw)


TYPE1 = {
    "type": 1,
    "mmsi": 366053209,
    "status": 5,
    "speed": 10.5,
    "lon": -122.41234,
    "lat": 37.80512,
    "course": 90.1,
    "heading": 91,
}
TYPE1_LINE = encoded(TYPE1)[0]


def write(tmp_path: Path, lines: list[str], name: str = "t.nmea", end: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(end.join(lines).encode("latin-1") + end.encode())
    return path


def outcomes(read) -> dict[str, int]:  # noqa: ANN001 - RawRead
    return dict(read.tally.accepted) | dict(read.tally.rejected)


# --- decoding ------------------------------------------------------------------------------------


def test_type1_decodes_to_the_encoded_values(tmp_path: Path) -> None:
    read = read_nmea(write(tmp_path, [tag(f"c:{T0}") + TYPE1_LINE]))
    row = read.positions.iloc[0]
    assert row["mmsi"] == 366053209
    assert row["time"] == T0 * 10**9
    assert row["lat"] == pytest.approx(37.80512, abs=1e-6)
    assert row["lon"] == pytest.approx(-122.41234, abs=1e-6)
    assert row["sog_kn"] == pytest.approx(10.5)
    assert row["cog_deg"] == pytest.approx(90.1, abs=1e-4)
    assert row["heading_deg"] == 91
    assert row["nav_status"] == 5
    assert row["line"] == 1


def test_type18_has_no_nav_status(tmp_path: Path) -> None:
    msg = {"type": 18, "mmsi": 338087471, "speed": 0.1, "lon": -74.07213, "lat": 40.68454}
    read = read_nmea(write(tmp_path, [tag(f"c:{T0}") + encoded(msg)[0]]))
    row = read.positions.iloc[0]
    assert row["mmsi"] == 338087471 and np.isnan(row["nav_status"])
    assert row["lat"] == pytest.approx(40.68454, abs=1e-6)


def test_type27_positions_in_tenth_minutes_and_sog_63_is_not_available(tmp_path: Path) -> None:
    msg = {"type": 27, "mmsi": 206914217, "status": 2, "lon": 137.02, "lat": 4.84, "speed": 63}
    msg2 = {**msg, "speed": 57, "course": 167}
    lines = [tag(f"c:{T0}") + encoded(msg)[0], tag(f"c:{T0 + 1}") + encoded(msg2)[0]]
    read = read_nmea(write(tmp_path, lines))
    first, second = read.positions.iloc[0], read.positions.iloc[1]
    assert first["lat"] == pytest.approx(4.84, abs=1 / 1200)
    assert first["lon"] == pytest.approx(137.02, abs=1 / 1200)
    assert np.isnan(first["sog_kn"])
    assert second["sog_kn"] == 57 and second["cog_deg"] == 167
    assert first["nav_status"] == 2 and np.isnan(first["heading_deg"])


def test_type5_two_parts_give_static_record(tmp_path: Path) -> None:
    msg = {
        "type": 5,
        "mmsi": 351759000,
        "imo": 9134270,
        "callsign": "3FOF8",
        "shipname": "EVER DIADEM",
        "ship_type": 70,
        "to_bow": 225,
        "to_stern": 70,
        "to_port": 1,
        "to_starboard": 31,
        "destination": "NEW YORK",
    }
    first, second = encoded(msg, seq_id=3)
    read = read_nmea(write(tmp_path, [tag(f"c:{T0}") + first, second]))
    assert outcomes(read) == {"fragment": 1, "static": 1}
    row = read.statics.iloc[0]
    assert (row["mmsi"], row["imo"], row["name"], row["callsign"]) == (
        351759000,
        9134270,
        "EVER DIADEM",
        "3FOF8",
    )
    assert (row["ship_type"], row["length_m"], row["width_m"]) == (70, 295.0, 32.0)
    assert row["destination"] == "NEW YORK"
    assert row["time"] == pd.Timestamp(T0_ISO)
    assert row["line"] == 2


def test_type24_parts_a_and_b_give_two_static_rows(tmp_path: Path) -> None:
    a = {"type": 24, "mmsi": 271041815, "partno": 0, "shipname": "PROGUY"}
    b = {
        "type": 24,
        "mmsi": 271041815,
        "partno": 1,
        "ship_type": 60,
        "callsign": "TC6163",
        "to_bow": 0,
        "to_stern": 15,
        "to_port": 0,
        "to_starboard": 5,
    }
    read = read_nmea(write(tmp_path, [encoded(a)[0], encoded(b)[0]]))
    assert outcomes(read) == {"static": 2}
    part_a, part_b = read.statics.iloc[0], read.statics.iloc[1]
    assert part_a["name"] == "PROGUY" and part_a["callsign"] is None
    assert part_b["callsign"] == "TC6163" and part_b["ship_type"] == 60
    assert (part_b["length_m"], part_b["width_m"]) == (15.0, 5.0)
    assert pd.isna(part_a["time"])  # no time source: kept, with NaT


def test_vdo_own_ship_is_a_fix_and_noted(tmp_path: Path) -> None:
    vdo = encode_dict(TYPE1, talker_id="AI", sentence_type="VDO")[0]
    read = read_nmea(write(tmp_path, [tag(f"c:{T0}") + vdo]))
    assert outcomes(read) == {"fix": 1}
    assert "1 own-ship (VDO) message(s) decoded like VDM" in read.notes
    assert bool(decode_messages(write(tmp_path, [vdo], "u.nmea"))["own_ship"].iloc[0])


def test_any_talker_including_dashes(tmp_path: Path) -> None:
    body = TYPE1_LINE[1:].split("*")[0]
    lines = [tag(f"c:{T0}") + sentence(talker + body[2:]) for talker in ("BS", "AB", "--", "=I")]
    read = read_nmea(write(tmp_path, lines))
    assert outcomes(read) == {"fix": 4}


# --- time sources --------------------------------------------------------------------------------


def test_tag_block_c_above_1e11_is_milliseconds(tmp_path: Path) -> None:
    lines = [tag(f"s:x,c:{T0}123") + TYPE1_LINE, tag(f"c:{T0}") + TYPE1_LINE]
    read = read_nmea(write(tmp_path, lines))
    assert list(read.positions["time"]) == [T0 * 10**9 + 123_000_000, T0 * 10**9]


def test_epoch_outside_1980_2100_is_not_a_time(tmp_path: Path) -> None:
    # pyais's example "c:12415440354": 11 digits, below 1e11, so seconds: the year 2363.
    read = read_nmea(write(tmp_path, [tag("c:12415440354") + TYPE1_LINE]))
    assert outcomes(read) == {"no_timestamp": 1}


def test_trailing_epoch_last_field_after_checksum(tmp_path: Path) -> None:
    lines = [
        TYPE1_LINE + f",s12345,d-101,T23.01,x123,r003669945,{T0 + 60},{T0}",
        TYPE1_LINE + f",{T0}500",  # exactEarth-style milliseconds
    ]
    read = read_nmea(write(tmp_path, lines))
    assert list(read.positions["time"]) == [T0 * 10**9, T0 * 10**9 + 500_000_000]


@pytest.mark.parametrize(
    ("prefix", "expected_ns"),
    [
        (f"{T0_ISO} ", T0 * 10**9),
        ("2023-11-14 22:13:20,", T0 * 10**9),  # naive: taken as UTC
        ("2023-11-14T23:13:20+01:00;", T0 * 10**9),
        (f"{T0}.25 ", T0 * 10**9 + 250_000_000),
        (f"{T0}250\t", T0 * 10**9 + 250_000_000),
    ],
)
def test_leading_stamp_before_the_sentence(tmp_path: Path, prefix: str, expected_ns: int) -> None:
    read = read_nmea(write(tmp_path, [prefix + TYPE1_LINE]))
    assert list(read.positions["time"]) == [expected_ns]


def test_tag_block_c_comes_before_pghp_before_trailing_before_leading(tmp_path: Path) -> None:
    pghp = "$PGHP,1,2023,11,14,22,30,0,0,219,,,1,00*00"
    lines = [
        pghp,
        f"2023-11-14T23:00:00Z {tag(f'c:{T0}')}{TYPE1_LINE},{T0 + 7}",  # c: wins
        pghp,
        f"2023-11-14T23:00:00Z {TYPE1_LINE},{T0 + 7}",  # $PGHP wins
        f"2023-11-14T23:00:00Z {TYPE1_LINE},{T0 + 7}",  # trailing wins
        f"2023-11-14T23:00:00Z {TYPE1_LINE}",  # leading
    ]
    read = read_nmea(write(tmp_path, lines))
    stamps = [pd.Timestamp(t, unit="ns", tz="UTC") for t in read.positions["time"]]
    assert stamps == [
        pd.Timestamp(T0_ISO),
        pd.Timestamp("2023-11-14T22:30:00Z"),
        pd.Timestamp(T0 + 7, unit="s", tz="UTC"),
        pd.Timestamp("2023-11-14T23:00:00Z"),
    ]
    assert read.tally.accepted["timestamp"] == 2


def test_untimed_position_counts_no_timestamp_but_is_decoded(tmp_path: Path) -> None:
    path = write(tmp_path, [TYPE1_LINE])
    read = read_nmea(path)
    assert outcomes(read) == {"no_timestamp": 1} and len(read.positions) == 0
    decoded = decode_messages(path)
    assert len(decoded) == 1 and pd.isna(decoded["time"].iloc[0])
    assert decoded["mmsi"].iloc[0] == 366053209


# --- multipart -----------------------------------------------------------------------------------

TYPE5 = {"type": 5, "mmsi": 219005012, "shipname": "ROSINANTE", "callsign": "XPD5019"}


def test_untagged_parts_join_by_sequence_and_channel_across_other_lines(tmp_path: Path) -> None:
    first, second = encoded(TYPE5, seq_id=6)
    other_first, other_second = encoded({**TYPE5, "mmsi": 219005013}, seq_id=7)
    lines = [first, other_first, tag(f"c:{T0}") + TYPE1_LINE, second, other_second]
    read = read_nmea(write(tmp_path, lines))
    assert outcomes(read) == {"fragment": 2, "static": 2, "fix": 1}
    assert list(read.statics["mmsi"]) == [219005012, 219005013]
    assert list(read.statics["line"]) == [4, 5]


def test_tag_block_group_joins_parts_whatever_their_sequence_ids(tmp_path: Path) -> None:
    first, second = encoded(TYPE5, seq_id=6)
    second = sentence(second[1:].split("*")[0].replace(",2,2,6,", ",2,2,9,"))
    lines = [tag(f"g:1-2-1604,c:{T0}") + first, TYPE1_LINE, tag("g:2-2-1604") + second]
    read = read_nmea(write(tmp_path, lines))
    assert read.tally.accepted["static"] == 1
    assert read.statics["time"].iloc[0] == pd.Timestamp(T0_ISO)


def test_part_without_its_first_part_and_replaced_first_part_are_orphans(tmp_path: Path) -> None:
    first, second = encoded(TYPE5, seq_id=6)
    lines = [second, first, first, second, first]
    read = read_nmea(write(tmp_path, lines))
    # line 1: no first part; line 2: replaced by line 3; line 5: never completed.
    assert outcomes(read) == {"orphan_fragment": 3, "fragment": 1, "static": 1}
    assert read.tally.first_lines["orphan_fragment"] == [1, 2, 5]


# --- bad lines -----------------------------------------------------------------------------------


def test_every_kind_of_bad_line_is_counted_once(tmp_path: Path) -> None:
    good = tag(f"c:{T0}") + TYPE1_LINE
    bad_sum = TYPE1_LINE[:-2] + ("00" if TYPE1_LINE[-2:] != "00" else "01")
    lines = [
        "# a comment",
        "",
        "$GPRMC,094142,A,5958.4085,N,01940.5176,E,1.8,80.0,030610,4.8,E,D*2F",
        "IamNotAnAisMessage1111",
        "!AIPWR,UNIT=0,PWV",
        good,
        bad_sum,
        "!BSVDM,1,1,,A,3",  # cut before its checksum
        sentence("AIVDM,1,1,,B,,0"),  # empty payload
        sentence("AIVDM,1,1,,B,15RTgt0P~so;90TKcjM8h6g208CQ,0"),  # '~' is not 6-bit armour
        sentence("AIVDM,1,1,,B,15RTgt0PAso;90TKcjM8h6g208CQ,6"),  # 6 fill bits
        sentence("AIVDM,1,1,,B,15RTgt0PAso;90T,0"),  # 90 bits of a 168-bit report
        sentence("AIVDM,1,1,,B,Lpuo<p0<CpgaHa@euMlc,0"),  # type 28
        "\xff\xfe\x00 binary junk \x85",
    ]
    path = write(tmp_path, lines)
    read = read_nmea(path)
    assert read.lines == len(lines) == read.tally.total
    assert outcomes(read) == {
        "not_ais": 6,
        "fix": 1,
        "bad_checksum": 1,
        "truncated": 3,
        "bad_payload": 2,
        "unsupported_type": 1,
    }
    assert read.tally.first_lines["bad_checksum"] == [7]
    assert read.tally.first_lines["truncated"] == [8, 9, 12]
    assert read.tally.first_lines["bad_payload"] == [10, 11]


def test_signalk_eight_field_sentence_is_read(tmp_path: Path) -> None:
    body = TYPE1_LINE[1:].split("*")[0] + ",0"
    read = read_nmea(write(tmp_path, [tag(f"c:{T0}") + sentence(body)]))
    assert outcomes(read) == {"fix": 1}
    assert read.positions["mmsi"].iloc[0] == 366053209


def test_crlf_line_ends_and_gzip_are_read_alike(tmp_path: Path) -> None:
    lines = [tag(f"c:{T0}") + TYPE1_LINE, "", TYPE1_LINE + f",{T0}"]
    plain = read_nmea(write(tmp_path, lines, "lf.nmea"))
    crlf = read_nmea(write(tmp_path, lines, "crlf.nmea", end="\r\n"))
    packed = tmp_path / "lf.nmea.gz"
    packed.write_bytes(gzip.compress((tmp_path / "lf.nmea").read_bytes()))
    zipped = read_nmea(packed)
    for read in (plain, crlf, zipped):
        assert outcomes(read) == {"fix": 2, "not_ais": 1}
        assert list(read.positions["time"]) == [T0 * 10**9] * 2


def test_tag_block_with_wrong_checksum_is_used_and_noted(tmp_path: Path) -> None:
    read = read_nmea(write(tmp_path, [f"\\c:{T0}*00\\" + TYPE1_LINE]))
    assert outcomes(read) == {"fix": 1}
    assert read.positions["time"].iloc[0] == T0 * 10**9
    assert read.notes[0].startswith("1 tag block(s) with a wrong tag-block checksum")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.nmea"
    path.write_bytes(b"")
    read = read_nmea(path)
    assert read.lines == 0 and read.tally.total == 0
    assert len(read.positions) == 0 and len(read.statics) == 0


def test_truncated_gzip_keeps_what_decompressed_and_says_so(tmp_path: Path) -> None:
    lines = [tag(f"c:{T0 + k}") + TYPE1_LINE for k in range(2000)]
    packed = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "cut.nmea.gz"
    path.write_bytes(packed[: len(packed) // 2])
    read = read_nmea(path)
    assert 0 < read.lines < 2000 and read.tally.total == read.lines
    # The last line may be cut mid-sentence: every whole line before it is a fix.
    assert read.tally.accepted["fix"] >= read.lines - 1
    assert any(note.startswith("gzip data broken after") for note in read.notes)


def test_concatenated_gzip_members_are_all_read(tmp_path: Path) -> None:
    one = gzip.compress((tag(f"c:{T0}") + TYPE1_LINE + "\n").encode())
    path = tmp_path / "two.nmea.gz"
    path.write_bytes(one + one)
    read = read_nmea(path)
    assert outcomes(read) == {"fix": 2} and not read.notes


def test_trailing_epoch_with_white_space_around_it_is_read(tmp_path: Path) -> None:
    lines = [TYPE1_LINE + f",\t{T0}", TYPE1_LINE + f", {T0}", TYPE1_LINE + f",{T0} "]
    read = read_nmea(write(tmp_path, lines))
    assert list(read.positions["time"]) == [T0 * 10**9] * 3


@pytest.mark.parametrize("value", ["\x0b1700000000", "1700000000.0", "1.7e9"])
def test_tag_block_c_in_other_number_forms_is_read(tmp_path: Path, value: str) -> None:
    read = read_nmea(write(tmp_path, [tag(f"c:{value}") + TYPE1_LINE]))
    assert list(read.positions["time"]) == [T0 * 10**9]

"""The numpy fast path of the NMEA reader (``nmea_lines.parse``) on awkward generated lines.

Its rules are exact: a line it takes must read as the Python line loop reads it, and a line
it cannot read exactly is left to the loop. The lines here are drawn around those rules: tag
blocks with and without ``c:``, ``c:`` with 0 to 20 digits or other number forms, ms epochs,
fields after the checksum, bad hex, lone tag blocks, CR line ends, empty lines, ``!``, ``*``,
``,`` and ``\\`` in odd places, and lines cut short at any byte.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nmea_kit import checksum
from test_ingest_nmea import _loop_only, assert_same_read

from desktop.core.ingest import nmea_lines
from desktop.core.ingest.nmea import read_nmea

# Position reports (types 1, 18) and a static report (24) that decode to fixes and rows.
PAYLOADS = ("13u?etPv2;0n:dDPwUM1U1Cb069D", "B52K>;h00Fc>jpUlNV@ikwpUoP06",
            "H52KMeDU653hhhi0000000000000", "15M67FC000G?ufbE`FepT@3n00Sa",
            "")  # fmt: skip
ODD = st.sampled_from(["!", "*", ",", "\\", "\r", " ", "\t", "c:", "$", "0", "9", ".", "\xff"])
DIGITS = st.text("0123456789", max_size=20)


@st.composite
def tag_block(draw: st.DrawFn) -> str:
    fields = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["c", "c", "c", "s", "g", "n", "odd"]))
        if kind == "c":
            value = draw(
                st.one_of(
                    DIGITS,
                    st.integers(315_532_000, 4_102_445_000).map(str),
                    st.integers(315_532_800_000, 4_102_444_800_000).map(str),
                    st.sampled_from([" 1700000000", "1700000000 ", "1.7e9", "1700000000.5", "-1"]),
                )
            )
            fields.append(f"c:{value}")
        elif kind == "odd":
            fields.append(draw(st.text("c:!*,\\0123 abs", max_size=6)))
        else:
            fields.append(f"{kind}:{draw(st.text('0123abc-', max_size=5))}")
    body = ",".join(fields)
    star = draw(st.sampled_from(["*" + checksum(body)] * 6 + ["", "*", "*00"]))
    star += draw(st.sampled_from([""] * 6 + ["0", "G0", "0g", "zz", "5f"]))
    return "\\" + body + star + draw(st.sampled_from(["\\"] * 4 + [""]))


@st.composite
def sentence(draw: st.DrawFn) -> str:
    plain = draw(st.booleans())  # half the sentences have every part right

    def pick(good: str, *odd: str) -> str:
        return good if plain else draw(st.sampled_from([good, good, *odd]))

    talker = pick("AI", "BS", "--", "A", "AIX")
    kind = draw(st.sampled_from(["VDM", "VDO"])) if plain else pick("VDM", "VDO", "VDX", "vdm")
    parts = pick(",1,1,", ",2,1,", ",1,1", ",11,1,")
    seq = draw(st.sampled_from(["", "3", "12"]))
    channel = pick("A", "B", "", "AB")
    payload = draw(st.one_of(st.sampled_from(PAYLOADS), st.text("0@Wh`w:;<>?", max_size=90)))
    fill = pick("0", "2", "5", "6", "", "00")
    body = f"{talker}{kind}{parts}{seq},{channel},{payload},{fill}"
    given = draw(st.sampled_from([checksum(body)] * 4 + ["00"]))
    given = pick(given, given[:1], given + "0", "G0", "0g")
    tail = ""
    for _ in range(draw(st.integers(0, 2))):
        tail += "," + draw(
            st.one_of(
                DIGITS,
                st.integers(315_532_800_000, 4_102_444_800_000).map(str),
                st.sampled_from(["", " 1700000000", "1700000000 ", "1.5", "x", "-1"]),
            )
        )
    return f"!{body}*{given}{tail}"


@st.composite
def awkward_line(draw: st.DrawFn) -> str:
    shape = draw(st.sampled_from(["tagged"] * 3 + ["plain"] * 3 + ["lone", "empty", "junk"]))
    if shape == "empty":
        line = ""
    elif shape == "lone":
        line = draw(tag_block())
    elif shape == "junk":
        line = draw(st.text("!\\*,$c:0123456789VDMAIB \r\t", max_size=40))
    else:
        line = (draw(tag_block()) if shape == "tagged" else "") + draw(sentence())
    # Odd bytes anywhere, or the line cut short.
    for _ in range(draw(st.sampled_from([0] * 6 + [1, 2]))):
        at = draw(st.integers(0, len(line)))
        line = line[:at] + draw(ODD) + line[at:] if draw(st.booleans()) else line[:at]
    return line + draw(st.sampled_from(["\n", "\n", "\r\n", "\r\r\n"]))


def awkward_file(lines: list[str], last_end: bool) -> bytes:
    text = "".join(lines)
    if not last_end:
        text = text.rstrip("\n")
    return text.encode("latin-1")


FILES = st.builds(awkward_file, st.lists(awkward_line(), max_size=30), st.booleans())
QUICK = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@QUICK
@given(FILES)
def test_fast_path_and_line_loop_read_generated_lines_alike(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.nmea"
        path.write_bytes(data)
        fast = read_nmea(path)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(nmea_lines, "parse", _loop_only(nmea_lines.parse))
            loop = read_nmea(path)
    assert_same_read(fast, loop)


@QUICK
@given(FILES, st.integers(1, 400))
def test_block_edges_anywhere_give_the_same_lines(data: bytes, block_bytes: int) -> None:
    whole, blocks = nmea_lines.parse(data), nmea_lines.parse(data, block_bytes=block_bytes)
    for column in nmea_lines.ARRAYS:
        a, b = getattr(whole, column), getattr(blocks, column)
        assert a.dtype == b.dtype and np.array_equal(a, b), column
    assert whole.tag_bad == blocks.tag_bad


def test_plain_tagged_line_is_read_field_by_field() -> None:
    line = "\\c:1700000000123*" + checksum("c:1700000000123") + "\\"
    body = "AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0"
    data = f"junk\n{line}!{body}*{checksum(body)},1700000001\r\n".encode()
    got = nmea_lines.parse(data)
    assert got.fast.tolist() == [False, True]
    assert got.line.tolist() == [1]
    start = data.index(b"13u?")
    assert (got.pay_start.tolist(), got.pay_len.tolist()) == ([start], [28])
    assert got.star.tolist() == [data.index(b"*", start)]
    assert got.fill.tolist() == [0] and got.checksum_ok.tolist() == [True]
    assert got.c_ns.tolist() == [1_700_000_000_123_000_000]  # 13 digits: milliseconds
    assert got.tail_ns.tolist() == [1_700_000_001_000_000_000]
    assert got.own_ship.tolist() == [False] and got.tag_bad == 0


def test_empty_lone_tag_block_before_a_sentence_is_read_not_a_crash(tmp_path: Path) -> None:
    """Found by the generated lines: an empty tag block ('\\\\') alone on its line, lent to
    the next sentence, made the tag checksum check index an empty buffer."""
    body = "AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0"
    path = tmp_path / "f.nmea"
    path.write_bytes(f"\\\\\n!{body}*{checksum(body)}".encode())
    read = read_nmea(path)
    assert read.lines == read.tally.total == 2
    assert read.tally.rejected["no_timestamp"] == 1  # the sentence: decoded, no time
    assert read.notes == [
        "1 tag block(s) with a wrong tag-block checksum: their fields were used because the"
        " sentence's own checksum was valid",
        "1 tag block(s) on a line of their own applied to the next sentence",
    ]

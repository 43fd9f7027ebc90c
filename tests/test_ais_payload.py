"""The vectorised AIS payload decoder against independent references, on any payload.

Two references. A plain-Python bit reader written here from the ITU-R M.1371-5 tables
(every field is ``int(bits[a : a + n], 2)``, two's complement where signed), which answers
for any payload: every length from 0 to 90 characters, fill bits 0..7, bytes outside the
6-bit armour, truncated reports, sentinels. And pyais (an independent decoder), which checks
that reference on every complete report with valid characters.

The payloads go through the whole reader path (``scan_lines`` then ``decode_parsed``): as
plain single-part lines (read in place from the file buffer), as single parts the line loop
reads (a tail field starting with a space is left to it), and as two-part messages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyais
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nmea_kit import sentence, tag
from pyais.constants import ShipType

from desktop.core.ingest import ais_payload, nmea

T0 = 1_700_000_000
POSITION = (1, 2, 3, 18, 19, 27)
# Bits a report needs for every field read from it, and the bits of a complete one.
MIN_BITS = {1: 137, 2: 137, 3: 137, 18: 133, 19: 133, 27: 94}
FULL_BITS = {1: 168, 2: 168, 3: 168, 18: 168, 19: 312, 27: 96, 5: 424, 24: 168, 4: 168}
# Bytes no 6-bit character is, that can stand inside a sentence's payload field.
INVALID = "XYZ[\\]^_xyz{|}~ #$%&'()+-./:;<=>?@\"\xe9\xff\x7f"
INVALID = INVALID.replace("\\", "")
ARMOUR = [chr(c) for c in range(48, 88)] + [chr(c) for c in range(96, 120)]


# --- the plain-Python reference ------------------------------------------------------------


def sixbit(ch: str) -> int | None:
    o = ord(ch)
    if 48 <= o <= 87:
        return o - 48
    if 96 <= o <= 119:
        return o - 56
    return None


@dataclass
class Ref:
    """What the reader must make of one payload: its outcome, and its decoded fields."""

    outcome: str
    kind: int
    pos: dict | None = None  # position fields, raw decoded values
    static: dict | None = None  # statics row


class Bits:
    def __init__(self, payload: str) -> None:
        # Bits past the payload read as 0, as the decoder's zero padding does.
        self.s = "".join(f"{sixbit(c):06b}" for c in payload) + "0" * 600

    def u(self, at: int, n: int) -> int:
        return int(self.s[at : at + n], 2)

    def s_(self, at: int, n: int) -> int:
        v = self.u(at, n)
        return v - (1 << n) if v >= 1 << (n - 1) else v

    def text(self, at: int, n_chars: int) -> str | None:
        out = ""
        for k in range(n_chars):
            v = self.u(at + 6 * k, 6)
            ch = chr(v + 64 if v < 32 else v)
            if ch == "@":
                break
            out += ch
        return out.strip() or None


def f32(x: float) -> float:
    return float(np.float32(x))


def ref_position(b: Bits, kind: int) -> dict:
    mmsi = b.u(8, 30)
    nan = float("nan")
    if kind == 27:
        sog = b.u(79, 6)
        return {"mmsi": mmsi, "lon": b.s_(44, 18) / 600.0, "lat": b.s_(62, 17) / 600.0,
                "sog_kn": nan if sog == 63 else f32(sog), "cog_deg": f32(b.u(85, 9)),
                "heading_deg": nan, "nav_status": f32(b.u(40, 4))}  # fmt: skip
    a = 0 if kind in (1, 2, 3) else -4  # class B fields sit 4 bits earlier
    return {"mmsi": mmsi, "lon": b.s_(61 + a, 28) / 600000.0, "lat": b.s_(89 + a, 27) / 600000.0,
            "sog_kn": f32(b.u(50 + a, 10) / 10.0), "cog_deg": f32(b.u(116 + a, 12) / 10.0),
            "heading_deg": f32(b.u(128 + a, 9)),
            "nav_status": f32(b.u(38, 4)) if kind in (1, 2, 3) else nan}  # fmt: skip


def dims(b: Bits, at: int) -> tuple[float, float]:
    length = b.u(at, 9) + b.u(at + 9, 9)
    width = b.u(at + 18, 6) + b.u(at + 24, 6)
    return (float(length) if length else float("nan"), float(width) if width else float("nan"))


def ship_type(v: int) -> int | None:
    return v if 1 <= v <= 99 else None


def ref_static(b: Bits, kind: int, bits: int) -> dict | str:
    """The statics row, or the outcome when there is none."""
    row = {"mmsi": b.u(8, 30), "imo": None, "name": None, "callsign": None, "ship_type": None,
           "length_m": float("nan"), "width_m": float("nan"), "destination": None}  # fmt: skip
    if kind == 5:
        if bits < 302:
            return "truncated"
        imo = b.u(40, 30)
        row["imo"] = imo if 1_000_000 <= imo <= 9_999_999 else None
        row["callsign"], row["name"] = b.text(70, 7), b.text(112, 20)
        row["ship_type"] = ship_type(b.u(232, 8))
        row["length_m"], row["width_m"] = dims(b, 240)
        row["destination"] = b.text(302, 20)
    elif kind == 19:
        if bits < 301:
            return "truncated"
        row["name"], row["ship_type"] = b.text(143, 20), ship_type(b.u(263, 8))
        row["length_m"], row["width_m"] = dims(b, 271)
    else:  # 24
        part = b.u(38, 2)
        if part >= 2:
            return "bad_payload"
        if bits < (160 if part == 0 else 162):
            return "truncated"
        if part == 0:
            row["name"] = b.text(40, 20)
        else:
            row["ship_type"], row["callsign"] = ship_type(b.u(40, 8)), b.text(90, 7)
            if not 980_000_000 <= row["mmsi"] <= 989_999_999:  # else: the mother ship's MMSI
                row["length_m"], row["width_m"] = dims(b, 132)
    return row


def reference(payload: str, fill: int) -> Ref:
    if any(sixbit(c) is None for c in payload) or not 0 <= fill <= 5:
        return Ref("bad_payload", -1)
    if not payload:
        return Ref("truncated", -1)
    b, kind, bits = Bits(payload), sixbit(payload[0]), 6 * len(payload) - fill
    if kind in POSITION:
        if bits < MIN_BITS[kind]:
            return Ref("truncated", kind)
        ref = Ref("fix", kind, pos=ref_position(b, kind))
        if kind == 19:
            row = ref_static(b, kind, bits)
            ref.static = row if isinstance(row, dict) else None
        return ref
    if not 1 <= kind <= 27:
        return Ref("unsupported_type", kind)
    if kind in (5, 24):
        row = ref_static(b, kind, bits)
        return Ref(row, kind) if isinstance(row, str) else Ref("static", kind, static=row)
    return Ref("other_ais", kind)


# --- building lines --------------------------------------------------------------------------


def lines_of(payload: str, fill: int, form: str, k: int) -> list[str]:
    """The lines carrying one payload, timed ``T0 + k``; the last one completes it."""
    if form == "fast":
        return [tag(f"c:{T0 + k}") + sentence(f"AIVDM,1,1,,A,{payload},{fill}")]
    if form == "loop":  # a tail field that starts with a space is left to the line loop
        return [tag(f"c:{T0 + k}") + sentence(f"AIVDM,1,1,,B,{payload},{fill}") + ", x"]
    cut = len(payload) // 2
    seq = k % 10
    return [
        tag(f"c:{T0 + k}") + sentence(f"AIVDM,2,1,{seq},A,{payload[:cut]},0"),
        sentence(f"AIVDM,2,2,{seq},A,{payload[cut:]},{fill}"),
    ]


def decode(messages: list[tuple[str, int, str]]) -> tuple[list[int], nmea._Decoded]:
    """Lines of ``(payload, fill, form)`` messages, read; returns the completing line of each."""
    lines: list[str] = []
    last: list[int] = []
    for k, (payload, fill, form) in enumerate(messages):
        lines += lines_of(payload, fill, form, k)
        last.append(len(lines) - 1)
    data = ("\n".join(lines) + "\n").encode("latin-1")
    return last, nmea.decode_parsed(nmea.scan_lines(data, "t.nmea", []))


def same_value(got: object, want: object) -> bool:
    if want is None:
        return got is None or got is pd.NA or (isinstance(got, float) and np.isnan(got))
    if isinstance(want, float) and np.isnan(want):
        return isinstance(got, float) and np.isnan(got)
    return got == want and type(got) is not bool


def check(messages: list[tuple[str, int, str]]) -> None:
    """Every message's outcome, position fields (exact, dtypes kept) and statics row."""
    last, decoded = decode(messages)
    parsed = decoded.parsed
    outcome = [nmea._OUTCOMES[c] for c in parsed.outcome]
    pos_at = {int(parsed.msgs.line[m]): r for r, m in enumerate(decoded.pos_rows)}
    statics = {int(row["line"]) - 1: row for row in decoded.statics.to_dict("records")}
    assert decoded.pos["mmsi"].dtype == np.int64
    assert decoded.pos["lat"].dtype == decoded.pos["lon"].dtype == np.float64
    for name in ("sog_kn", "cog_deg", "heading_deg", "nav_status"):
        assert decoded.pos[name].dtype == np.float32
    for (payload, fill, form), line in zip(messages, last, strict=True):
        ref = reference(payload, fill)
        where = f"{form} {payload!r} fill {fill}"
        # Untimed messages are none here: a fix is "fix", a static "static", and so on.
        assert outcome[line] == ref.outcome, where
        if form == "two-part":
            earlier = "fragment" if ref.outcome in ("fix", "static", "other_ais") else ref.outcome
            assert outcome[line - 1] == earlier, where
        if ref.pos is None:
            assert line not in pos_at, where
        else:
            r = pos_at[line]
            assert int(parsed.pb.msg_type[decoded.pos_rows[r]]) == ref.kind, where
            for name, want in ref.pos.items():
                got = decoded.pos[name][r].item()
                assert same_value(got, want), (where, name, got, want)
        if ref.static is None:
            assert line not in statics, where
        else:
            row = statics[line]
            for name, want in ref.static.items():
                got = row[name]
                got = got.item() if isinstance(got, np.generic) else got
                assert same_value(got, want), (where, name, got, want)


# --- generated payloads ---------------------------------------------------------------------


def put(bits: list[str], at: int, n: int, value: int) -> None:
    bits[at : at + n] = f"{value & ((1 << n) - 1):0{n}b}"


SENTINELS = {  # (start bit, length) -> values the standard gives a meaning
    1: [((61, 28), [181 * 600000, -180 * 600000, -1]), ((89, 27), [91 * 600000, -90 * 600000]),
        ((50, 10), [1023, 1022]), ((116, 12), [3600, 3599]), ((128, 9), [511, 359])],
    18: [((57, 28), [181 * 600000, -1]), ((85, 27), [91 * 600000, -5]), ((46, 10), [1023]),
         ((112, 12), [3600]), ((124, 9), [511])],
    27: [((44, 18), [181 * 600, -108000]), ((62, 17), [91 * 600, -54000]), ((79, 6), [63, 62]),
         ((85, 9), [511, 360])],
    5: [((40, 30), [999_999, 1_000_000, 9_999_999, 10_000_000]), ((232, 8), [0, 1, 99, 100])],
    24: [((8, 30), [980_000_000, 989_999_999, 990_000_000]), ((40, 8), [0, 99, 255])],
}  # fmt: skip


@st.composite
def payload_of(draw: st.DrawFn, complete: bool = False) -> tuple[str, int]:
    """A payload near a real message: a type's bits (random, with sentinels and extremes put
    in), and its fill bits; unless ``complete``, cut at any length from 0 to 90 characters
    (random characters past the end), perhaps with a byte outside the armour and any fill."""
    kinds = [1, 2, 3, 18, 19, 27, 5, 24, 24] + ([] if complete else [4, 0, 28, 63])
    kind = draw(st.sampled_from(kinds))
    full = FULL_BITS.get(kind, 168)
    bits = list(f"{draw(st.integers(0, (1 << full) - 1)):0{full}b}")
    put(bits, 0, 6, kind)
    if kind == 24:
        put(bits, 38, 2, draw(st.sampled_from([0, 1] if complete else [0, 0, 1, 1, 2, 3])))
    for (at, n), values in SENTINELS.get({2: 1, 3: 1, 19: 18}.get(kind, kind), []):
        if draw(st.booleans()):
            put(bits, at, n, draw(st.sampled_from(values)))
    fill = -full % 6
    bits += ["0"] * fill
    payload = "".join(ARMOUR[int("".join(bits[i : i + 6]), 2)] for i in range(0, len(bits), 6))
    if complete:
        return payload, fill
    payload += "".join(draw(st.lists(st.sampled_from(ARMOUR), min_size=90, max_size=90)))
    payload = payload[: draw(st.one_of(st.just(len(bits) // 6), st.integers(0, 90)))]
    if payload and draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(payload) - 1))
        payload = payload[:at] + draw(st.sampled_from(INVALID)) + payload[at + 1 :]
    return payload, draw(st.one_of(st.just(fill), st.integers(0, 5), st.integers(0, 7)))


FORMS = st.sampled_from(["fast", "fast", "fast", "loop", "two-part"])


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(payload_of(), FORMS), min_size=1, max_size=40))
def test_any_payload_decodes_as_the_bit_reference_says(drawn: list) -> None:
    check([(payload, fill, form) for (payload, fill), form in drawn])


def test_every_length_0_to_90_chars_every_fill_every_type_decodes_as_the_reference() -> None:
    rng = np.random.default_rng(8)
    messages = []
    for kind in (1, 2, 3, 18, 19, 27, 5, 24, 4):
        for n_chars in range(91):
            for fill in range(6):
                values = rng.integers(0, 64, size=n_chars)
                if n_chars:
                    values[0] = kind
                if kind == 24 and n_chars >= 7:  # part A or B (bits 38-39 in character 6)
                    values[6] &= 0b110011 if fill % 2 else 0b110111
                payload = "".join(ARMOUR[v] for v in values)
                messages.append((payload, fill, ["fast", "loop", "two-part"][(n_chars + fill) % 3]))
    check(messages)


def test_rows_beyond_one_block_of_100000_decode_like_the_first() -> None:
    """Batches are mapped and decoded 100,000 rows at a time: row 100,000 and on alike."""
    rng = np.random.default_rng(9)
    distinct = []
    for kind in (1, 18, 27, 19, 5):
        for _ in range(4):
            values = rng.integers(0, 64, size=-(-FULL_BITS[kind] // 6))
            values[0] = kind
            distinct.append("".join(ARMOUR[v] for v in values))
    distinct.append("1" + "X" * 27)  # invalid
    picks = rng.integers(0, len(distinct), size=230_000)
    lines = [sentence(f"AIVDM,1,1,,A,{distinct[p]},0") for p in picks]
    data = ("\n".join(lines) + "\n").encode("latin-1")
    decoded = nmea.decode_parsed(nmea.scan_lines(data, "t.nmea", []))
    outcome = np.array(nmea._OUTCOMES)[decoded.parsed.outcome]
    refs = [reference(p, 0) for p in distinct]
    want_outcome = np.array([r.outcome for r in refs], dtype="U16")[picks]
    # No line has a time: a decodable report counts "no_timestamp" but is decoded.
    want_outcome[want_outcome == "fix"] = "no_timestamp"
    bad = np.flatnonzero(outcome != want_outcome)
    assert len(bad) == 0, (bad[:5], outcome[bad[:5]], want_outcome[bad[:5]])
    is_pos = np.array([r.pos is not None for r in refs])[picks]
    assert np.array_equal(decoded.pos_rows, np.flatnonzero(is_pos))
    for name in ("mmsi", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status"):
        table = np.array([np.nan if r.pos is None else r.pos[name] for r in refs])
        want = table[picks[is_pos]].astype(decoded.pos[name].dtype)
        assert np.array_equal(decoded.pos[name], want, equal_nan=True), name
    with_static = [i for i, r in enumerate(refs) if r.static]
    assert len(decoded.statics) == int(np.isin(picks, with_static).sum())


# --- the reference against pyais --------------------------------------------------------------


def cut_text(text: str | None) -> str | None:
    """pyais's text as this project reads it: pyais keeps what follows an '@' inside a text
    (it strips only trailing ones); ITU-R M.1371-5 makes '@' the end of the text."""
    return (text or "").split("@")[0].strip() or None


def pyais_check(payload: str, fill: int) -> None:
    """pyais's decode of a complete report equals the reference (pyais rounds degrees to 6
    decimals, keeps type 27's 63 knots, and texts past an '@')."""
    ref = reference(payload, fill)
    msg = pyais.decode(sentence(f"AIVDM,1,1,,A,{payload},{fill}")).asdict()
    assert msg["msg_type"] == ref.kind
    if ref.pos is not None:
        p = ref.pos
        assert msg["mmsi"] == p["mmsi"]
        assert round(p["lat"], 6) == pytest.approx(msg["lat"], abs=1e-9)
        assert round(p["lon"], 6) == pytest.approx(msg["lon"], abs=1e-9)
        sog = 63.0 if ref.kind == 27 and np.isnan(p["sog_kn"]) else p["sog_kn"]
        assert sog == pytest.approx(msg["speed"], abs=1e-4)
        assert p["cog_deg"] == pytest.approx(msg["course"], abs=1e-4)
        if ref.kind != 27:
            assert p["heading_deg"] == msg["heading"]
        if ref.kind in (1, 2, 3, 27):
            assert p["nav_status"] == int(msg["status"])
    if ref.static is not None:
        s = ref.static
        assert msg["mmsi"] == s["mmsi"]
        if ref.kind == 5:
            imo = msg["imo"] if 1_000_000 <= msg["imo"] <= 9_999_999 else None
            assert (s["imo"], s["callsign"], s["destination"]) == (
                imo,
                cut_text(msg["callsign"]),
                cut_text(msg["destination"]),
            )
        if "shipname" in msg and (ref.kind != 24 or msg.get("partno") == 0):
            assert s["name"] == cut_text(msg["shipname"])
        if "ship_type" in msg:
            # pyais folds some codes into its ShipType names (1-19 -> 0, 46-48 -> 45, ...) and
            # passes others through as numbers (255): fold both sides the same way.
            theirs = ShipType(int(msg["ship_type"]))
            assert ShipType(s["ship_type"] or 0) == theirs
        if "to_bow" in msg and not np.isnan(s["length_m"]):
            assert s["length_m"] == msg["to_bow"] + msg["to_stern"]
        if ref.kind == 24 and msg.get("partno") == 1:
            assert s["callsign"] == cut_text(msg["callsign"])


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(payload_of(complete=True))
def test_bit_reference_equals_pyais_on_complete_reports(drawn: tuple[str, int]) -> None:
    pyais_check(*drawn)


# --- gathering slices of a buffer --------------------------------------------------------------


@st.composite
def slices_of(draw: st.DrawFn) -> tuple[bytes, list[int], list[int]]:
    """A buffer and slices inside it: of one length, of mixed short lengths, or with a few
    long ones (each of ``gather``'s three ways)."""
    data = draw(st.binary(min_size=0, max_size=400))
    n = draw(st.integers(0, 60))
    longest = draw(st.sampled_from([0, 1, 2, 28, 400]))
    same = draw(st.booleans())
    starts, lengths = [], []
    for _ in range(n):
        start = draw(st.integers(0, len(data)))
        size = longest if same else draw(st.integers(0, longest))
        starts.append(start)
        lengths.append(min(size, len(data) - start))
    return data, starts, lengths


@settings(max_examples=200, deadline=None)
@given(slices_of())
def test_gather_equals_the_slices_joined(drawn: tuple[bytes, list[int], list[int]]) -> None:
    data, starts, lengths = drawn
    buf = np.frombuffer(data, dtype=np.uint8)
    got = ais_payload.gather(
        buf, np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64)
    )
    assert got.dtype == np.uint8
    assert got.tobytes() == b"".join(data[s : s + n] for s, n in zip(starts, lengths, strict=True))

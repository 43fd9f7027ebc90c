"""NMEA 0183 AIS reader: ``!xxVDM`` / ``!xxVDO`` sentences to position and static records.

``read_nmea(path)`` is what the ingest calls; ``decode_messages(path)`` gives every decoded
position report, timed or not, for comparisons with other decoders at the message level.
The policy for what is accepted and rejected is in ``read_nmea``'s docstring.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from desktop.core.ingest import ais_payload as ap
from desktop.core.ingest.base import (
    ACCEPTED_FIX,
    ACCEPTED_FRAGMENT,
    ACCEPTED_OTHER,
    ACCEPTED_STATIC,
    ACCEPTED_TIMESTAMP,
    BAD_CHECKSUM,
    BAD_PAYLOAD,
    FIRST_LINES_KEPT,
    NO_TIMESTAMP,
    NOT_AIS,
    ORPHAN_FRAGMENT,
    STATIC_COLUMNS,
    TRUNCATED,
    UNSUPPORTED_TYPE,
    LineTally,
    RawRead,
)

# Rejection reason of this reader only: a $PGHP line (or a line holding only a tag block)
# that no sentence could use.
ORPHAN_TIMESTAMP: Final = "orphan_timestamp"

# Outcome codes of a line, in the order of this tuple (0 = not decided yet).
_OUTCOMES: Final = (
    "",
    ACCEPTED_FIX,
    ACCEPTED_STATIC,
    ACCEPTED_FRAGMENT,
    ACCEPTED_TIMESTAMP,
    ACCEPTED_OTHER,
    BAD_CHECKSUM,
    TRUNCATED,
    ORPHAN_FRAGMENT,
    NO_TIMESTAMP,
    UNSUPPORTED_TYPE,
    NOT_AIS,
    BAD_PAYLOAD,
    ORPHAN_TIMESTAMP,
)
_CODE: Final = {name: code for code, name in enumerate(_OUTCOMES)}
_ACCEPTED: Final = frozenset(
    {ACCEPTED_FIX, ACCEPTED_STATIC, ACCEPTED_FRAGMENT, ACCEPTED_TIMESTAMP, ACCEPTED_OTHER}
)
_FIX, _STATIC, _FRAGMENT, _STAMP, _OTHER = (_CODE[k] for k in list(_OUTCOMES)[1:6])
_BADSUM, _TRUNC, _ORPHAN, _NOTIME, _UNSUP, _NOTAIS, _BADPAY, _ORPHTS = range(6, 14)

NO_TIME: Final = np.iinfo(np.int64).min  # "no time" inside int64 ns arrays

# Epoch values outside [1980, 2100) are not times (e.g. pyais's 11-digit ``c:12415440354``).
_EPOCH_MIN_S: Final = 315_532_800
_EPOCH_MAX_S: Final = 4_102_444_800
# ``c:`` and trailing epoch fields above this are milliseconds: 1e11 s is the year 5138,
# while 1e11 ms is 1973, so no real value of either unit falls on the wrong side.
_MS_THRESHOLD: Final = 1e11
# An exactEarth $PGHP line and its sentence arrive at most this far apart (AMSA risky's
# MAXIMUM_ARRIVAL_TIME_DIFFERENCE_MS).
_PGHP_MAX_ARRIVAL_GAP_NS: Final = 1_000_000_000
# Without arrival times, a $PGHP line is matched by checksum to a sentence at most this many
# lines away (exactEarth's lines drift by a few lines; DMA's own test files by none).
_PGHP_WINDOW_LINES: Final = 20
_HEX: Final = tuple(f"{i:02X}" for i in range(256))


def _epoch_ns(text: str) -> int | None:
    """Epoch seconds or milliseconds (see ``_MS_THRESHOLD``) as int ns, None if not a time."""
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    if value > _MS_THRESHOLD:
        value /= 1000.0
    if not _EPOCH_MIN_S <= value < _EPOCH_MAX_S:
        return None
    return int(round(value * 1e6)) * 1000


def _iso_ns(text: str) -> int | None:
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None:  # a feed's own clock: taken as UTC, as every AIS logger writes it
        stamp = stamp.replace(tzinfo=UTC)
    ns = int(round(stamp.timestamp() * 1e6)) * 1000
    return ns if _EPOCH_MIN_S * 10**9 <= ns < _EPOCH_MAX_S * 10**9 else None


def _leading_ns(prefix: str) -> int | None:
    """A stamp written before the sentence: epoch seconds/ms or ISO 8601 (naive = UTC)."""
    text = prefix.strip(" \t,;|")
    if not text:
        return None
    if text[0].isdigit() and text.replace(".", "", 1).isdigit():
        return _epoch_ns(text)
    return _iso_ns(text.replace("Z", "+00:00") if text.endswith("Z") else text)


def _trailing_ns(tail: str) -> int | None:
    """The last comma field after the checksum, when it is an epoch (USCG N-AIS, AMSA)."""
    if not tail or tail[0] != ",":
        return None
    last = tail.rsplit(",", 1)[1].strip()
    if not last or not last[0].isdigit():
        return None
    return _epoch_ns(last)


def _pghp_ns(fields: list[str]) -> int | None:
    """``$PGHP,1,<yyyy>,<mm>,<dd>,<HH>,<MM>,<SS>,<ms>,...`` (Gatehouse) as int ns UTC."""
    try:
        y, mo, d, h, mi, s, ms = (int(x) for x in fields[2:9])
        stamp = datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=UTC)
    except (ValueError, IndexError, OverflowError):
        return None
    ns = int(round(stamp.timestamp() * 1e6)) * 1000
    return ns if _EPOCH_MIN_S * 10**9 <= ns < _EPOCH_MAX_S * 10**9 else None


def _tag_fields(tag: str) -> dict[str, str]:
    body = tag.split("*", 1)[0]
    out: dict[str, str] = {}
    for item in body.split(","):
        key, sep, value = item.partition(":")
        if sep:
            out[key] = value
    return out


def _tag_group(fields: dict[str, str]) -> str | None:
    """Group id of a tag block: ``g:<n>-<m>-<id>`` or the NMEA 4.0 form ``<n>G<m>:<id>``."""
    g = fields.get("g")
    if g is not None:
        parts = g.split("-")
        return parts[2] if len(parts) == 3 else None
    for key, value in fields.items():
        if "G" in key and key[:1].isdigit():
            return value
    return None


def _xor_each(texts: list[str]) -> np.ndarray:
    """NMEA checksum (XOR of the bytes) of every text, vectorised over all of them."""
    if not texts:
        return np.zeros(0, dtype=np.uint8)
    length = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    raw = np.frombuffer("".join(texts).encode("latin-1"), dtype=np.uint8)
    out = np.zeros(len(texts), dtype=np.uint8)
    nonempty = length > 0
    if raw.size:
        starts = np.concatenate(([0], np.cumsum(length)[:-1]))
        sums = np.bitwise_xor.reduceat(raw, np.minimum(starts, raw.size - 1))
        out[nonempty] = sums[nonempty]
    return out


@dataclass
class _Messages:
    """Complete AIS messages (multipart joined), one entry per message, in completion order."""

    payload: list[str] = field(default_factory=list)
    fill: list[int] = field(default_factory=list)
    line: list[int] = field(default_factory=list)  # 0-based line that completed it
    earlier: list[tuple[int, ...]] = field(default_factory=list)  # 0-based earlier parts
    tag_ns: list[int | None] = field(default_factory=list)
    tail_ns: list[int | None] = field(default_factory=list)
    lead_ns: list[int | None] = field(default_factory=list)
    own_ship: list[bool] = field(default_factory=list)
    sums: list[tuple[str, ...]] = field(default_factory=list)  # sentence checksums, for $PGHP


@dataclass
class _Parsed:
    path: str
    lines: int
    outcome: np.ndarray  # int8 code per line
    msgs: _Messages
    time_ns: np.ndarray  # int64 per message, NO_TIME when none
    pb: ap.PayloadBatch
    notes: list[str]


def _read_text(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        magic = fh.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(path, "rb") as fh:
        data = fh.read()
    # latin-1 maps every byte to a character: a corrupt byte never stops the read.
    lines = data.decode("latin-1").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _scan(path: Path) -> _Parsed:  # noqa: C901 - one pass over the lines, kept in one place
    lines = _read_text(path)
    n_lines = len(lines)
    outcome = np.zeros(n_lines, dtype=np.int8)
    notes: list[str] = []

    # Pass 1: classify each line with cheap string operations; keep AIS sentence candidates.
    cand_line: list[int] = []
    cand_body: list[str] = []
    cand_sum: list[str] = []
    cand_tail: list[str] = []
    cand_tag: list[str | None] = []
    cand_lead: list[int | None] = []
    pghp: list[tuple[int, list[str], int | None]] = []  # line, fields, arrival time
    lone_tags: dict[int, str] = {}  # 0-based line of a sentence -> tag block of the line before
    lone_tag_lines: list[int] = []
    pending_lone: int | None = None

    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            outcome[i] = _NOTAIS
            pending_lone = None
            continue
        c0 = line[0]
        tag: str | None = None
        lead: int | None = None
        if c0 == "!":
            s = line
        elif c0 == "#":  # a comment, even one quoting a sentence
            outcome[i] = _NOTAIS
            pending_lone = None
            continue
        elif c0 == "\\":
            end = line.find("\\", 1)
            if end < 0:
                outcome[i] = _NOTAIS
                pending_lone = None
                continue
            tag = line[1:end]
            s = line[end + 1 :]
            if not s:  # a line holding only a tag block: it may belong to the next sentence
                lone_tag_lines.append(i)
                pending_lone = i
                continue
        elif c0 == "$":
            if line.startswith("$PGHP,"):
                head, _, tail = line.partition("*")
                pghp.append((i, head.split(","), _trailing_ns(tail[2:])))
            else:
                outcome[i] = _NOTAIS
            pending_lone = None
            continue
        else:
            bang = line.find("!")
            back = line.find("\\")
            k = bang if back < 0 else (back if bang < 0 else min(bang, back))
            if k <= 0:
                outcome[i] = _NOTAIS
                pending_lone = None
                continue
            lead = _leading_ns(line[:k])
            s = line[k:]
            if s[0] == "\\":
                end = s.find("\\", 1)
                if end < 0:
                    outcome[i] = _NOTAIS
                    pending_lone = None
                    continue
                tag = s[1:end]
                s = s[end + 1 :]
        if len(s) < 7 or s[0] != "!" or s[3:6] not in ("VDM", "VDO") or s[6] != ",":
            outcome[i] = _NOTAIS
            pending_lone = None
            continue
        star = s.find("*")
        if star < 0:
            outcome[i] = _TRUNC
            pending_lone = None
            continue
        if pending_lone is not None and tag is None:
            lone_tags[i] = lines[pending_lone].strip()[1:-1]
            tag = lone_tags[i]
            outcome[pending_lone] = _STAMP
        pending_lone = None
        cand_line.append(i)
        cand_body.append(s[1:star])
        cand_sum.append(s[star + 1 : star + 3])
        cand_tail.append(s[star + 3 :])
        cand_tag.append(tag)
        cand_lead.append(lead)
    for i in lone_tag_lines:
        if outcome[i] == 0:
            outcome[i] = _ORPHTS

    # Sentence checksums, all at once.
    xor = _xor_each(cand_body)
    tagged = [j for j, t in enumerate(cand_tag) if t is not None]
    tag_bad = 0
    if tagged:
        tag_texts = [cand_tag[j] or "" for j in tagged]
        tag_xor = _xor_each([t.split("*", 1)[0] for t in tag_texts])
        for t, x in zip(tag_texts, tag_xor, strict=True):
            star = t.find("*")
            if star < 0 or t[star + 1 : star + 3].upper() != _HEX[x]:
                tag_bad += 1

    # Pass 2: checksum, fields, multipart assembly.
    msgs = _Messages()
    partial: dict[tuple[str, ...], dict] = {}
    for j, i in enumerate(cand_line):
        hx = _HEX[xor[j]]
        given = cand_sum[j]
        if given != hx and given.upper() != hx:
            outcome[i] = _BADSUM
            continue
        f = cand_body[j].split(",")
        if len(f) < 7:
            outcome[i] = _BADPAY
            continue
        own = f[0][2:5] == "VDO"
        tag = cand_tag[j]
        if f[1] == "1" and f[2] == "1":
            fill = f[6]
            msgs.payload.append(f[5])
            msgs.fill.append(int(fill) if fill.isdigit() else -1)
            msgs.line.append(i)
            msgs.earlier.append(())
            msgs.tag_ns.append(_epoch_ns(_tag_fields(tag).get("c", "")) if tag else None)
            msgs.tail_ns.append(_trailing_ns(cand_tail[j]))
            msgs.lead_ns.append(cand_lead[j])
            msgs.own_ship.append(own)
            msgs.sums.append((cand_sum[j].upper(),))
            continue
        # Multipart: joined by the tag-block group when there is one, else by talker,
        # sentence kind, sequence id and channel; parts must arrive in order 1..n.
        try:
            total, num = int(f[1]), int(f[2])
        except ValueError:
            outcome[i] = _BADPAY
            continue
        if not 1 <= num <= total:
            outcome[i] = _BADPAY
            continue
        tfields = _tag_fields(tag) if tag else {}
        group = _tag_group(tfields) if tfields else None
        key = ("g", group, str(total)) if group is not None else (f[0], f[3], f[4], str(total))
        part = {
            "line": i,
            "payload": f[5],
            "fill": f[6],
            "tag_ns": _epoch_ns(tfields.get("c", "")) if tfields else None,
            "tail_ns": _trailing_ns(cand_tail[j]),
            "lead_ns": cand_lead[j],
            "sum": cand_sum[j].upper(),
        }
        held = partial.get(key)
        if num == 1:
            if held is not None:
                outcome[[p["line"] for p in held["parts"]]] = _ORPHAN
            partial[key] = {"parts": [part], "own": own}
            if total > 1:
                continue
            held = partial[key]
        elif held is None or len(held["parts"]) != num - 1:
            outcome[i] = _ORPHAN
            if held is not None:
                outcome[[p["line"] for p in held["parts"]]] = _ORPHAN
                del partial[key]
            continue
        else:
            held["parts"].append(part)
            if num < total:
                continue
        del partial[key]
        parts = held["parts"]
        fill = parts[-1]["fill"]
        msgs.payload.append("".join(p["payload"] for p in parts))
        msgs.fill.append(int(fill) if fill.isdigit() else -1)
        msgs.line.append(parts[-1]["line"])
        msgs.earlier.append(tuple(p["line"] for p in parts[:-1]))
        msgs.tag_ns.append(next((p["tag_ns"] for p in parts if p["tag_ns"] is not None), None))
        msgs.tail_ns.append(next((p["tail_ns"] for p in parts if p["tail_ns"] is not None), None))
        msgs.lead_ns.append(next((p["lead_ns"] for p in parts if p["lead_ns"] is not None), None))
        msgs.own_ship.append(held["own"])
        msgs.sums.append(tuple(p["sum"] for p in parts))
    for held in partial.values():
        outcome[[p["line"] for p in held["parts"]]] = _ORPHAN

    pghp_ns = _match_pghp(pghp, msgs, outcome)

    n = len(msgs.payload)

    def _arr(values: list[int | None]) -> np.ndarray:
        return np.fromiter((NO_TIME if v is None else v for v in values), dtype=np.int64, count=n)

    # Time source priority: tag block c:, then $PGHP, then trailing epoch, then leading stamp.
    time_ns = _arr(msgs.tag_ns)
    for source in (pghp_ns, _arr(msgs.tail_ns), _arr(msgs.lead_ns)):
        missing = time_ns == NO_TIME
        time_ns[missing] = source[missing]

    fill = np.asarray(msgs.fill, dtype=np.int64)
    pb = ap.batch(msgs.payload, np.clip(fill, 0, 5))
    pb.invalid |= (fill < 0) | (fill > 5)
    if tag_bad:
        notes.append(
            f"{tag_bad} tag block(s) with a wrong tag-block checksum: their fields were used "
            "because the sentence's own checksum was valid"
        )
    own = int(np.count_nonzero(np.asarray(msgs.own_ship, dtype=bool)))
    if own:
        notes.append(f"{own} own-ship (VDO) message(s) decoded like VDM")
    if lone_tags:
        notes.append(
            f"{len(lone_tags)} tag block(s) on a line of their own applied to the next sentence"
        )
    return _Parsed(str(path), n_lines, outcome, msgs, time_ns, pb, notes)


def _match_pghp(
    pghp: list[tuple[int, list[str], int | None]], msgs: _Messages, outcome: np.ndarray
) -> np.ndarray:
    """Times from Gatehouse ``$PGHP`` lines, per message (NO_TIME where none applies).

    The last field of a $PGHP line names the checksum of the sentence it stamps. Two layouts
    exist, and the reference reader of each is followed:

    - Gatehouse's own (DMA's feed): the $PGHP line stands just before its sentence, and DMA
      AisLib attaches it to the next sentence. Gatehouse writes ``00``, or a checksum that is
      not that of any part, for own-ship and multipart messages. So, first, a $PGHP line
      stamps the message whose first sentence is on the next line when its reference is
      ``00``, or the checksum of one of that message's sentences, or the message is multipart.
    - exactEarth's satellite feed (AMSA): $PGHP lines drift a few lines before or after their
      sentence, and in the augmented files every line ends with an arrival time in ms. AMSA's
      ``risky`` (``NmeaStreamProcessor``) matches a $PGHP line to the message whose checksum
      equals the reference and whose arrival time is closest, within 1 s. So, second, a
      $PGHP line not placed by the first rule stamps the unstamped message with that checksum
      nearest in arrival time (within 1 s) when both carry one, else nearest in lines (within
      ``_PGHP_WINDOW_LINES``).

    The first rule runs over every $PGHP line before the second, so a loose match never takes
    a message that its own $PGHP line claims. A $PGHP line that stamps nothing (its sentence
    is missing or was rejected), or whose date does not parse, is ``orphan_timestamp``.
    """
    n = len(msgs.payload)
    out = np.full(n, NO_TIME, dtype=np.int64)
    if not pghp:
        return out
    starts: dict[int, int] = {}  # first line of a message -> message
    by_sum: dict[str, list[tuple[int, int]]] = {}  # checksum -> (line, message)
    for m in range(n):
        lines = (*msgs.earlier[m], msgs.line[m])
        starts[lines[0]] = m
        for line, s in zip(lines, msgs.sums[m], strict=True):
            by_sum.setdefault(s, []).append((line, m))
    left: list[tuple[int, int, str, int | None]] = []
    for i, fields, arrival in pghp:
        ns = _pghp_ns(fields)
        if ns is None:
            outcome[i] = _ORPHTS
            continue
        ref = fields[-1].strip().upper()
        nxt = starts.get(i + 1)
        if (
            nxt is not None
            and out[nxt] == NO_TIME
            and (ref == "00" or ref in msgs.sums[nxt] or len(msgs.sums[nxt]) > 1)
        ):
            out[nxt] = ns
            outcome[i] = _STAMP
        else:
            left.append((i, ns, ref, arrival))
    for i, ns, ref, arrival in left:
        best: tuple[tuple[int, int], int] | None = None
        for line, m in by_sum.get(ref, ()) if ref != "00" else ():
            if out[m] != NO_TIME:
                continue
            tail = msgs.tail_ns[m]
            if arrival is not None and tail is not None:
                gap = abs(tail - arrival)
                if gap > _PGHP_MAX_ARRIVAL_GAP_NS:
                    continue
            elif abs(line - i) <= _PGHP_WINDOW_LINES:
                gap = 0
            else:
                continue
            rank = (gap, abs(line - i))
            if best is None or rank < best[0]:
                best = (rank, m)
        if best is None:
            outcome[i] = _ORPHTS
        else:
            out[best[1]] = ns
            outcome[i] = _STAMP
    return out


@dataclass
class _Decoded:
    parsed: _Parsed
    pos_rows: np.ndarray  # message indices of decodable position reports
    pos: dict[str, np.ndarray]
    statics: pd.DataFrame


def _decode(path: str | Path) -> _Decoded:
    parsed = _scan(Path(path))
    pb, msgs, outcome = parsed.pb, parsed.msgs, parsed.outcome
    n = len(msgs.payload)
    kind = pb.msg_type
    status = np.full(n, _OTHER, dtype=np.int8)
    status[(kind < 1) | (kind > ap.MAX_TYPE)] = _UNSUP
    is_pos = np.isin(kind, list(ap.POSITION_TYPES))
    status[is_pos & (pb.bits < ap.min_bits(kind))] = _TRUNC
    status[pb.length == 0] = _TRUNC
    status[pb.invalid] = _BADPAY
    pos_rows = np.flatnonzero(is_pos & (status == _OTHER))
    status[pos_rows] = _FIX
    pos = ap.decode_positions(pb, pos_rows)
    untimed = parsed.time_ns[pos_rows] == NO_TIME
    status[pos_rows[untimed]] = _NOTIME

    static_rows = np.flatnonzero(np.isin(kind, list(ap.STATIC_TYPES)) & (status == _OTHER))
    records = []
    for m in static_rows:
        row = ap.decode_static(msgs.payload[m], int(msgs.fill[m]))
        if row is None:
            status[m] = _TRUNC
            continue
        status[m] = _STATIC
        t = parsed.time_ns[m]
        row["time"] = None if t == NO_TIME else int(t)
        row["line"] = msgs.line[m] + 1
        records.append(row)
    # Type 19 carries a name and dimensions too: kept as static rows (the line counts as a fix).
    for m in pos_rows[kind[pos_rows] == 19]:
        row = ap.decode_static(msgs.payload[m], int(msgs.fill[m]))
        if row is not None:
            t = parsed.time_ns[m]
            row["time"] = None if t == NO_TIME else int(t)
            row["line"] = msgs.line[m] + 1
            records.append(row)

    # Every line of a message gets the message's outcome; accepted multipart messages count
    # their earlier parts as fragments.
    line_idx = np.asarray(msgs.line, dtype=np.int64)
    outcome[line_idx] = status
    for m in range(n):
        if msgs.earlier[m]:
            s = int(status[m])
            outcome[list(msgs.earlier[m])] = _FRAGMENT if _OUTCOMES[s] in _ACCEPTED else s
    return _Decoded(parsed, pos_rows, pos, _statics_frame(records))


def _statics_frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=list(STATIC_COLUMNS))
    times = np.fromiter(
        (NO_TIME if r["time"] is None else r["time"] for r in records),
        dtype=np.int64,
        count=len(records),
    )
    frame["time"] = _utc(times)
    frame["mmsi"] = frame["mmsi"].astype("uint32")
    frame["imo"] = frame["imo"].astype("Int64")
    frame["ship_type"] = frame["ship_type"].astype("Int64")
    frame["length_m"] = frame["length_m"].astype("float64")
    frame["width_m"] = frame["width_m"].astype("float64")
    frame["line"] = frame["line"].astype("int64")
    for name in ("name", "callsign", "destination"):
        frame[name] = pd.Series([r[name] for r in records], index=frame.index, dtype=object)
    return frame.sort_values("line", kind="stable", ignore_index=True)


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    """int64 ns (NO_TIME = numpy's NaT bit pattern) as UTC datetimes, without float rounding."""
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]")).tz_localize(
        "UTC"
    )


def _tally(outcome: np.ndarray) -> LineTally:
    tally = LineTally()
    assert not (outcome == 0).any(), "every line must have an outcome"
    counts = np.bincount(outcome, minlength=len(_OUTCOMES))
    for code, name in enumerate(_OUTCOMES):
        if code == 0 or counts[code] == 0:
            continue
        if name in _ACCEPTED:
            tally.accept(name, int(counts[code]))
        else:
            tally.rejected[name] += int(counts[code])
            first = np.flatnonzero(outcome == code)[:FIRST_LINES_KEPT] + 1
            tally.first_lines[name] = [int(x) for x in first]
    return tally


POSITION_COLUMNS: Final = (
    "mmsi",
    "time",
    "lat",
    "lon",
    "sog_kn",
    "cog_deg",
    "heading_deg",
    "nav_status",
    "line",
)


def read_nmea(path: str | Path) -> RawRead:
    """Read an NMEA 0183 AIS file (plain or gzip) into position and static records.

    Sentences: ``!xxVDM`` and ``!xxVDO`` with any two-character talker (``AI``, ``BS``, ``AB``,
    ``--``, ``=I`` ...), optionally preceded by an NMEA 4.10 tag block ``\\...*hh\\`` and/or a
    leading time stamp, optionally followed by fields after the checksum. VDO (own ship) is
    decoded like VDM and noted. Signal K's 8-field VDM (an extra ``,0`` before the checksum,
    empty channel) is read: the payload is field 6 and the fill bits field 7, as usual.

    Multipart messages are joined by the tag-block group (``g:<n>-<m>-<id>`` or NMEA 4.0
    ``<n>G<m>:<id>``) when the sentence has one, so halves need not be adjacent; otherwise by
    talker, sequence id and channel. Parts must come in order; a part that never completes a
    message, or a part out of order, is ``orphan_fragment`` (every line of it).

    Time of a message, first source found:

    1. tag block ``c:`` (Unix seconds; values above 1e11 are milliseconds, since 1e11 s is
       the year 5138 and 1e11 ms is 1973);
    2. a Gatehouse ``$PGHP,1,yyyy,mm,dd,HH,MM,SS,ms,...`` line, matched as ``_match_pghp``
       describes (normally the line just before the sentence);
    3. the LAST comma field after the checksum, when it is an epoch (seconds, or ms above
       1e11). USCG N-AIS writes ``...*hh,s..,d..,T..,x..,r<station>,<epoch>`` and some of its
       files two epochs at the end (``,1325394060,1325394001``). The format was never
       standardised; libais's ``ais/uscg.py``, the reference reader of these files, says the
       timestamp "is a UNIX UTC seconds from the epoch value and must come last", so the
       last field is the one used. AMSA writes one epoch field (seconds, or ms in the
       exactEarth files);
    4. a stamp before the sentence on the same line (epoch s/ms, or ISO 8601; naive = UTC).

    Epochs outside 1980..2100 are not times. A position report with no time is decoded
    (see ``decode_messages``) but is not a fix: its lines count ``no_timestamp``. Static
    messages without a time are kept with ``time`` NaT.

    Checksums: the sentence checksum (XOR between ``!`` and ``*``) must match, else the line
    is ``bad_checksum``. Tag-block checksums are NOT enforced: feeds such as AMSA's write a
    wrong one on every tag block, while the sentence checksum still protects the payload, so
    a tag block is used whenever its sentence is valid; the count of wrong tag-block
    checksums goes to ``notes``.

    Every physical line of the file (split on ``\\n``; blank lines included) is counted once
    in ``tally``, so ``tally.total == lines``:

    - ``fix``: completed a timed position report (types 1, 2, 3, 18, 19, 27);
    - ``static``: completed a type 5 or 24 (part A or B) message; type 19 reports also add a
      static row but count as ``fix``;
    - ``fragment``: an earlier part of an accepted multipart message;
    - ``timestamp``: a $PGHP line, or a line holding only a tag block, that was used (a tag
      block alone on a line is applied to the sentence on the next line, as DMA AisLib does,
      when that sentence has no tag block of its own);
    - ``other_ais``: a valid message of another type 1..27 (base stations, binary, ...);
    - ``not_ais``: blank lines, ``#`` comments, other ``$``/``!`` sentences, junk;
    - ``truncated``: a VDM/VDO line cut before its checksum, an empty payload, or a payload
      too short for the fields read from its type;
    - ``bad_payload``: a valid checksum around a payload with characters outside the 6-bit
      armour, a fill-bit count outside 0..5, or sentence count fields that are not numbers;
    - ``unsupported_type``: message type 0 or 28..63 (not defined by ITU-R M.1371-5);
    - ``orphan_fragment``, ``no_timestamp``, ``bad_checksum`` as above;
    - ``orphan_timestamp``: a $PGHP line or lone tag block that stamped no sentence.

    MMSI and position validity and duplicates are not judged here (the shared cleaning
    step does that); sentinels (lat 91, lon 181, SOG 102.3, COG 360, heading 511) are left in.
    """
    decoded = _decode(path)
    parsed = decoded.parsed
    timed = parsed.time_ns[decoded.pos_rows] != NO_TIME
    rows = decoded.pos_rows[timed]
    pos = {k: v[timed] for k, v in decoded.pos.items()}
    positions = pd.DataFrame(
        {
            "mmsi": pos["mmsi"].astype(np.uint32),
            "time": parsed.time_ns[rows],
            "lat": pos["lat"],
            "lon": pos["lon"],
            "sog_kn": pos["sog_kn"],
            "cog_deg": pos["cog_deg"],
            "heading_deg": pos["heading_deg"],
            "nav_status": pos["nav_status"],
            "line": np.asarray(parsed.msgs.line, dtype=np.int64)[rows] + 1,
        },
        columns=list(POSITION_COLUMNS),
    )
    return RawRead(
        path=parsed.path,
        format="nmea",
        lines=parsed.lines,
        positions=positions,
        statics=decoded.statics,
        tally=_tally(parsed.outcome),
        notes=parsed.notes,
    )


def decode_messages(path: str | Path) -> pd.DataFrame:
    """Every decodable position report of the file, timed or not, one row per message.

    Columns: ``msg_type``, ``mmsi``, ``time`` (datetime64 UTC, NaT when untimed), ``lat``,
    ``lon``, ``sog_kn``, ``cog_deg``, ``heading_deg``, ``nav_status`` (raw decoded values,
    sentinels kept), ``line`` (1-based line that completed the message), ``own_ship`` (VDO).
    For comparing the decoder with others at the message level.
    """
    decoded = _decode(path)
    parsed = decoded.parsed
    rows = decoded.pos_rows
    times = parsed.time_ns[rows]
    return pd.DataFrame(
        {
            "msg_type": parsed.pb.msg_type[rows],
            "mmsi": decoded.pos["mmsi"],
            "time": _utc(times),
            "lat": decoded.pos["lat"],
            "lon": decoded.pos["lon"],
            "sog_kn": decoded.pos["sog_kn"],
            "cog_deg": decoded.pos["cog_deg"],
            "heading_deg": decoded.pos["heading_deg"],
            "nav_status": decoded.pos["nav_status"],
            "line": np.asarray(parsed.msgs.line, dtype=np.int64)[rows] + 1,
            "own_ship": np.asarray(parsed.msgs.own_ship, dtype=bool)[rows],
        }
    )

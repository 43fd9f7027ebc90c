"""Watch-list hits (DESIGN.md §2): a vessel whose IMO, MMSI or name is on a watch list.

Matching is exact and explainable, strongest first:

* ``imo``: an IMO the vessel reported equals the entry's IMO (check digit valid);
* ``mmsi``: the vessel's MMSI equals the entry's MMSI;
* ``name``: a name the vessel reported equals the entry's name, an alias or a former name
  after ``desktop.core.watchlist.name_key`` (case, spaces, punctuation and a leading ``M/V``
  ignored), or the first 20 characters of a longer listed name (AIS sends at most 20). A name
  match is weaker (ship names repeat), and its summary says so. It is dropped when the vessel
  reported a valid IMO number other than the listed one (``_contradicted``).

Several lists are checked at once; an entry is told apart by its list, file and entry number
(``WatchEntry.key``), so a vessel named by two lists gets one event per list, each naming its
list and its entry (``reference``: the list's own reference, OFAC's entry number for SDN).

Each (vessel, entry) pair gives one event, for its strongest match; weaker matches of the
same pair are listed in ``also_matched``. Identities come from the static history (timed
records at or before ``as_of``), from untimed static records, and from the vessels table for a
vessel with no static record at all. The event spans the time the vessel used the matching
identity: from the first to the last record of that value, stretched back to the vessel's
first fix when it is the first value the vessel sent and on to its last fix when it is the
latest (readers keep only the records where values change). Values without a time span the
vessel's fixes; an MMSI spans its fixes (or its records when it has no fix).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from desktop.core.detect.geo import time_ns, to_datetime
from desktop.core.model import Event, EventKind
from desktop.core.watchlist import (
    NameRef,
    WatchEntry,
    Watchlist,
    imo_is_valid,
    name_key,
)

_STRENGTH = {"imo": 0, "mmsi": 1, "name": 2}


@dataclass(frozen=True)
class _Seen:
    """One identity value of one vessel and the span it was used (ns since the epoch)."""

    mmsi: int
    field: str  # "imo", "mmsi" or "name"
    value: Any
    start_ns: int
    end_ns: int


@dataclass(frozen=True)
class _Hit:
    seen: _Seen
    entry: WatchEntry
    ref: NameRef | None = None  # for name matches


def _fix_spans(fixes: pd.DataFrame) -> dict[int, tuple[int, int]]:
    if len(fixes) == 0:
        return {}
    mmsi = fixes["mmsi"].to_numpy()
    t = time_ns(fixes)
    starts = np.flatnonzero(np.concatenate(([True], mmsi[1:] != mmsi[:-1])))
    stops = np.append(starts[1:], len(mmsi)) - 1
    firsts, lasts = t[starts].tolist(), t[stops].tolist()
    return {
        int(m): (a, b) for m, a, b in zip(mmsi[starts].tolist(), firsts, lasts, strict=True)
    }


def _static_frame(statics: pd.DataFrame | None, as_of_ns: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(timed records at or before ``as_of``, untimed records): mmsi, t_ns, imo, name."""
    n = 0 if statics is None or "mmsi" not in statics else len(statics)
    frame = pd.DataFrame({"mmsi": np.zeros(n, dtype="int64")})
    if n == 0:
        frame = frame.assign(t_ns=np.zeros(0, "int64"), imo=pd.array([], "Int64"), name=[])
        return frame, frame
    assert statics is not None
    frame["mmsi"] = statics["mmsi"].to_numpy("int64")
    timed = np.zeros(n, dtype=bool)
    frame["t_ns"] = np.zeros(n, dtype="int64")
    if "time" in statics:
        times = pd.to_datetime(statics["time"], utc=True).dt.as_unit("ns")
        timed = times.notna().to_numpy()
        frame["t_ns"] = np.where(timed, times.array.asi8, 0)
    imo = statics["imo"] if "imo" in statics else pd.Series([pd.NA] * n)
    frame["imo"] = pd.to_numeric(imo, errors="coerce").astype("Int64").to_numpy()
    name = statics["name"] if "name" in statics else pd.Series([None] * n)
    upper = name.astype("string").str.strip().str.upper()
    frame["name"] = upper.where(upper != "", pd.NA).to_numpy(dtype=object)
    frame["name"] = frame["name"].where(frame["name"].notna(), None)
    done = frame[timed & (frame["t_ns"].to_numpy() <= as_of_ns)]
    return done.sort_values(["mmsi", "t_ns"], kind="stable"), frame[~timed]


def _timed_spans(
    timed: pd.DataFrame, field: str, spans: dict[int, tuple[int, int]], keep: set[Any]
) -> list[_Seen]:
    """Spans of each (vessel, value) of ``field`` among the values in ``keep``."""
    sub = timed[timed[field].notna()]
    if len(sub) == 0:
        return []
    if field == "name":  # each distinct name once: static tables repeat names a lot
        key = sub[field].map({n: name_key(n) for n in pd.unique(sub[field])})
    else:
        key = sub[field].astype("int64")
    sub = sub.assign(key=key.to_numpy())
    first_value = sub.groupby("mmsi")["key"].first()
    last_value = sub.groupby("mmsi")["key"].last()
    sub = sub[sub["key"].isin(keep)]
    out: list[_Seen] = []
    for (m, k, value), g in sub.groupby(["mmsi", "key", field], sort=True)["t_ns"]:
        start, end = int(g.min()), int(g.max())
        fix = spans.get(int(m))
        if fix is not None:
            if first_value.get(m) == k:
                start = min(start, fix[0])
            if last_value.get(m) == k:
                end = max(end, fix[1])
        out.append(_Seen(int(m), field, value if field == "name" else int(value), start, end))
    return out


def _untimed(
    frame: pd.DataFrame, field: str, spans: dict[int, tuple[int, int]], keep: set[Any]
) -> list[_Seen]:
    out = []
    for m, value in frame[["mmsi", field]].dropna().drop_duplicates().itertuples(index=False):
        k = name_key(value) if field == "name" else int(value)
        span = spans.get(int(m))
        if k in keep and span is not None:
            out.append(_Seen(int(m), field, value if field == "name" else int(value), *span))
    return out


def _identities(
    watchlist: Watchlist,
    fixes: pd.DataFrame,
    statics: pd.DataFrame | None,
    vessels: pd.DataFrame | None,
    as_of_ns: int,
) -> tuple[list[_Seen], dict[int, set[int]]]:
    """Identity values in the watch list's indexes with their spans, and every IMO each vessel
    reported (at or before ``as_of``)."""
    spans = _fix_spans(fixes)
    timed, untimed = _static_frame(statics, as_of_ns)
    imos, names = set(watchlist.by_imo), set(watchlist.by_name)
    seen = _timed_spans(timed, "imo", spans, imos) + _timed_spans(timed, "name", spans, names)
    seen += _untimed(untimed, "imo", spans, imos) + _untimed(untimed, "name", spans, names)
    # a vessels table built without statics (in memory) still names the vessel
    with_statics = set(timed["mmsi"].tolist()) | set(untimed["mmsi"].tolist())
    if statics is not None and len(statics):
        with_statics |= set(statics["mmsi"].astype("int64").tolist())
    if vessels is not None and len(vessels) and "mmsi" in vessels:
        _, own = _static_frame(vessels.assign(time=pd.NaT), as_of_ns)
        own = own[~own["mmsi"].isin(list(with_statics))]
        seen += _untimed(own, "imo", spans, imos) + _untimed(own, "name", spans, names)
    else:
        own = untimed.iloc[0:0]
    reported: dict[int, set[int]] = {}
    for frame in (timed, untimed, own):
        pairs = frame[["mmsi", "imo"]].dropna().drop_duplicates()
        for m, imo in zip(pairs["mmsi"].tolist(), pairs["imo"].tolist(), strict=True):
            reported.setdefault(int(m), set()).add(int(imo))
    # the MMSI itself: over the fixes, or the timed records of a vessel without fixes
    record_spans = timed.groupby("mmsi")["t_ns"].agg(["min", "max"]) if len(timed) else None
    for m in watchlist.by_mmsi:
        if m in spans:
            seen.append(_Seen(m, "mmsi", m, *spans[m]))
        elif record_spans is not None and m in record_spans.index:
            row = record_spans.loc[m]
            seen.append(_Seen(m, "mmsi", m, int(row["min"]), int(row["max"])))
    return seen, reported


def detect_watchlist_hits(
    watchlist: Watchlist | None,
    fixes: pd.DataFrame,
    statics: pd.DataFrame | None,
    vessels: pd.DataFrame | None,
    as_of_ns: int,
) -> list[Event]:
    """Watch-list events, sorted by (mmsi, start, entry). ``fixes`` are already truncated at
    ``as_of``; ``statics`` (all records; those after ``as_of_ns`` are left out here) and
    ``vessels`` are the ingest's tables."""
    if watchlist is None or len(watchlist) == 0:
        return []
    hits: list[_Hit] = []
    seen, reported = _identities(watchlist, fixes, statics, vessels, as_of_ns)
    # The valid IMOs of each vessel once, not once per name match (entries sharing a name).
    valid_imos = {m: {i for i in imos if imo_is_valid(i)} for m, imos in reported.items()}
    for s in seen:
        if s.field == "imo":
            hits += [_Hit(s, e) for e in watchlist.by_imo.get(s.value, ())]
        elif s.field == "mmsi":
            hits += [_Hit(s, e) for e in watchlist.by_mmsi.get(s.value, ())]
        else:
            hits += [
                _Hit(s, r.entry, r)
                for r in watchlist.by_name.get(name_key(s.value), ())
                if not _contradicted(r.entry, valid_imos.get(s.mmsi, set()))
            ]
    pairs: dict[tuple[int, tuple[str, str, int]], list[_Hit]] = {}
    for h in hits:
        pairs.setdefault((h.seen.mmsi, h.entry.key), []).append(h)
    keyed = [(_event(found, reported), key) for (_, key), found in pairs.items()]
    # (mmsi, start, entry) as with one list; between lists, the order they were loaded in
    order = {name: i for i, name in enumerate(watchlist.list_counts())}
    keyed.sort(key=lambda p: (p[0].mmsi, p[0].start, order[p[1][0]], p[1][2], p[1][1]))
    return [event for event, _ in keyed]


def _contradicted(entry: WatchEntry, valid: set[int]) -> bool:
    """A name match is dropped when the vessel reported a valid IMO number (``valid``: those it
    reported whose check digit holds) and never the listed one: an IMO number stays with a hull
    for life, so a vessel named FREEDOM that sends another valid IMO is another ship (in the
    corpus's NOAA sample of US traffic, 41 of 140 name matches were of this kind). An invalid
    IMO (check digit) contradicts nothing."""
    if entry.imo is None:
        return False
    return bool(valid) and entry.imo not in valid


def _event(hits: list[_Hit], reported: dict[int, set[int]]) -> Event:
    hits.sort(key=lambda h: (_STRENGTH[h.seen.field], h.ref.truncated if h.ref else False))
    best = hits[0]
    chosen = [h for h in hits if h.seen.field == best.seen.field]
    start = min(h.seen.start_ns for h in chosen)
    end = max(h.seen.end_ns for h in chosen)
    e, s = best.entry, best.seen
    details: dict[str, Any] = {
        "summary": _summary(e.list_name, best, sorted(reported.get(s.mmsi, ()))),
        "list": e.list_name,
        "entry": e.entry,
        "reference": e.reference,
        "sdn_name": e.name,
        "programs": list(e.programs),
        "match": s.field,
        "matched_value": s.value,
        "sdn_imo": e.imo,
        "sdn_mmsi": e.mmsi,
    }
    if e.format == "plain":  # where the entry is, for the analyst to look it up
        details["file"], details["line"] = e.source, e.line
    if best.ref is not None:
        details["name_kind"] = best.ref.kind
        details["listed_name"] = best.ref.name
        details["truncated"] = best.ref.truncated
    others = {(h.seen.field, h.seen.value) for h in hits[1:]} - {(s.field, s.value)}
    if others:
        ordered = sorted(others, key=lambda x: (_STRENGTH[x[0]], str(x[1])))
        details["also_matched"] = [{"match": f, "value": v} for f, v in ordered]
    return Event(
        kind=EventKind.WATCHLIST,
        mmsi=s.mmsi,
        start=to_datetime(start),
        end=to_datetime(end),
        details=details,
    )


def _where(e: WatchEntry) -> str:
    """``(programme DPRK4, entry 23729)`` for OFAC, ``(reference KPe.033)`` for a plain list,
    or its file and line when it gives no reference."""
    if e.format == "sdn":
        return f"({e.programs_text()}, entry {e.entry})"
    if e.reference:
        return f"(reference {e.reference})"
    return f"(line {e.line} of {Path(e.source).name})"


def _summary(list_name: str, hit: _Hit, reported: list[int]) -> str:
    e, s = hit.entry, hit.seen
    where = _where(e)
    listed = e.name or "an entry with no name"
    if s.field == "imo":
        return f"IMO {s.value} is on the {list_name} list as {listed} {where}"
    if s.field == "mmsi":
        return f"MMSI {s.value} is on the {list_name} list as {listed} {where}"
    ref = hit.ref
    assert ref is not None
    if ref.kind == "name":
        what = f"the listed vessel {e.name}"
    else:
        what = f"{ref.name}, a{'n' if ref.kind == 'alias' else ''} {ref.kind} of {e.name},"
    if ref.truncated:
        what = f"the first 20 characters of {what}"
    text = (
        f"Name {s.value} matches {what} on the {list_name} list {where}: a name match only, "
        "weaker than an IMO or MMSI match"
    )
    if e.imo is not None:
        text += f"; the listed IMO is {e.imo}"
        invalid = [i for i in reported if not imo_is_valid(i)]
        if invalid and e.imo not in reported:  # a valid other IMO would have dropped the match
            text += ", this vessel reported IMO " + ", ".join(str(i) for i in invalid)
            text += " (check digit fails)"
    return text

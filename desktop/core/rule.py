"""The rule of DESIGN.md §1-§2: events -> one verdict per vessel, with every reason.

Choices where DESIGN.md leaves room (each is tested):

* **Window boundary.** An event bars while ``as_of < end + window`` (exact instant). A call that
  ended exactly ``window`` before ``as_of`` is therefore clear; one second later it bars.
  ``in_window`` uses the same test for every reason, so history is exactly what no longer bars.
* **Every event is a reason** (DESIGN §2: "Reasons list every event found for the vessel").
  Port calls, port entries and waters presence have an effect only in zones of country ``KP``;
  elsewhere (user zones) they are listed as ``informational`` (effect ``none``). AIS gaps are
  events only when suspected (the detector emits only those). KP flag, identity changes and
  watch-list hits always call for review while in the window.
* **One-hop STS.** An ``sts_transfer`` of vessel X with Y bars X until ``sts.end + window`` when
  Y has a KP port call that started at or before the STS start and ended less than ``window``
  before it (``sts.start < call.end + window``), which includes a call still in progress. The
  latest such call is quoted as the counterpart's ``port_call``.
* **Second hop and review counterparts.** Otherwise the STS is an ``sts_with_review`` (review
  only) when, at the STS start, Y was itself one-hop exposed (an STS with a third vessel Z whose
  call qualified, that started at or before this STS and whose exposure had not expired), or Y
  had a review event of its own (KP port entry, KP waters presence, suspected AIS gap, KP flag,
  identity change, watch-list hit) that started at or before the STS and whose window had not
  closed. An STS with a vessel that was neither is listed as ``informational``: an analyst
  still wants to see every transfer at sea, but it changes nothing.
* **Loitering** (DESIGN §3) calls for review while in the window when the detector found it
  within ``loiter_kp_waters_nm`` of North Korean waters (``near_kp_waters`` in its details);
  elsewhere it is listed as ``informational``. A loitering near KP waters is a review event of
  the vessel's own, so an STS with that vessel afterwards is an ``sts_with_review``.
* **Encounters in port** call for review when the other vessel was exposed at the
  encounter's start, directly (a qualifying KP call) or by one hop; otherwise informational.
* The verdict is ``review`` when some reason has effect ``review`` (in the window, neither
  barring nor informational).
* ``barred_until`` is the latest ``end + window`` over the barring reasons, else None.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from desktop.core.model import Event, EventKind, Reason, Verdict, VesselVerdict, iso_utc

KP = "KP"
_ZONE_KINDS = (EventKind.PORT_CALL, EventKind.PORT_ENTRY, EventKind.WATERS_PRESENCE)
_OWN_REVIEW_KINDS = (
    EventKind.PORT_ENTRY,
    EventKind.WATERS_PRESENCE,
    EventKind.AIS_GAP,
    EventKind.KP_FLAG,
    EventKind.IDENTITY_CHANGE,
    EventKind.WATCHLIST,
    EventKind.LOITERING,
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_VERDICT_ORDER = {Verdict.BARRED: 0, Verdict.REVIEW: 1, Verdict.CLEAR: 2}


@dataclass(frozen=True)
class VesselInfo:
    """Static identity shown beside a verdict (from the ingest ``vessels`` table)."""

    imo: int | None = None
    name: str | None = None
    callsign: str | None = None
    flag: str | None = None


def when(moment: datetime) -> str:
    """A time for an explanation: ``30 Jun 2026 15:40 UTC`` (seconds shown when not zero)."""
    month = _MONTHS[moment.month - 1]
    text = f"{moment.day} {month} {moment.year} {moment.hour:02d}:{moment.minute:02d}"
    if moment.second:
        text += f":{moment.second:02d}"
    return text + " UTC"


def day(moment: datetime) -> str:
    """A date in words: ``16 May 2026``."""
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def _place(e: Event) -> str:
    if e.zone is None:
        return "an unnamed zone"
    return f"{e.zone} ({e.locode})" if e.locode else e.zone


def _days(window: timedelta) -> str:
    days = window / timedelta(days=1)
    return f"{days:g} days"


class _Rule:
    def __init__(self, events: Sequence[Event], as_of: datetime, window_days: float) -> None:
        self.as_of = as_of
        self.window = timedelta(days=window_days)
        self.events = [e for e in events if e.start <= as_of]
        self.kp_calls: dict[int, list[Event]] = defaultdict(list)
        self.own_review: dict[int, list[Event]] = defaultdict(list)
        self.sts: dict[int, list[Event]] = defaultdict(list)
        for e in self.events:
            if e.kind == EventKind.PORT_CALL and e.country == KP:
                self.kp_calls[e.mmsi].append(e)
            elif e.kind == EventKind.STS_TRANSFER:
                self.sts[e.mmsi].append(e)
            if e.kind in _OWN_REVIEW_KINDS and self._counts(e):
                self.own_review[e.mmsi].append(e)

    @staticmethod
    def _counts(e: Event) -> bool:
        if e.kind == EventKind.LOITERING:
            return bool(e.details.get("near_kp_waters"))
        return e.kind not in _ZONE_KINDS or e.country == KP

    def qualifying_call(self, mmsi: int, moment: datetime) -> Event | None:
        """The latest KP call of ``mmsi`` that started by ``moment`` and ended < window before."""
        found = [c for c in self.kp_calls.get(mmsi, ()) if c.start <= moment < c.end + self.window]
        return max(found, key=lambda c: (c.end, c.start)) if found else None

    def one_hop_source(self, mmsi: int, moment: datetime, other: int) -> tuple[Event, Event] | None:
        """(STS, call) making ``mmsi`` one-hop exposed at ``moment``, not through ``other``."""
        best: tuple[Event, Event] | None = None
        for s in self.sts.get(mmsi, ()):
            if s.with_mmsi == other or not (s.start <= moment < s.end + self.window):
                continue
            call = self.qualifying_call(s.with_mmsi or 0, s.start)
            if call is not None and (best is None or s.end > best[0].end):
                best = (s, call)
        return best

    def review_source(self, mmsi: int, moment: datetime) -> Event | None:
        own = self.own_review.get(mmsi, ())
        found = [e for e in own if e.start <= moment < e.end + self.window]
        return max(found, key=lambda e: (e.end, e.start)) if found else None

    def reasons(self) -> dict[int, list[Reason]]:
        out: dict[int, list[Reason]] = defaultdict(list)
        for e in self.events:
            reason = self.judge(e)
            if reason is not None:
                out[e.mmsi].append(reason)
        return out

    def judge(self, e: Event) -> Reason | None:
        limit = e.end + self.window
        live = self.as_of < limit
        if e.kind in _ZONE_KINDS and not self._counts(e):
            return self.judge_elsewhere(e, live)
        if e.kind == EventKind.PORT_CALL:
            return Reason(e, live, live, limit if live else None, self.explain_call(e, limit, live))
        if e.kind == EventKind.STS_TRANSFER:
            return self.judge_sts(e, limit, live)
        if e.kind == EventKind.ENCOUNTER_IN_PORT:
            return self.judge_encounter(e, live)
        if e.kind == EventKind.LOITERING:
            return self.judge_loitering(e, live)
        if e.kind in _OWN_REVIEW_KINDS:
            return Reason(e, live, False, None, self.explain_review(e, live))
        if e.kind == EventKind.STS_WITH_REVIEW:
            return Reason(e, live, False, None, self.explain_review(e, live))
        return None

    def judge_sts(self, e: Event, limit: datetime, live: bool) -> Reason | None:
        other = e.with_mmsi or 0
        call = self.qualifying_call(other, e.start)
        if call is not None:
            details = dict(e.details)
            details["port_call"] = _call_json(call)
            event = replace(e, details=details)
            text = (
                f"Ship-to-ship transfer with MMSI {other} from {when(e.start)} to {when(e.end)}, "
                f"{_ago(call, e)} that vessel's call at {_place(call)} "
                f"({when(call.start)} to {when(call.end)}"
                + (", still in port" if call.ongoing else "")
                + "); "
                + self._until_text(limit, live)
            )
            return Reason(event, live, live, limit if live else None, text)
        hop = self.one_hop_source(other, e.start, e.mmsi)
        if hop is not None:
            sts2, call2 = hop
            details = dict(e.details)
            details["counterpart_sts"] = {
                "with_mmsi": sts2.with_mmsi,
                "start": iso_utc(sts2.start),
                "end": iso_utc(sts2.end),
                "port_call": _call_json(call2),
            }
            event = replace(e, kind=EventKind.STS_WITH_REVIEW, details=details)
            text = (
                f"Ship-to-ship transfer with MMSI {other} from {when(e.start)} to {when(e.end)}; "
                f"that vessel had met MMSI {sts2.with_mmsi} ({when(sts2.start)} to "
                f"{when(sts2.end)}), which had called at {_place(call2)}: a second hop, "
                "outside the rule's reach, flagged for review"
                + ("" if live else f" (more than {_days(self.window)} ago, history)")
                + "."
            )
            return Reason(event, live, False, None, text)
        source = self.review_source(other, e.start)
        if source is not None:
            details = dict(e.details)
            details["counterpart_review"] = {
                "kind": str(source.kind),
                "zone": source.zone,
                "start": iso_utc(source.start),
                "end": iso_utc(source.end),
            }
            event = replace(e, kind=EventKind.STS_WITH_REVIEW, details=details)
            text = (
                f"Ship-to-ship transfer with MMSI {other} from {when(e.start)} to {when(e.end)}, "
                f"a vessel itself under review ({str(source.kind).replace('_', ' ')} "
                f"{when(source.start)} to {when(source.end)})"
                + ("" if live else f"; more than {_days(self.window)} ago, history")
                + "."
            )
            return Reason(event, live, False, None, text)
        text = (
            f"Ship-to-ship transfer with MMSI {other} from {when(e.start)} to {when(e.end)}; "
            f"that vessel had no North Korean call or review event in the {_days(self.window)} "
            "before: no effect on the verdict."
        )
        return Reason(e, live, False, None, text, informational=True)

    def judge_elsewhere(self, e: Event, live: bool) -> Reason:
        """A port call, entry or waters presence in a zone that is not North Korean."""
        verb = {
            EventKind.PORT_CALL: "Called at",
            EventKind.PORT_ENTRY: "Entered",
            EventKind.WATERS_PRESENCE: "In",
        }[e.kind]
        text = (
            f"{verb} {_place(e)} ({e.country or 'country unknown'}) from {when(e.start)} to "
            f"{when(e.end)}; not North Korean: no effect on the verdict."
        )
        return Reason(e, live, False, None, text, informational=True)

    def judge_loitering(self, e: Event, live: bool) -> Reason:
        d = e.details
        head = (
            f"Loitered at {d.get('max_sog_limit_kn', 2.0):g} kn or less for "
            f"{d.get('duration_h', 0):g} h from {when(e.start)} to {when(e.end)}, "
            f"{_far_from_port(d)} with no other vessel alongside"
        )
        kp_nm = d.get("kp_waters_distance_nm")
        limit_nm = d.get("kp_waters_limit_nm", 50.0)
        if self._counts(e):
            where = (
                "inside North Korean waters" if kp_nm == 0
                else f"{kp_nm:g} nm from North Korean waters"
            )
            text = (
                f"{head}, {where}: a transfer with a vessel that does not transmit looks like "
                "this, flagged for review"
                + ("" if live else f" (more than {_days(self.window)} ago, history)")
                + "."
            )
            return Reason(e, live, False, None, text)
        far = (
            "no North Korean waters in the zones" if kp_nm is None
            else f"{kp_nm:g} nm from North Korean waters"
        )
        text = (
            f"{head}; {far}, more than {limit_nm:g} nm away: no effect on the verdict."
        )
        return Reason(e, live, False, None, text, informational=True)

    def judge_encounter(self, e: Event, live: bool) -> Reason | None:
        other = e.with_mmsi or 0
        call = self.qualifying_call(other, e.start)
        hop = None if call is not None else self.one_hop_source(other, e.start, e.mmsi)
        if call is None and hop is None:
            text = (
                f"Side by side with MMSI {other} near "
                f"{e.zone or e.details.get('nearest_port') or 'a port or anchorage'} from "
                f"{when(e.start)} to {when(e.end)}; that vessel had no North Korean exposure: "
                "no effect on the verdict."
            )
            return Reason(e, live, False, None, text, informational=True)
        details = dict(e.details)
        if call is not None:
            details["port_call"] = _call_json(call)
            why = f"which had called at {_place(call)} ({when(call.start)} to {when(call.end)})"
        else:
            assert hop is not None
            details["counterpart_sts"] = {
                "with_mmsi": hop[0].with_mmsi,
                "start": iso_utc(hop[0].start),
                "end": iso_utc(hop[0].end),
                "port_call": _call_json(hop[1]),
            }
            why = f"which had met MMSI {hop[0].with_mmsi} after its call at {_place(hop[1])}"
        text = (
            f"Side by side with MMSI {other} near "
            f"{e.zone or e.details.get('nearest_port') or 'a port or anchorage'} from "
            f"{when(e.start)} to {when(e.end)}, {why}; too close to a port to count as a "
            "ship-to-ship transfer, flagged for review"
            + ("" if live else f" (more than {_days(self.window)} ago, history)")
            + "."
        )
        return Reason(replace(e, details=details), live, False, None, text)

    def _until_text(self, limit: datetime, live: bool) -> str:
        if live:
            return f"may not call at a US port before {when(limit)}."
        return f"the {_days(self.window)} ended on {when(limit)}, so it no longer bars (history)."

    def explain_call(self, e: Event, limit: datetime, live: bool) -> str:
        if e.ongoing:
            head = (
                f"In port at {_place(e)} since {when(e.start)}, still there at the last fix "
                f"({when(e.end)}); "
            )
        else:
            head = f"Called at {_place(e)} from {when(e.start)} to {when(e.end)}; "
        return head + self._until_text(limit, live)

    def explain_review(self, e: Event, live: bool) -> str:
        tail = "" if live else f" (more than {_days(self.window)} ago, history)"
        d = e.details
        if e.kind == EventKind.PORT_ENTRY:
            text = (
                f"Entered {_place(e)} from {when(e.start)} to {when(e.end)} without a stop of "
                f"{d.get('min_stop_h', 1.0):g} h (longest {d.get('longest_stop_h') or 0:g} h): "
                "not a port call, flagged for review"
            )
        elif e.kind == EventKind.WATERS_PRESENCE:
            text = f"In {e.zone} from {when(e.start)} to {when(e.end)}, outside any port call"
        elif e.kind == EventKind.AIS_GAP:
            zones = ", ".join(_reach_text(r) for r in d.get("reachable", []))
            text = (
                f"No AIS for {d.get('gap_h', 0):g} h from {when(e.start)} to {when(e.end)}; "
                f"a call could fit at {zones}{gap_evidence_text(d)}"
            )
        elif e.kind == EventKind.KP_FLAG:
            text = "Flag of North Korea (MMSI MID 445)"
        elif e.kind == EventKind.IDENTITY_CHANGE:
            text = str(d.get("summary", "Identity changed"))
        elif e.kind == EventKind.WATCHLIST:
            text = str(d.get("summary", "On a watch list"))
        else:
            label = str(e.kind).replace("_", " ").capitalize()
            text = f"{label} from {when(e.start)} to {when(e.end)}"
        return text + tail + "."


def _far_from_port(d: Mapping[str, Any]) -> str:
    km = d.get("min_port_distance_km", 10.0)
    return f"at least {km:g} km from every known port or anchorage,"


def _ago(call: Event, sts: Event) -> str:
    if call.end >= sts.start:
        return "during"
    days = (sts.start - call.end) / timedelta(days=1)
    return f"{days:.0f} days after"


def _call_json(call: Event) -> dict[str, Any]:
    return {
        "mmsi": call.mmsi,
        "zone": call.zone,
        "locode": call.locode,
        "country": call.country,
        "start": iso_utc(call.start),
        "end": iso_utc(call.end),
        "ongoing": call.ongoing,
    }


def _reason_key(r: Reason) -> tuple[Any, ...]:
    e = r.event
    # newest first; ties broken by stable, meaningful fields so the output is deterministic
    return (-e.end.timestamp(), -e.start.timestamp(), str(e.kind), e.with_mmsi or 0, e.zone or "")


def apply_rule(
    events: Sequence[Event],
    as_of: datetime,
    window_days: float,
    mmsis: Iterable[int],
    info: Mapping[int, VesselInfo] | None = None,
) -> list[VesselVerdict]:
    """One verdict per vessel in ``mmsis`` (plus any vessel with an event), sorted barred,
    review, clear, then by MMSI. Events starting after ``as_of`` are ignored."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be UTC-aware")
    rule = _Rule(events, as_of, window_days)
    reasons = rule.reasons()
    info = info or {}
    verdicts = []
    for mmsi in sorted(set(int(m) for m in mmsis) | set(reasons)):
        rs = tuple(sorted(reasons.get(mmsi, ()), key=_reason_key))
        barring = [r.barred_until for r in rs if r.bars and r.barred_until is not None]
        if barring:
            verdict, until = Verdict.BARRED, max(barring)
        elif any(r.effect == "review" for r in rs):
            verdict, until = Verdict.REVIEW, None
        else:
            verdict, until = Verdict.CLEAR, None
        vi = info.get(mmsi, VesselInfo())
        verdicts.append(
            VesselVerdict(mmsi, verdict, until, rs, vi.imo, vi.name, vi.callsign, vi.flag)
        )
    verdicts.sort(key=lambda v: (_VERDICT_ORDER[v.verdict], v.mmsi))
    return verdicts


# Which reason leads when several call for review (or are history): the closer a reason comes
# to a North Korean port call, the more an official needs to read it first.
_SEVERITY = {
    EventKind.PORT_CALL: 0,
    EventKind.STS_TRANSFER: 1,
    EventKind.PORT_ENTRY: 2,
    EventKind.WATCHLIST: 3,
    EventKind.STS_WITH_REVIEW: 4,
    EventKind.ENCOUNTER_IN_PORT: 5,
    EventKind.AIS_GAP: 6,
    EventKind.LOITERING: 7,
    EventKind.WATERS_PRESENCE: 8,
    EventKind.IDENTITY_CHANGE: 9,
    EventKind.KP_FLAG: 10,
}


def main_reason(v: VesselVerdict) -> Reason | None:
    """The reason to show on one line: the barring one that lasts longest; else the most
    severe reason calling for review (``_SEVERITY``, newest first among equals); else the most
    severe history reason; else None (informational reasons alone make no main reason)."""
    barring = [r for r in v.reasons if r.bars]
    if barring:
        return max(barring, key=lambda r: (r.barred_until, r.event.end))
    for candidates in (
        [r for r in v.reasons if r.effect == "review"],
        [r for r in v.reasons if not r.informational],
    ):
        if candidates:
            # reasons are newest first and min() keeps the first of equals
            return min(candidates, key=lambda r: _SEVERITY.get(r.event.kind, len(_SEVERITY)))
    return None


def no_main_reason_text(v: VesselVerdict) -> str:
    """What to show instead of a main reason when ``main_reason`` gives None."""
    if not v.reasons:
        return "nothing found"
    n = len(v.reasons)
    return f"no exposure: {n} event{'s' if n > 1 else ''} without effect on the verdict"


def _reach_text(r: dict) -> str:
    """One reachable zone of a gap, in words: how far (by sea, or by great circle) and the slack."""
    if r.get("distance_basis", "sea") == "sea" and r.get("sea_distance_nm") is not None:
        how = f"{r['sea_distance_nm']:g} nm there and back by sea"
    else:
        how = f"{r.get('distance_nm', 0):g} nm by great circle (no sea route data for this zone)"
    return f"{r['zone']} ({how}, slack {r['slack_h']:g} h)"


def gap_evidence_text(d: dict) -> str:
    """A gap's evidence in words (``desktop.core.detect.gap_evidence``): the vessel's own
    reporting before it, and the other ships heard near it while it was silent."""
    text = ""
    if "reports_before_12h" in d:
        n = int(d["reports_before_12h"])
        text += (f". In the 12 h before, it reported {n} time{'' if n == 1 else 's'} "
                 f"({d.get('reports_per_h_before', 0):g} an hour)")
    if "others_heard_near" in d:
        others = int(d["others_heard_near"])
        if others == 0:
            text += ("; no other ship was heard within 50 km while it was silent (poor "
                     "reception there cannot be ruled out)")
        else:
            text += (f"; {others} other ship{' was' if others == 1 else 's were'} heard near "
                     f"here while it was silent ({d.get('others_heard_near_start', 0)} within "
                     f"50 km of where it went silent, {d.get('others_heard_near_end', 0)} of "
                     "where it reappeared)")
    return text

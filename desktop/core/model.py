"""Events, reasons and verdicts: what the detectors find and what the rule concludes.

These plain dataclasses are the contract between the core and every view (CLI, GUI, reports).
Times are UTC-aware ``datetime``; positions are degrees WGS 84.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    BARRED = "barred"
    REVIEW = "review"
    CLEAR = "clear"


class EventKind(StrEnum):
    """Reason kinds of DESIGN.md §6."""

    PORT_CALL = "port_call"
    STS_TRANSFER = "sts_transfer"
    AIS_GAP = "ais_gap"
    PORT_ENTRY = "port_entry"
    WATERS_PRESENCE = "waters_presence"
    ENCOUNTER_IN_PORT = "encounter_in_port"
    KP_FLAG = "kp_flag"
    IDENTITY_CHANGE = "identity_change"
    WATCHLIST = "watchlist"
    STS_WITH_REVIEW = "sts_with_review"
    LOITERING = "loitering"


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z``, to the second (the JSON time format of DESIGN.md §6)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every time in the core is UTC-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Event:
    """One thing a detector found for one vessel.

    ``start``/``end`` bound the event (equal for instantaneous ones such as a flag); ``lat``/``lon``
    is a representative position (the stop of a call, the midpoint of an STS). ``details``
    carries the kind-specific facts and the numbers that crossed a threshold, with units in
    the keys (``duration_h``, ``min_distance_m``, ``reachable`` ...); it must be JSON-ready.
    """

    kind: EventKind
    mmsi: int
    start: datetime
    end: datetime
    zone: str | None = None
    locode: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    ongoing: bool = False
    with_mmsi: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reason:
    """An event as the rule judged it for one verdict."""

    event: Event
    in_window: bool
    bars: bool  # this event makes the vessel barred (direct call or one-hop STS)
    barred_until: datetime | None  # end + window for a barring event
    explanation: str  # one plain-language sentence for an official
    informational: bool = False
    """Listed so the analyst sees it (a call outside KP, an STS with a clean vessel), but it
    neither bars nor calls for review, whatever its time."""

    @property
    def effect(self) -> str:
        """What the reason does to the verdict: ``bars``, ``review`` or ``none``."""
        if self.bars:
            return "bars"
        if self.in_window and not self.informational:
            return "review"
        return "none"

    def to_json(self) -> dict[str, Any]:
        e = self.event
        out: dict[str, Any] = {
            "kind": str(e.kind),
            "zone": e.zone,
            "locode": e.locode,
            "country": e.country,
            "start": iso_utc(e.start),
            "end": iso_utc(e.end),
            "ongoing": e.ongoing,
            "lat": None if e.lat is None else round(e.lat, 5),
            "lon": None if e.lon is None else round(e.lon, 5),
            "in_window": self.in_window,
            "bars": self.bars,
            "effect": self.effect,
        }
        if e.with_mmsi is not None:
            out["with_mmsi"] = e.with_mmsi
        if self.barred_until is not None:
            out["barred_until"] = iso_utc(self.barred_until)
        out.update(e.details)
        out["explanation"] = self.explanation
        return out


class CoverageStatus(StrEnum):
    """``current`` when the vessel was heard less than ``stale_after_h`` before ``as_of``."""

    CURRENT = "current"
    STALE = "stale"


@dataclass(frozen=True)
class Coverage:
    """How much of a vessel the data showed up to ``as_of`` (DESIGN.md §2).

    ``first_fix``/``last_fix`` are its first and last fixes at or before ``as_of`` (None when it
    has none), ``silent_h`` is ``as_of - last_fix`` in hours, ``covered_fraction`` the share of
    the window ``[as_of - window, as_of]`` lying within ``gap_min_h / 2`` of one of its fixes.
    """

    first_fix: datetime | None
    last_fix: datetime | None
    silent_h: float | None
    covered_fraction: float
    status: CoverageStatus
    # The instant it was measured at, so that views can word it ("196 days before the as-of
    # date") from the verdict alone; not in the JSON, whose document carries ``as_of``.
    as_of: datetime | None = None

    @property
    def stale(self) -> bool:
        return self.status == CoverageStatus.STALE

    def to_json(self) -> dict[str, Any]:
        return {
            "first_fix": iso_utc(self.first_fix),
            "last_fix": iso_utc(self.last_fix),
            "silent_h": None if self.silent_h is None else round(self.silent_h, 4),
            "covered_fraction": round(self.covered_fraction, 6),
            "status": str(self.status),
        }


@dataclass(frozen=True)
class VesselVerdict:
    """The one verdict of one vessel, with every reason found, newest first."""

    mmsi: int
    verdict: Verdict
    barred_until: datetime | None
    reasons: tuple[Reason, ...]
    imo: int | None = None
    name: str | None = None
    callsign: str | None = None
    flag: str | None = None  # ISO 3166 alpha-2 from the MMSI's MID
    coverage: Coverage | None = None  # set by screening; never changes the verdict

    def to_json(self) -> dict[str, Any]:
        out = {
            "mmsi": self.mmsi,
            "imo": self.imo,
            "name": self.name,
            "callsign": self.callsign,
            "flag": self.flag,
            "verdict": str(self.verdict),
            "barred_until": iso_utc(self.barred_until),
            "reasons": [r.to_json() for r in self.reasons],
        }
        if self.coverage is not None:
            out["coverage"] = self.coverage.to_json()
        return out

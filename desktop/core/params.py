"""Every number of DESIGN.md §3 as one typed, frozen parameter object, with units in the names."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from desktop.core.errors import ParameterError


@dataclass(frozen=True)
class ScreeningParams:
    """Defaults are those of DESIGN.md §1 and §3; every output records the values used."""

    window_days: float = field(
        default=180.0,
        metadata={"doc": "Length of the look-back window of the rule, days (EO 13810: 180)."},
    )
    port_stop_min_h: float = field(
        default=1.0,
        metadata={"doc": "Shortest stop inside a port zone that makes a visit a port call, hours."},
    )
    stop_sog_kn: float = field(
        default=1.0, metadata={"doc": "A fix at or below this speed over ground is stopped, knots."}
    )
    silent_stay_min_h: float = field(
        default=1.0,
        metadata={
            "doc": "Two consecutive in-port fixes at least this far apart count as a stop, hours."
        },
    )
    sts_max_distance_m: float = field(
        default=500.0,
        metadata={"doc": "Largest distance between two vessels in an STS transfer, metres."},
    )
    sts_max_sog_kn: float = field(
        default=2.0,
        metadata={"doc": "Both vessels at or below this speed during an STS transfer, knots."},
    )
    sts_min_duration_h: float = field(
        default=2.0, metadata={"doc": "Shortest STS transfer, hours."}
    )
    sts_grid_min: float = field(
        default=10.0,
        metadata={
            "doc": "Step of the common time grid the tracks are resampled to for STS, minutes."
        },
    )
    sts_max_interp_gap_h: float = field(
        default=1.0,
        metadata={"doc": "Longest gap between fixes that resampling interpolates over, hours."},
    )
    sts_min_port_distance_km: float = field(
        default=10.0,
        metadata={
            "doc": "An STS must be at least this far from every known port or anchorage, "
            "kilometres."
        },
    )
    sts_merge_gap_h: float = field(
        default=4.0,
        metadata={"doc": "Encounters of one pair less than this far apart in time merge, hours."},
    )
    gap_min_h: float = field(
        default=12.0,
        metadata={"doc": "Two consecutive fixes at least this far apart are an AIS gap, hours."},
    )
    gap_speed_kn: float = field(
        default=15.0, metadata={"doc": "Speed assumed to reach a KP port during a gap, knots."}
    )
    gap_port_time_h: float = field(
        default=1.0,
        metadata={
            "doc": "Time subtracted from a gap for the call itself when testing reachability, "
            "hours."
        },
    )
    max_speed_kn: float = field(
        default=50.0,
        metadata={
            "doc": "Fixes implying more than this speed from the previous fix are implausible "
            "jumps, knots."
        },
    )
    loiter_max_sog_kn: float = field(
        default=2.0,
        metadata={"doc": "A loitering vessel stays at or below this speed over ground, knots."},
    )
    loiter_min_duration_h: float = field(
        default=4.0, metadata={"doc": "Shortest loitering (first to last slow fix), hours."}
    )
    loiter_max_fix_gap_h: float = field(
        default=1.0,
        metadata={
            "doc": "Longest silence between two slow fixes inside one loitering (like the STS "
            "resampling's sts_max_interp_gap_h), hours."
        },
    )
    loiter_min_port_distance_km: float = field(
        default=10.0,
        metadata={
            "doc": "Loitering must be at least this far from every known port or anchorage, "
            "kilometres."
        },
    )
    loiter_kp_waters_nm: float = field(
        default=50.0,
        metadata={
            "doc": "Loitering within this distance of North Korean waters calls for review, "
            "nautical miles."
        },
    )

    stale_after_h: float = field(
        default=24.0,
        metadata={
            "doc": "A vessel silent this long or longer at the as-of instant has stale coverage "
            "(its clear saw nothing recent), hours."
        },
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or value != value or value <= 0:
                raise ParameterError(f"parameter {f.name} must be a positive number, got {value!r}")

    def as_dict(self) -> dict[str, Any]:
        """The parameters as recorded in every output (JSON ``parameters``)."""
        return asdict(self)

    @classmethod
    def describe(cls) -> dict[str, str]:
        """Parameter name -> its documentation, unit last (for the parameters dialog)."""
        return {f.name: f.metadata["doc"] for f in fields(cls)}


# The defaults, shared (the object is frozen): ``f(params=DEFAULT_PARAMS)``.
DEFAULT_PARAMS = ScreeningParams()

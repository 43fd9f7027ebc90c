"""Identity changes (DESIGN.md §3): one MMSI with more than one IMO or name, or one IMO under
more than one MMSI, from the static records (AIS type 5 / 24, CSV static columns).

Choices: static records without a time are left out (they cannot be placed in the window);
names are compared after trimming and upper-casing, so ``"Sea Star "`` and ``"SEA STAR"`` are
one name. Each distinct change ``from -> to`` of one field of one MMSI is one event spanning
the first to the last time that change was seen (``count`` says how often), so a transponder
that alternates between two names gives one event, not thousands. An IMO shared by several
MMSIs gives each of them one event spanning the records of that IMO under that MMSI. The rule
judges ``in_window`` on the event end, so a change is a reason while its latest occurrence is
within the window (the second value was seen in the window).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from desktop.core.model import Event, EventKind


def _clean(statics: pd.DataFrame) -> pd.DataFrame:
    if statics is None or len(statics) == 0 or "time" not in statics:
        return pd.DataFrame(columns=["mmsi", "time", "imo", "name"])
    frame = statics[["mmsi", "time", "imo", "name"]].copy()
    frame = frame[frame["time"].notna()]
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame["mmsi"] = frame["mmsi"].astype("int64")
    frame["imo"] = pd.to_numeric(frame["imo"], errors="coerce").astype("Int64")
    names = frame["name"].astype("string").str.strip().str.upper()
    frame["name"] = names.where(names != "", pd.NA)
    return frame.sort_values(["mmsi", "time"], kind="stable", ignore_index=True)


def detect_identity_changes(
    statics: pd.DataFrame, last_seen: Mapping[int, pd.Timestamp] | None = None
) -> list[Event]:
    """Identity-change events, sorted by (mmsi, start, field).

    ``last_seen`` (MMSI -> time of its last fix) extends a shared-IMO span to the vessel's last
    fix while that IMO is still its latest: readers keep only the static rows where values
    change (a CSV repeats them on every row), so the last static record is not the last time
    the vessel sailed under that identity.
    """
    frame = _clean(statics)
    events: list[Event] = []
    if len(frame) == 0:
        return events
    for field in ("imo", "name"):
        sub = frame[frame[field].notna()][["mmsi", "time", field]]
        if len(sub) < 2:
            continue
        value = sub[field].astype("string").to_numpy()
        mmsi = sub["mmsi"].to_numpy()
        changed = np.flatnonzero((mmsi[1:] == mmsi[:-1]) & (value[1:] != value[:-1])) + 1
        if len(changed) == 0:
            continue
        changes = pd.DataFrame(
            {
                "mmsi": mmsi[changed],
                "old": value[changed - 1],
                "new": value[changed],
                "time": sub["time"].to_numpy()[changed],
            }
        )
        grouped = changes.groupby(["mmsi", "old", "new"], sort=True)["time"].agg(
            ["min", "max", "count"]
        )
        for (m, old, new), row in grouped.iterrows():
            label = "IMO" if field == "imo" else "name"
            events.append(
                _event(
                    int(m),
                    row["min"],
                    row["max"],
                    {
                        "field": field,
                        "from": _typed(field, old),
                        "to": _typed(field, new),
                        "count": int(row["count"]),
                        "summary": f"Reported {label} {old}, then {new}"
                        + (f" ({int(row['count'])} times)" if row["count"] > 1 else ""),
                    },
                )
            )
    with_imo = frame[frame["imo"].notna()]
    per_imo = with_imo.groupby("imo")["mmsi"].nunique()
    shared = per_imo[per_imo > 1].index
    if len(shared):
        sub = with_imo[with_imo["imo"].isin(shared)]
        spans = sub.groupby(["imo", "mmsi"], sort=True)["time"].agg(["min", "max"])
        others = sub.groupby("imo")["mmsi"].agg(lambda s: sorted(set(int(x) for x in s)))
        latest_imo = with_imo.groupby("mmsi")["imo"].last()
        for (imo, m), row in spans.iterrows():
            rest = [x for x in others[imo] if x != int(m)]
            end = row["max"]
            if last_seen is not None and latest_imo.get(m) == imo and int(m) in last_seen:
                end = max(end, pd.Timestamp(last_seen[int(m)]))
            events.append(
                _event(
                    int(m),
                    row["min"],
                    end,
                    {
                        "field": "mmsi",
                        "imo": int(imo),
                        "other_mmsi": rest,
                        "summary": f"IMO {int(imo)} also reported by MMSI "
                        + ", ".join(str(x) for x in rest),
                    },
                )
            )
    events.sort(key=lambda e: (e.mmsi, e.start, str(e.details["field"])))
    return events


def _typed(field: str, value: str) -> Any:
    return int(value) if field == "imo" else value


def _event(mmsi: int, first: pd.Timestamp, last: pd.Timestamp, details: dict[str, Any]) -> Event:
    return Event(
        kind=EventKind.IDENTITY_CHANGE,
        mmsi=mmsi,
        start=pd.Timestamp(first).to_pydatetime(),
        end=pd.Timestamp(last).to_pydatetime(),
        details=details,
    )

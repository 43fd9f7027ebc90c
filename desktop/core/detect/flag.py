"""KP flag (DESIGN.md §2): vessels whose MMSI carries the MID of North Korea (445).

The MID table is pyais's (``desktop.core.flags``). The event spans the vessel's first to last
fix, so that it is ``in_window`` while the vessel was seen within the window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from desktop.core.detect.geo import time_ns, to_datetime
from desktop.core.flags import KP_MID, mid_of
from desktop.core.model import Event, EventKind


def detect_kp_flag(fixes: pd.DataFrame) -> list[Event]:
    """One ``kp_flag`` event per vessel with MID 445, sorted by MMSI."""
    if len(fixes) == 0:
        return []
    mmsi = fixes["mmsi"].to_numpy()
    starts = np.flatnonzero(np.concatenate(([True], mmsi[1:] != mmsi[:-1])))
    stops = np.append(starts[1:], len(mmsi))
    kp = mid_of(mmsi[starts]) == KP_MID
    t = time_ns(fixes)
    return [
        Event(
            kind=EventKind.KP_FLAG,
            mmsi=int(mmsi[a]),
            start=to_datetime(t[a]),
            end=to_datetime(t[b - 1]),
            details={"mid": KP_MID},
        )
        for a, b in zip(starts[kp], stops[kp], strict=True)
    ]

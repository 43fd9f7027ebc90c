"""The AIS archive of DESIGN.md §8: months of fixes kept as day-partitioned Parquet, added in
streaming and atomically (``add``), read back by day and column for screening (``read``).
``layout`` says where everything is and how a change is committed.

The names below are loaded on first use (PEP 562): ``exposure archive add`` needs only
``add`` and ``layout``, and importing ``read`` would also load the screening, the detectors
and geopandas (about a second and 100 MB that an add never uses).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop.core.archive.add import AddProgress, AddResult, add_files
    from desktop.core.archive.layout import FORMAT_VERSION, open_store
    from desktop.core.archive.read import (
        ArchiveIngest,
        VesselList,
        archive_info,
        day_range,
        info_lines,
        load_for_screening,
        read_vessel_list,
    )

_WHERE = {
    "AddProgress": "add", "AddResult": "add", "add_files": "add",
    "FORMAT_VERSION": "layout", "open_store": "layout",
    "ArchiveIngest": "read", "VesselList": "read", "archive_info": "read", "day_range": "read",
    "info_lines": "read", "load_for_screening": "read", "read_vessel_list": "read",
}  # fmt: skip

__all__ = [
    "FORMAT_VERSION",
    "AddProgress",
    "AddResult",
    "ArchiveIngest",
    "VesselList",
    "add_files",
    "archive_info",
    "day_range",
    "info_lines",
    "load_for_screening",
    "open_store",
    "read_vessel_list",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value

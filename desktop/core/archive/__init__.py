"""The AIS archive of DESIGN.md §8: months of fixes kept as day-partitioned Parquet, added in
streaming and atomically (``add``), read back by day and column for screening (``read``).
``layout`` says where everything is and how a change is committed."""

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

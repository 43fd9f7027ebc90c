"""Task sizes fitted to the workers' memory limit (``fit_to_memory``): exact sizes from the
constants, the defaults kept when there is room or no limit, the floors for tiny workers."""

from __future__ import annotations

from desktop.core.scaleout.engine import (
    DAY_BYTES_PER_PARQUET_BYTE,
    MIN_BLOCK_BYTES,
    MIN_PARTITION_FIXES,
    PARTITION_BYTES_PER_FIX,
    WORKER_CACHE_BYTES,
    EngineOptions,
    fit_to_memory,
)

MIB = 2**20


def worker(limit: int | None, memory: int) -> dict:
    return {"memory_limit": limit, "metrics": {"memory": memory}}


def test_no_limit_keeps_the_options() -> None:
    options = EngineOptions()
    assert fit_to_memory(options, {"a": worker(None, 200 * MIB), "b": worker(0, 0)}) == options
    assert fit_to_memory(options, {}) == options


def test_roomy_workers_keep_the_defaults() -> None:
    # 12 GiB: half is far above 2 M fixes x 110 B and 64 MB x 8
    options = fit_to_memory(EngineOptions(), {"a": worker(12 * 2**30, 200 * MIB)})
    assert (options.partition_fixes, options.block_bytes) == (2_000_000, 64 * MIB)


def test_sizes_follow_the_smallest_limit_and_the_largest_use() -> None:
    # 1 GiB and 2 GiB workers, 200 MiB and 150 MiB in use: room = 512 - 200 - 100 MiB = 212 MiB
    workers = {"a": worker(2**30, 200 * MIB), "b": worker(2 * 2**30, 150 * MIB)}
    options = fit_to_memory(EngineOptions(partition_fixes=3_000_000), workers)
    room = 212 * MIB
    assert room == 2**30 // 2 - 200 * MIB - WORKER_CACHE_BYTES
    assert options.partition_fixes == room // PARTITION_BYTES_PER_FIX == 2_020_891
    assert options.block_bytes == room // DAY_BYTES_PER_PARQUET_BYTE == 27_787_264
    assert options.cell_deg == EngineOptions().cell_deg


def test_never_raised_above_the_given_options() -> None:
    given = EngineOptions(partition_fixes=50_000, block_bytes=1000)
    assert fit_to_memory(given, {"a": worker(2**30, 0)}) == given


def test_a_worker_below_its_own_footprint_gets_the_floors() -> None:
    # 300 MiB limit, 200 MiB in use: no room left, the smallest tasks the engine cuts
    options = fit_to_memory(EngineOptions(), {"a": worker(300 * MIB, 200 * MIB)})
    assert (options.partition_fixes, options.block_bytes) == (
        MIN_PARTITION_FIXES, MIN_BLOCK_BYTES)

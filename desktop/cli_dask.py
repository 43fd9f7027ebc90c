"""``exposure check --archive ARCHIVE --engine dask [--scheduler ADDR | --workers N]``: the
command line side of the Dask engine (``desktop.core.scaleout``).

Progress goes to stderr: the dashboard address when the scheduler has one, then a line
``dask: done/total tasks (stage)`` when something changed, at most every ``PROGRESS_EVERY_S``
seconds within a stage, and always at a new stage and at the end. Nothing goes to stdout or
``--output`` unless the whole run finished: a failure is an ``ExposureError`` (exit 2, one
line), never a partial table.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime
from typing import Any, TextIO

PROGRESS_EVERY_S = 2.0


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine", choices=("local", "dask"), default="local",
        help="with --archive: screen in this process (local) or on a Dask cluster (dask)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler", metavar="ADDR",
        help="with --engine dask: the cluster's scheduler (tcp://host:8786)",
    )
    where.add_argument(
        "--workers", type=int, metavar="N",
        help="with --engine dask and no --scheduler: worker processes of a cluster on this "
        "machine (default 2)",
    )


def check_engine_arguments(args: argparse.Namespace) -> None:
    """Refuse combinations that cannot run (``InputError``: exit 2, one line)."""
    from desktop.core.errors import InputError

    if args.engine != "dask":
        if args.scheduler or args.workers is not None:
            raise InputError("--scheduler and --workers need --engine dask")
        return
    if not getattr(args, "archive", None):
        raise InputError("--engine dask screens an archive: give --archive ARCHIVE")
    if getattr(args, "vessels", None):
        raise InputError("--vessels is not available with --engine dask: use --engine local")
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers {args.workers}: give at least 1")


class DaskProgressPrinter:
    """``progress(done, total, stage)`` of ``screen_on_dask`` as lines on ``stream``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last = 0.0
        self.shown: tuple[int, int, str] = (-1, -1, "")

    def __call__(self, done: int, total: int, stage: str) -> None:
        now = time.monotonic()
        if (done, total, stage) == self.shown:
            return  # nothing new to say
        if stage == self.shown[2] and now - self.last < PROGRESS_EVERY_S and done < total:
            return
        self.last, self.shown = now, (done, total, stage)
        self.stream.write(f"dask: {done}/{total} tasks ({stage})\n")
        self.stream.flush()


def check_on_dask(
    args: argparse.Namespace,
    zones: Any,
    as_of: datetime | date | None,
    watchlist: Any,
    stderr: TextIO | None = None,
) -> Any:
    """The ``ScreeningResult`` of the archive ``args.archive`` screened on the cluster;
    progress on ``stderr`` (default: ``sys.stderr`` at the time of the call)."""
    stderr = sys.stderr if stderr is None else stderr
    from desktop.core.params import DEFAULT_PARAMS
    from desktop.core.scaleout.archive import archive_slice
    from desktop.core.scaleout.engine import dashboard_link, dask_client, screen_on_dask
    from desktop.core.screening import normalise_as_of

    moment = normalise_as_of(as_of)
    archive = archive_slice(args.archive, moment, DEFAULT_PARAMS.window_days)
    with dask_client(args.scheduler, args.workers) as client:
        link = dashboard_link(client)
        if link:
            stderr.write(f"dask: dashboard {link}\n")
        return screen_on_dask(
            client, archive, zones, DEFAULT_PARAMS, moment, watchlist=watchlist,
            progress=DaskProgressPrinter(stderr),
        )

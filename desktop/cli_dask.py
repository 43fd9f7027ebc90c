"""``exposure check --archive ARCHIVE [--vessels LIST] --engine dask [--scheduler ADDR |
--workers N]`` and ``exposure arrivals LIST --archive ARCHIVE --engine dask ...``: the command
line side of the Dask engine (``desktop.core.scaleout``).

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
from collections.abc import Iterator
from contextlib import contextmanager
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
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers {args.workers}: give at least 1")
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        # The desktop bundle leaves dask out (installer/exposure.spec: the size goal).
        raise InputError("--engine dask needs dask and distributed, which this installation "
                         "does not have: run it from a Python install "
                         "(pip install maritime-exposure), or use --engine local")


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


@contextmanager
def cluster_of(args: argparse.Namespace, stderr: TextIO | None = None) -> Iterator[Any]:
    """The client of the cluster ``args`` name (``--scheduler``, or a local one of
    ``--workers``), its dashboard address said on ``stderr`` (default: ``sys.stderr`` at the
    time of the call) when it has one."""
    from desktop.core.scaleout.engine import dashboard_link, dask_client

    stderr = sys.stderr if stderr is None else stderr
    with dask_client(args.scheduler, args.workers) as client:
        link = dashboard_link(client)
        if link:
            stderr.write(f"dask: dashboard {link}\n")
            stderr.flush()
        yield client


def check_on_dask(
    args: argparse.Namespace,
    zones: Any,
    as_of: datetime | date | None,
    watchlist: Any,
    stderr: TextIO | None = None,
) -> Any:
    """The ``ScreeningResult`` of the archive ``args.archive`` (of the vessels of
    ``args.vessels`` when given) screened on the cluster; progress, and a line per listed
    vessel not in the archive, on ``stderr`` (default: ``sys.stderr`` at the time of the
    call)."""
    stderr = sys.stderr if stderr is None else stderr
    from desktop.core.scaleout.archive import screen_archive_on_dask

    def warn(line: str) -> None:
        stderr.write(f"exposure: {line}\n")

    with cluster_of(args, stderr) as client:
        return screen_archive_on_dask(
            client, args.archive, zones, as_of=as_of, vessels=args.vessels,
            watchlist=watchlist, progress=DaskProgressPrinter(stderr), warn=warn,
        )


def arrivals_on_dask(
    args: argparse.Namespace,
    listed: Any,
    zones: Any,
    watchlist: Any,
    stderr: TextIO | None = None,
) -> Any:
    """The ``ArrivalsResult`` of the list ``listed`` against the archive ``args.archive``,
    each ETA screened on the cluster (one cluster for all of them), as
    ``desktop.core.arrivals.archive_source`` screens them in this process."""
    stderr = sys.stderr if stderr is None else stderr
    from desktop.core import arrivals
    from desktop.core.model import iso_utc
    from desktop.core.scaleout.archive import screen_archive_on_dask

    with cluster_of(args, stderr) as client:
        printer = DaskProgressPrinter(stderr)

        def screen(archive: str, zones: Any, params: Any, as_of: datetime, **named: Any) -> Any:
            stderr.write(f"dask: screening as of {iso_utc(as_of)}\n")
            return screen_archive_on_dask(
                client, archive, zones, params, as_of, progress=printer, **named
            )

        source, inputs = arrivals.archive_source(
            args.archive, listed, zones, watchlist=watchlist, screen_archive=screen
        )
        return arrivals.screen_arrivals(listed, source, inputs=inputs)

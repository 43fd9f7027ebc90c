"""The `exposure` command (DESIGN.md §6): the desktop app, `check`, `arrivals`, `ingest` and
`archive`.

Exit status: 0 when the run worked (whatever the verdicts), 2 for unusable input or
arguments, with one clear line on stderr (also when standard output cannot be written: a full
disk, a closed descriptor); 141 with nothing on stderr when the reader of a pipe went away.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from desktop import __version__
from desktop.cli_dask import add_engine_arguments, check_engine_arguments
from desktop.core.errors import ExposureError

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_BROKEN_PIPE = 141  # what a shell reports for a command ended by SIGPIPE (128 + 13)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse exits 2 already; keep its message to one line.
        self.exit(EXIT_BAD_INPUT, f"exposure: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="exposure", description="Maritime Exposure Check (EO 13810, 180-day rule)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--self-test", action="store_true",
        help="check this installation (resources, sample verdicts, GeoPackage, window, worker "
             "process): one line per check, exit 1 on any failure",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    gui = sub.add_parser("gui", help="the desktop app (the default command)")
    gui.add_argument("files", nargs="*", help="track files or folders (default: the sample tracks)")
    gui.add_argument(
        "--screenshot", metavar="PNG", help="load, screen, save the window as PNG, exit"
    )

    check = sub.add_parser("check", help="screen track files and print a verdict per vessel")
    check.add_argument("files", nargs="*", help="track files or folders")
    check.add_argument(
        "--archive", metavar="ARCHIVE",
        help="screen the archive (folder or URL such as s3://bucket/ais) instead of files",
    )
    check.add_argument(
        "--vessels", metavar="LIST",
        help="with --archive: screen only these vessels (IMO/MMSI lines, or a CSV with "
        "imo/mmsi/name columns), with the whole archive as context",
    )
    check.add_argument("--zones", action="append", default=[], metavar="GEOJSON")
    check.add_argument("--no-default-zones", action="store_true")
    check.add_argument("--as-of", metavar="DATE|DATETIME", help="default: now (UTC)")
    add_engine_arguments(check)
    check.add_argument("--format", choices=("table", "json", "csv"), default="table")
    check.add_argument("--output", metavar="PATH", help="write here instead of standard output")
    check.add_argument(
        "--watchlist", action="append", default=[], metavar="PATH",
        help="a watch list, repeatable: OFAC SDN (sdn.csv, alt.csv beside it read too, or their "
        "folder) or a plain CSV list with a header (imo, mmsi, name, list, reference)",
    )

    arrivals = sub.add_parser(
        "arrivals", help="screen an arrivals list (CSV or XLSX), each vessel as of its ETA"
    )
    arrivals.add_argument("list", metavar="LIST", help="arrivals list: CSV or XLSX")
    arrivals.add_argument("files", nargs="*", metavar="FILES", help="track files or folders")
    arrivals.add_argument(
        "--archive", metavar="ARCHIVE",
        help="screen against an archive (folder or fsspec URL) instead of track files",
    )
    arrivals.add_argument("--zones", action="append", default=[], metavar="GEOJSON")
    arrivals.add_argument("--no-default-zones", action="store_true")
    add_engine_arguments(arrivals)
    arrivals.add_argument("--format", choices=("table", "json", "csv"), default="table")
    arrivals.add_argument("--output", metavar="PATH", help="write here instead of standard output")
    arrivals.add_argument(
        "--watchlist", action="append", default=[], metavar="PATH",
        help="a watch list, repeatable: OFAC SDN (sdn.csv, alt.csv beside it read too, or their "
        "folder) or a plain CSV list with a header (imo, mmsi, name, list, reference)",
    )

    ingest = sub.add_parser("ingest", help="read track files and report what was accepted")
    ingest.add_argument("files", nargs="+", help="track files or folders")
    ingest.add_argument("--output", metavar="FIXES.parquet", help="write the fixes table")
    ingest.add_argument("--format", choices=("table", "json"), default="table")

    archive = sub.add_parser("archive", help="the AIS archive: add files, show what it holds")
    archive_sub = archive.add_subparsers(dest="archive_command", parser_class=_Parser)
    archive_sub.required = True
    add = archive_sub.add_parser("add", help="add track files (folders, globs) to an archive")
    add.add_argument("archive", metavar="ARCHIVE", help="folder (created if missing) or URL")
    add.add_argument("files", nargs="+", metavar="FILES", help="track files, folders or globs")
    add.add_argument(
        "--progress", choices=("auto", "bar", "lines", "none"), default="auto",
        help="progress on stderr: a bar when stderr is a terminal (auto), lines, or none",
    )
    info = archive_sub.add_parser("info", help="what an archive holds")
    info.add_argument("archive", metavar="ARCHIVE")
    info.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def _cmd_gui(args: argparse.Namespace) -> int:
    from desktop.gui.app import run_app

    return run_app(args.files, screenshot=args.screenshot)


def _cmd_check(args: argparse.Namespace) -> int:
    """Screen the files and write the verdicts (DESIGN.md §6); exit 0 whatever the verdicts."""
    from desktop.core.errors import InputError
    from desktop.core.output import render
    from desktop.core.screening import parse_as_of, screen
    from desktop.core.zones import load_zones

    if bool(args.files) == bool(args.archive):
        raise InputError("check takes track files or --archive ARCHIVE (one of the two)")
    if args.vessels and not args.archive:
        raise InputError("--vessels needs --archive")
    check_engine_arguments(args)
    as_of = parse_as_of(args.as_of)  # before any file is read: bad arguments fail fast
    zones = load_zones(args.zones, include_defaults=not args.no_default_zones)
    watchlist = _watchlist(args.watchlist)
    if args.engine == "dask":
        from desktop.cli_dask import check_on_dask

        result = check_on_dask(args, zones, as_of, watchlist)
    elif args.archive:
        from desktop.core.archive.screen import screen_archive

        result = screen_archive(
            args.archive, zones, as_of=as_of, vessels=args.vessels, watchlist=watchlist,
            warn=lambda line: _say(f"exposure: {line}"),
        )
    else:
        result = screen(args.files, zones, as_of=as_of, watchlist=watchlist)
    _warn_no_fixes(result.ingest.reports)
    _write(render(result, args.format), args.output)
    return EXIT_OK


def _watchlist(paths: list[str]) -> Any:
    """The watch lists of ``--watchlist`` (None for none); rows that could not be used are
    told on stderr, file and line, and the run goes on (as an archive's warnings do)."""
    from desktop.core.watchlist import load_watchlist

    if not paths:
        return None
    watchlist = load_watchlist(paths)
    for line in watchlist.problem_lines():
        _say(f"exposure: watch list {line}")
    return watchlist


def _warn_no_fixes(reports: Sequence[Any]) -> None:
    """A line on stderr for every file that gave no fix: an empty result is never silent."""
    from desktop.core.ingest.result import no_fix_warnings
    from desktop.core.textsafe import terminal_text

    for line in no_fix_warnings(list(reports)):
        _say(f"exposure: warning: {terminal_text(line)}")


def _write(text: str, output: str | None) -> None:
    """``text`` to ``output`` (a path) or to standard output."""
    from desktop.core.atomic import write_text_atomic

    if output:
        # Aside and renamed into place: a full disk never truncates the previous file.
        write_text_atomic(output, text)  # InputError naming the file
    else:
        sys.stdout.write(text)


def _cmd_arrivals(args: argparse.Namespace) -> int:
    """Screen each arrival of the list as of its ETA (DESIGN.md §9); exit 0 whatever the
    verdicts, and whatever rows of the list were unusable (they are listed and counted)."""
    from desktop.core import arrivals
    from desktop.core.errors import InputError
    from desktop.core.zones import load_zones

    if bool(args.files) == bool(args.archive):
        raise InputError("arrivals takes track files or --archive ARCHIVE (one of the two)")
    check_engine_arguments(args)
    listed = arrivals.read_arrivals(args.list)  # before the tracks: a bad list fails fast
    zones = load_zones(args.zones, include_defaults=not args.no_default_zones)
    watchlist = _watchlist(args.watchlist)
    if args.engine == "dask":
        from desktop.cli_dask import arrivals_on_dask

        result = arrivals_on_dask(args, listed, zones, watchlist)
        _write(arrivals.render(result, args.format), args.output)
        return EXIT_OK
    if args.archive:
        source, inputs = arrivals.archive_source(args.archive, listed, zones, watchlist=watchlist)
    else:
        source, inputs = arrivals.files_source(args.files, zones, watchlist=watchlist)
    result = arrivals.screen_arrivals(listed, source, inputs=inputs)
    _write(arrivals.render(result, args.format), args.output)
    return EXIT_OK


def _cmd_ingest(args: argparse.Namespace) -> int:
    import json

    from desktop.core.ingest import ingest
    from desktop.core.textsafe import printable_path

    result = ingest(args.files)  # InputError (exit 2) for a path that cannot be read
    _warn_no_fixes(result.reports)
    if args.output:
        result.write_fixes(args.output)
    if args.format == "json":
        print(json.dumps(result.to_json(), indent=2))
    else:
        print("\n".join(result.summary_lines()))
        if args.output:
            print(f"wrote {len(result.fixes)} fixes to {printable_path(args.output)}")
    return EXIT_OK


class AddProgressPrinter:
    """Progress of an ``archive add`` on stderr: a bar redrawn in place (``bar``, the default
    when stderr is a terminal), one line every few seconds (``lines``), or nothing (``none``,
    the default otherwise, so that logs and tests stay clean)."""

    def __init__(self, stream: Any, mode: str = "auto") -> None:
        if mode == "auto":
            mode = "bar" if getattr(stream, "isatty", lambda: False)() else "none"
        self.stream, self.mode = stream, mode
        self.last = 0.0
        self.drawn = False

    def __call__(self, p: Any) -> None:
        import time

        now = time.monotonic()
        if self.mode == "none" or (now - self.last < (0.2 if self.mode == "bar" else 5.0)
                                   and p.message != "done"):  # fmt: skip
            return
        self.last = now
        fraction = p.bytes_read / p.bytes_total if p.bytes_total else 1.0
        text = (
            f"{_mb(p.bytes_read)}/{_mb(p.bytes_total)} MB read, {p.fixes_read:,} fixes read, "
            f"{p.fixes_written:,} written  {p.message}"
        )
        if self.mode == "bar":
            filled = int(30 * min(max(fraction, 0.0), 1.0))
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} {text}"
                              "\x1b[K")  # fmt: skip
            self.drawn = True
        else:
            self.stream.write(f"{fraction:4.0%} {text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f}"


def _cmd_archive(args: argparse.Namespace) -> int:
    import json

    from desktop.core.textsafe import printable_path

    if args.archive_command == "info":
        from desktop.core.archive.read import archive_info, info_lines

        info = archive_info(args.archive)
        if args.format == "json":
            print(json.dumps(info, indent=2))
        else:
            print("\n".join(info_lines(info)))
        return EXIT_OK
    from desktop.core.ingest.detect_format import expand_arguments
    from desktop.core.ingest.stream import read_ahead

    # The first file's reading begins now, in a forked child, while the rest of the add is
    # imported (pandas alone takes a third of a second); these two modules do not need it.
    first = expand_arguments(args.files[:1], [])
    started = read_ahead(first[0]) if first else None
    from desktop.core.archive.add import add_files  # not read: no screening imports for an add

    printer = AddProgressPrinter(sys.stderr, args.progress)
    try:
        result = add_files(args.archive, args.files, progress=printer, started=started)
    finally:
        printer.close()
    print(
        f"{args.archive}: {len(result.added)} added, {len(result.skipped)} already in the "
        f"archive, {len(result.failed)} failed; fixes {result.fixes_before} -> "
        f"{result.fixes_after}"
    )
    for path in result.skipped:
        print(f"  skipped (same SHA-256 already added): {printable_path(path)}")
    for path, reason in result.failed:
        _say(f"exposure: {printable_path(path)}: {reason}")
    return EXIT_BAD_INPUT if result.failed else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `exposure` command and of `python -m desktop`."""
    args = build_parser().parse_args(argv)
    if args.self_test:
        return _self_test()
    command = args.command or "gui"
    if args.command is None:
        args.files, args.screenshot = [], None
    handler = {
        "gui": _cmd_gui, "check": _cmd_check, "ingest": _cmd_ingest, "arrivals": _cmd_arrivals,
        "archive": _cmd_archive,
    }[command]
    if command == "gui":
        return _run(handler, args)
    if sys.stdout is None:  # started with standard output closed (>&-)
        if not getattr(args, "output", None):
            _say("exposure: standard output is closed; give --output or redirect it")
            return EXIT_BAD_INPUT
        with open(os.devnull, "w", encoding="utf-8") as nowhere:  # the result goes to --output
            sys.stdout = nowhere
            try:
                return _run(handler, args)
            finally:
                sys.stdout = None  # type: ignore[assignment]
    real_stdout = sys.stdout
    sys.stdout = _GuardedStdout(real_stdout)  # type: ignore[assignment]
    try:
        code = _run(handler, args)
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not at exit
        return code
    except _StdoutFailed as failed:
        _discard_stdout(real_stdout)
        if isinstance(failed.error, BrokenPipeError):
            # The reader went away (`exposure check ... | head`): stop quietly, as Unix tools do.
            return EXIT_BROKEN_PIPE
        _say(f"exposure: cannot write to standard output: {failed.error.strerror or failed.error}")
        return EXIT_BAD_INPUT
    finally:
        sys.stdout = real_stdout


EXIT_SELF_TEST_FAILED = 1


def _self_test() -> int:
    """``exposure --self-test``: the core's checks, then the window's; exit 1 if any fails."""
    from desktop.core.selftest import CheckResult, run_core_checks

    print(f"Maritime Exposure Check {__version__} self-test ({sys.executable})", flush=True)
    results: list[CheckResult] = []
    for result in run_core_checks():
        print(result.line(), flush=True)
        results.append(result)
    try:
        from desktop.gui.selftest import run_gui_checks
    except Exception as exc:  # noqa: BLE001 -- a broken Qt is one failed line, not a traceback
        gui = [CheckResult("main window", False, f"cannot import Qt: {type(exc).__name__}: {exc}")]
    else:
        gui = run_gui_checks()
    for result in gui:
        print(result.line(), flush=True)
        results.append(result)
    failed = [r.name for r in results if not r.ok]
    print(f"self-test {'FAILED: ' + ', '.join(failed) if failed else 'passed'}", flush=True)
    return EXIT_SELF_TEST_FAILED if failed else EXIT_OK


def _run(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return handler(args)
    except ExposureError as exc:
        _say(f"exposure: {exc}")
        return EXIT_BAD_INPUT


def _say(line: str) -> None:
    """One line on stderr, if there is a stderr at all."""
    if sys.stderr is not None:
        print(line, file=sys.stderr)


class _StdoutFailed(Exception):  # noqa: N818 -- internal signal, never shown
    """Writing to standard output failed (``error``): a full disk, a closed pipe."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _GuardedStdout:
    """Standard output whose write errors are told apart from every other ``OSError``."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise _StdoutFailed(exc) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise _StdoutFailed(exc) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _discard_stdout(stream: TextIO) -> None:
    # What is still buffered would fail again when the interpreter flushes at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass

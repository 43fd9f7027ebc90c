"""The `exposure` command (DESIGN.md §6): the desktop app, `check` and `ingest`.

Exit status: 0 when the run worked (whatever the verdicts), 2 for unusable input or
arguments, with one clear line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from desktop import __version__
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
    check.add_argument("files", nargs="+", help="track files or folders")
    check.add_argument("--zones", action="append", default=[], metavar="GEOJSON")
    check.add_argument("--no-default-zones", action="store_true")
    check.add_argument("--as-of", metavar="DATE|DATETIME", help="default: now (UTC)")
    check.add_argument("--format", choices=("table", "json", "csv"), default="table")
    check.add_argument("--output", metavar="PATH", help="write here instead of standard output")
    check.add_argument(
        "--watchlist", action="append", default=[], metavar="PATH",
        help="OFAC SDN list: sdn.csv (alt.csv beside it is read too), alt.csv, or their folder",
    )

    ingest = sub.add_parser("ingest", help="read track files and report what was accepted")
    ingest.add_argument("files", nargs="+", help="track files or folders")
    ingest.add_argument("--output", metavar="FIXES.parquet", help="write the fixes table")
    ingest.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def _cmd_gui(args: argparse.Namespace) -> int:
    from desktop.gui.app import run_app

    return run_app(args.files, screenshot=args.screenshot)


def _cmd_check(args: argparse.Namespace) -> int:
    """Screen the files and write the verdicts (DESIGN.md §6); exit 0 whatever the verdicts."""
    from desktop.core.atomic import write_text_atomic
    from desktop.core.output import render
    from desktop.core.screening import parse_as_of, screen
    from desktop.core.watchlist import load_watchlist
    from desktop.core.zones import load_zones

    as_of = parse_as_of(args.as_of)  # before any file is read: bad arguments fail fast
    zones = load_zones(args.zones, include_defaults=not args.no_default_zones)
    watchlist = load_watchlist(args.watchlist) if args.watchlist else None
    result = screen(args.files, zones, as_of=as_of, watchlist=watchlist)
    text = render(result, args.format)
    if args.output:
        # Aside and renamed into place: a full disk never truncates the previous file.
        write_text_atomic(args.output, text)  # InputError naming the file
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _cmd_ingest(args: argparse.Namespace) -> int:
    import json

    from desktop.core.ingest import ingest
    from desktop.core.textsafe import printable_path

    result = ingest(args.files)  # InputError (exit 2) for a path that cannot be read
    if args.output:
        result.write_fixes(args.output)
    if args.format == "json":
        print(json.dumps(result.to_json(), indent=2))
    else:
        print("\n".join(result.summary_lines()))
        if args.output:
            print(f"wrote {len(result.fixes)} fixes to {printable_path(args.output)}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `exposure` command and of `python -m desktop`."""
    args = build_parser().parse_args(argv)
    if args.self_test:
        return _self_test()
    command = args.command or "gui"
    if args.command is None:
        args.files, args.screenshot = [], None
    handler = {"gui": _cmd_gui, "check": _cmd_check, "ingest": _cmd_ingest}[command]
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

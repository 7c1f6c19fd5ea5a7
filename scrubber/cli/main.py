"""The ``scrubber`` console script: a thin dispatcher over scrubber.cli.commands.

Exit status (:class:`scrubber.status.ExitStatus`): 0 all claims accepted, 1
some claim corrected or rejected, 2 unusable input or usage error (one line
on standard error, no traceback), 130 interrupted (Ctrl-C) and 143
terminated (SIGTERM): one line, and no temporary or half-written output left
behind. Every :class:`~scrubber.errors.ScrubberError` a command raises is
caught here, once, and printed as that one line (control characters in it
escaped: :func:`scrubber.cli.text.one_line`).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from scrubber import __version__, build
from scrubber.cli.text import one_line
from scrubber.errors import InputError, ScrubberError
from scrubber.pipeline.interrupts import Terminated, sigterm_raises
from scrubber.status import ExitStatus

COMMANDS = ("scrub", "rules", "validate", "show", "retro", "filter", "check", "serve", "spark")
_NOTHING_PARTIAL = "no output of an unfinished input was written"
_ENDS_NORMALLY = frozenset({"serve", "spark"})  # (see run)


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line on standard error (exit 2), never a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitStatus.UNUSABLE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser: every command's, or only ``command``'s when
    it names one (what :func:`main` parses: a run imports the modules of its
    own command, not the other eight)."""
    parser = OneLineParser(
        prog="scrubber",
        description="Scrub radiation-oncology image-guidance claims (X12 837P/837I).",
    )
    version = f"scrubber {__version__} ({build.describe()})"  # the build: for a bug report
    parser.add_argument("--version", action="version", version=version)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in (command,) if command in COMMANDS else COMMANDS:
        module = importlib.import_module(f"scrubber.cli.commands.{name}")
        module.add_parser(subparsers)
    return parser


def run() -> NoReturn:
    """The console script: :func:`main`, then the process ends at once.

    A finished command's outputs are committed (renamed into place and
    synced) before :func:`main` returns, so what is left is the
    interpreter's tear-down: freeing every module and object one by one,
    up to a tenth of a second after a large scrub (mypy ends its console
    script the same way). The functions registered with :mod:`atexit` run
    and standard output and error are flushed first. ``serve`` and
    ``spark`` end normally: their servers and the Spark gateway shut down
    at exit; so does a run under a profiler or a tracer (``python -m
    cProfile``, coverage), which write their data at exit."""
    argv = sys.argv[1:]
    status = main(argv)
    if (argv and argv[0] in _ENDS_NORMALLY) or sys.getprofile() or sys.gettrace():
        sys.exit(status)  # (a profiler or coverage writes its data at exit)
    _end_now(status)


def _end_now(status: int) -> NoReturn:
    atexit._run_exitfuncs()  # (what was registered to run at exit still runs)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: as main
            stream.flush()
    os._exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with sigterm_raises():
            return _main(argv)
    except KeyboardInterrupt:
        print(f"scrubber: interrupted; {_NOTHING_PARTIAL}", file=sys.stderr)
        return ExitStatus.INTERRUPTED
    except Terminated:
        print(f"scrubber: terminated; {_NOTHING_PARTIAL}", file=sys.stderr)
        return ExitStatus.TERMINATED


def _main(argv: Sequence[str] | None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(given[0] if given else None).parse_args(given)
    try:
        status: int = args.run(args)
    except ScrubberError as error:
        print(error_line(error, args), file=sys.stderr)
        return ExitStatus.UNUSABLE
    except BrokenPipeError:
        return ExitStatus.OK
    return status


def error_line(error: ScrubberError, args: argparse.Namespace) -> str:
    """What standard error shows for ``error``: ``scrubber: INPUT: message`` for
    unusable input, else ``scrubber COMMAND: message``; one line whatever the
    names and values in it hold."""
    if isinstance(error, InputError):
        source = getattr(error, "source", None) or getattr(args, "input_name", "input")
        return one_line(f"scrubber: {source}: {error}")
    return one_line(f"scrubber {args.command}: {error}")


if __name__ == "__main__":
    run()

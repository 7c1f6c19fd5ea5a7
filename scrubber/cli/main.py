"""The ``scrubber`` console script: a thin dispatcher over scrubber.cli.commands.

Exit status (:class:`scrubber.status.ExitStatus`): 0 all claims accepted, 1
some claim corrected or rejected, 2 unusable input or usage error (one line
on standard error, no traceback). Every :class:`~scrubber.errors.ScrubberError`
a command raises is caught here, once, and printed as that one line.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from scrubber import __version__
from scrubber.errors import InputError, ScrubberError
from scrubber.status import ExitStatus

COMMANDS = ("scrub", "rules", "validate", "show", "retro", "spark")


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line on standard error (exit 2), never a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitStatus.UNUSABLE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="scrubber",
        description="Scrub radiation-oncology image-guidance claims (X12 837P/837I).",
    )
    parser.add_argument("--version", action="version", version=f"scrubber {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"scrubber.cli.commands.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except ScrubberError as error:
        print(one_line(error, args), file=sys.stderr)
        return ExitStatus.UNUSABLE
    except BrokenPipeError:
        return ExitStatus.OK
    return status


def one_line(error: ScrubberError, args: argparse.Namespace) -> str:
    """What standard error shows for ``error``: ``scrubber: INPUT: message`` for
    unusable input, else ``scrubber COMMAND: message``."""
    if isinstance(error, InputError):
        source = getattr(error, "source", None) or getattr(args, "input_name", "input")
        return f"scrubber: {source}: {error}"
    return f"scrubber {args.command}: {error}"


if __name__ == "__main__":
    sys.exit(main())

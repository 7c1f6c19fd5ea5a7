"""The ``scrubber`` console script: a thin dispatcher over scrubber.cli.commands.

Exit status: 0 all claims accepted, 1 some claim corrected or rejected,
2 unusable input or usage error (one line on standard error, no traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from scrubber import __version__
from scrubber.errors import X12InputError

COMMANDS = ("scrub", "rules", "validate", "show", "retro", "filter", "check")
EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line on standard error (exit 2), never a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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
    except X12InputError as error:
        source = getattr(error, "source", None) or getattr(args, "input_name", "input")
        print(f"scrubber: {source}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())

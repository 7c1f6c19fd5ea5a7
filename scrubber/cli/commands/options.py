"""Options and their parsing shared by the subcommands.

A bad option value raises :class:`~scrubber.errors.UsageError`;
:func:`scrubber.cli.main.main` prints it as ``scrubber COMMAND: message``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from scrubber.errors import PolicyError, RegistryError
from scrubber.errors import UsageError as UsageError
from scrubber.rules.policy import Policy, load_policy
from scrubber.rules.radonc.registry import CourseRegistry, load_registry


def iso_date(text: str) -> dt.date:
    """argparse type for ``YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_as_of(parser: Any) -> None:
    parser.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="date that decides whether a course has ended (default: today)",
    )


def load_policy_and_courses(
    args: argparse.Namespace,
) -> tuple[Policy | None, CourseRegistry | None]:
    """The ``--policy`` and ``--courses`` files, loaded; :class:`UsageError` when
    either cannot be read or parsed."""
    try:
        policy = load_policy(args.policy) if args.policy else None
        courses = load_registry(args.courses) if args.courses else None
    except (PolicyError, RegistryError) as error:
        which = args.policy if isinstance(error, PolicyError) else args.courses
        raise UsageError(f"{which}: {error}") from None
    except OSError as error:
        raise UsageError(f"{error.filename}: {error.strerror or error}") from None
    return policy, courses

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


def add_decision_options(parser: Any, *, record: bool = True) -> None:
    """The options of ``scrub`` that decide the claims: ``--profile``,
    ``--policy``, ``--history`` (and ``--no-record`` when ``record``),
    ``--courses`` and ``--as-of``."""
    parser.add_argument("--profile", choices=("clean", "strict"), default="clean")
    parser.add_argument("--policy", metavar="FILE", help="policy file (TOML)")
    if record:
        add_history(parser)
    else:
        parser.add_argument(
            "--history", metavar="URL", help="course history store URL (read, never recorded)"
        )
        parser.add_argument("--no-record", action="store_true", help="accepted: always so here")
    parser.add_argument("--courses", metavar="FILE", help="course registry (CSV)")
    add_as_of(parser)


def add_report_options(parser: Any) -> None:
    """The options of ``scrub`` (and ``spark``) about what is printed and
    written besides the three outputs: ``--format``, ``--quiet``, ``--html``,
    ``--exit-zero``."""
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--quiet", action="store_true", help="print nothing on standard output")
    parser.add_argument(
        "--html", action="store_true", help="also write S.report.html, the worklist page"
    )
    parser.add_argument(
        "--exit-zero", action="store_true",
        help="exit 0 even when claims were corrected or rejected (2 still means unusable)",
    )  # fmt: skip


def add_history(parser: Any) -> None:
    """``--history URL`` and ``--no-record``."""
    parser.add_argument("--history", metavar="URL", help="course history store URL")
    parser.add_argument(
        "--no-record",
        action="store_true",
        help="with --history: read the store for context, record nothing (opened read-only)",
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

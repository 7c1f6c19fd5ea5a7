"""``scrubber check INPUT...``: findings like a linter's, nothing written.

For developers' fixture 837s and CI: every input is scrubbed as ``scrub``
would (same rules, profile, policy, courses and ``--as-of``), but no file is
written and no store is changed (``--history`` is opened read-only: it
supplies context and records nothing). One line per finding::

    edi_samples/batch.x12:FS01W3:3: IG105 [remove-line] 77387-TC on ... is bundled ...
    edi_samples/batch.x12:FS04W5:0: IG108 [reject-claim] ...

``FILE:CLAIM:LINE``: LINE is the claim's LX number; a claim-level finding
prints line 0 (LX numbers start at 1), so that every line has the same
fields. A claim id that repeats in one input is named ``ID#2``, ``ID#3``...
Findings are sorted by input (in the order given), claim (in input order),
line, rule and message. ``--format json|github|junit`` print the same
findings as a JSON array, GitHub Actions annotations or JUnit XML (see
:mod:`scrubber.cli.commands.check_formats`). ``--select`` / ``--ignore``
take rule codes or prefixes (``IG1``), comma separated or repeated; they
choose which findings are reported and counted (every rule still runs, so
claims are decided as ``scrub`` decides them).

Exit status: 0 no reported finding changes or rejects a claim (warnings
allowed); 1 some reported finding does; 2 an input was unusable (one line
on standard error; the other inputs are still checked) or the command line
was.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from scrubber.api import make_engine
from scrubber.cli.commands.check_findings import (
    CheckedInput,
    RuleFilter,
    changing_count,
    check_input,
)
from scrubber.cli.commands.check_formats import FORMATS, WRITERS
from scrubber.cli.commands.options import (
    UsageError,
    add_decision_options,
    load_policy_and_courses,
)
from scrubber.errors import X12InputError
from scrubber.history import HistoryError, open_store
from scrubber.logs import configure_logging
from scrubber.rules.discovery import discover_packs
from scrubber.status import ExitStatus

if TYPE_CHECKING:
    from scrubber.history import HistoryStore


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="report findings like a linter; write nothing, record nothing",
        description="Check 837 files like a linter: one line per finding, no file "
        "written, no history recorded. Exit 0 clean, 1 findings, 2 unusable.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="837 file, or - for stdin")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--select", action="append", default=[], metavar="RULES",
                        help="report only these rule codes or prefixes (IG105,IG2)")  # fmt: skip
    parser.add_argument("--ignore", action="append", default=[], metavar="RULES",
                        help="do not report these rule codes or prefixes")  # fmt: skip
    add_decision_options(parser, record=False)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    configure_logging()
    if args.inputs.count("-") > 1:
        raise UsageError("standard input (-) given twice")
    try:
        rules = RuleFilter(_selectors(args.select, "--select"), _selectors(args.ignore, "--ignore"))
        policy, courses = load_policy_and_courses(args)
        store = open_store(args.history, read_only=True) if args.history else None
    except HistoryError as error:
        raise UsageError(f"--history: {error}") from None
    engine = make_engine(args.profile, args.as_of, policy, courses)
    try:
        inputs = _check_all(args, rules, engine, store)
    except HistoryError as error:
        raise UsageError(f"--history: {error}") from None
    finally:
        if store is not None:
            store.close()
    WRITERS[args.format](inputs, sys.stdout)
    if any(checked.error is not None for checked in inputs):
        return ExitStatus.UNUSABLE
    return ExitStatus.FINDINGS if changing_count(inputs) else ExitStatus.OK


def _check_all(
    args: argparse.Namespace, rules: RuleFilter, engine: Any, store: HistoryStore | None
) -> list[CheckedInput]:
    inputs: list[CheckedInput] = []
    for index, path in enumerate(args.inputs):
        try:
            checked = check_input(
                path, index, engine, rules=rules, history=store,
                keep_claims=args.format == "junit",
            )  # fmt: skip
        except X12InputError as error:
            display = "<stdin>" if path == "-" else path
            print(f"scrubber: {display}: {error}", file=sys.stderr)
            checked = CheckedInput(display, error=str(error))
        inputs.append(checked)
    return inputs


def _selectors(values: list[str], option: str) -> tuple[str, ...]:
    """Rule codes or prefixes, upper-cased; each must match a known rule."""
    codes = [rule.code for pack in discover_packs() for rule in pack.rules]
    selectors = tuple(
        part.strip().upper() for value in values for part in value.split(",") if part.strip()
    )
    for selector in selectors:
        if not any(code.startswith(selector) for code in codes):
            raise UsageError(f"{option}: {selector!r} matches no rule (see scrubber rules)")
    return selectors

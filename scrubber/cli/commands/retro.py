"""``scrubber retro``: decisions that what is known now reverses.

Re-decides every claim in the course history store (``--history URL``, or
``SCRUBBER_HISTORY_URL``) with the courses known now: registry rows given
with ``--courses FILE`` (stored, so later scrubs know them too), closing
837I claims scrubbed since, and the ``--as-of`` date (default today), which
ends every course whose last fraction is more than 30 days before it.

Lists, for a billing office to act on, port films that were accepted
provisionally (IG407) and now fall in the last three fractions (IG406), then
every other line whose decision changed, each with what to do (replacement
claim, void, or bill after all). Claims are named by CLM01, LX and REF*6R;
patients never (the store keeps them only as keyed hashes).

Exit status: 0 nothing to act on; 1 some decision is reversed; 2 usage
error or unusable store (one line on standard error).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from scrubber.cli.commands.options import add_as_of, load_policy_and_courses
from scrubber.errors import UsageError
from scrubber.history import open_store
from scrubber.rules.engine import Engine
from scrubber.status import ExitStatus

if TYPE_CHECKING:
    from scrubber.history.retro import RetroReport

ENV_HISTORY_URL = "SCRUBBER_HISTORY_URL"

# By ChangeKind value (scrubber.history.retro is imported when the command runs:
# it loads SQLAlchemy, which other commands do not need).
_HEADINGS = {
    "port-in-last-three": "Port films accepted provisionally (IG407), now in the last "
    "three fractions (IG406)",
    "no-longer-billable": "Billed lines the rules now remove or reject",
    "now-billable": "Removed or rejected lines that are billable now",
    "changed": "Other changed decisions",
}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "retro",
        help="list earlier decisions that newly known course ends reverse",
        description="Re-decide the claims in the course history store with what is known "
        "now; list provisional port films now in the last three fractions and other reversed "
        "decisions.",
    )
    parser.add_argument(
        "--history",
        metavar="URL",
        help=f"course history store (sqlite:///path.db or postgresql://...; default: "
        f"${ENV_HISTORY_URL})",
    )
    parser.add_argument("--courses", metavar="FILE", help="course registry (CSV), stored")
    add_as_of(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--profile",
        choices=("clean", "strict"),
        default="clean",
        help="the profile the claims were scrubbed with (default: clean)",
    )
    parser.add_argument("--policy", metavar="FILE", help="the policy file they were scrubbed with")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    url = args.history or os.environ.get(ENV_HISTORY_URL, "")
    if not url:
        raise UsageError(f"no history store: give --history URL or set {ENV_HISTORY_URL}")
    policy, courses = load_policy_and_courses(args)
    from scrubber.history.retro import find_reversals

    engine = Engine(profile=args.profile, policy=policy, as_of=args.as_of or dt.date.today())
    with open_store(url) as store:  # a HistoryError is printed by scrubber.cli.main
        report = find_reversals(store, engine, courses=courses)
    if args.format == "json":
        json.dump(report.as_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        write_text(report, sys.stdout)
    return ExitStatus.FINDINGS if report.changes else ExitStatus.OK


def write_text(report: RetroReport, out: TextIO) -> None:
    """The report as a billing office reads it."""
    out.write(
        f"retro as of {report.as_of.isoformat()} ({report.rule_set}), store {report.store}: "
        f"{report.claims} claims, {report.lines} lines checked\n"
    )
    if not report.changes:
        out.write("No stored decision is reversed by what is known now.\n")
    for kind, heading in _HEADINGS.items():
        changes = [c for c in report.changes if c.kind.value == kind]
        if not changes:
            continue
        out.write(f"\n{heading}: {len(changes)}\n")
        for change in changes:
            control = f" (REF*6R {change.line_control})" if change.line_control else ""
            dos = change.dos.isoformat() if change.dos else "no DOS"
            rules = ", ".join(f.rule for f in change.now_findings) or "no finding"
            out.write(
                f"  claim {change.claim_id} line {change.line}{control}: {change.procedure} "
                f"{dos}: was {change.was.value}, now {change.now.value} ({rules})\n"
            )
            for finding in change.now_findings:
                if finding.action in ("remove-line", "reject-claim"):
                    out.write(f"    {finding.rule}: {finding.message}\n")
            out.write(f"    -> {change.action}\n")
    out.write(
        f"\nProvisional port films (IG407): {report.provisional_confirmed} confirmed now that "
        f"their course end is known, {report.provisional_still_open} still open.\n"
    )

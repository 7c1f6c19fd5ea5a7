"""``scrubber rules [CODE]``: the rule catalogue, like ``ruff rule --all``.

Without a code: one row per rule (code, name, era, action in the clean and
strict profiles, 277CA status codes, whether a fix is available, citation).
With a code (``scrubber rules IG105``): that rule's full explanation with an
example. ``--format json`` prints the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from scrubber.errors import UsageError
from scrubber.rules.discovery import discover_packs
from scrubber.rules.policy import Profile, apply_profile
from scrubber.rules.rule import Rule, rule_set_of
from scrubber.status import ExitStatus


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "rules",
        help="list the rule catalogue, or explain one rule",
        description="List the rule catalogue, or explain one rule (scrubber rules IG105).",
    )
    parser.add_argument("code", nargs="?", help="a rule code such as IG105")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    catalogue = [(rule_set_of(pack), rule) for pack in discover_packs() for rule in pack.rules]
    if args.code:
        wanted = args.code.strip().upper()
        found = [(rule_set, rule) for rule_set, rule in catalogue if rule.code == wanted]
        if not found:
            raise UsageError(f"unknown rule code {args.code!r}")
        catalogue = found
    if args.format == "json":
        document = [rule_as_dict(rule, rule_set) for rule_set, rule in catalogue]
        json.dump(document[0] if args.code else document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.code:
        rule_set, rule = catalogue[0]
        write_explanation(rule, rule_set, sys.stdout)
    else:
        write_table([rule for _, rule in catalogue], sys.stdout)
    return ExitStatus.OK


def actions(rule: Rule) -> dict[str, str]:
    """The rule's action in each profile (without a policy)."""
    clean = rule.action_text or rule.action.value
    strict = apply_profile(rule.action, Profile.STRICT).value
    return {Profile.CLEAN.value: clean, Profile.STRICT.value: strict}


def rule_as_dict(rule: Rule, rule_set: str) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "rule_set": rule_set,
        "era": rule.era_label,
        "stage": rule.stage.value,
        "actions": actions(rule),
        "status_codes": rule.status_text or None,
        "fix_available": rule.fixable,
        "trigger": rule.trigger,
        "message": rule.message,
        "fix": rule.fix,
        "citation": rule.citation,
        "example": rule.example,
    }


HEADER = ("code", "name", "era", "clean", "strict", "277CA", "fix", "citation")


def write_table(rules: list[Rule], out: TextIO) -> None:
    rows = [HEADER]
    for rule in rules:
        acts = actions(rule)
        rows.append(
            (
                rule.code,
                rule.name,
                rule.era_label,
                acts["clean"],
                acts["strict"],
                rule.status_text or "-",
                "yes" if rule.fixable else "no",
                rule.citation,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        out.write("  ".join([*cells, row[-1]]).rstrip() + "\n")


def write_explanation(rule: Rule, rule_set: str, out: TextIO) -> None:
    acts = actions(rule)
    out.write(f"{rule.code} {rule.name} ({rule_set})\n\n")
    fields = (
        ("Era", rule.era_label + "  (A = DOS 2015-01-01..2025-12-31, B = 2026-01-01 on)"),
        ("Trigger", rule.trigger),
        ("Action", f"clean: {acts['clean']}; strict: {acts['strict']}"),
        ("277CA STC", rule.status_text or "-"),
        ("Fix available", "yes" if rule.fixable else "no"),
        ("Message", rule.message),
        ("Fix", rule.fix),
        ("Citation", rule.citation),
        ("Example", rule.example),
    )
    for label, value in fields:
        out.write(f"{label + ':':15}{value}\n")

"""The public surface, pinned: what ``import scrubber`` exports and the
subcommands of the ``scrubber`` console script.

A change to either is a change to what users rely on: make it on purpose,
by editing the constant below in the same commit.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import scrubber
from scrubber.cli.main import build_parser

#: ``scrubber.__all__``, exactly.
PUBLIC_NAMES = {
    "CodeTableError",
    "ConfigurationError",
    "DecisionError",
    "ExitStatus",
    "HistoryError",
    "HistoryKeyError",
    "HistoryStoreError",
    "InputError",
    "PolicyError",
    "RegistryError",
    "RuleDefinitionError",
    "RulePackError",
    "ScrubResult",
    "ScrubberError",
    "UsageError",
    "X12InputError",
    "__version__",
    "scrub",
}

#: The subcommands of ``scrubber``, exactly.
SUBCOMMANDS = {
    "scrub", "rules", "validate", "show", "retro", "filter", "check", "serve", "spark",
}  # fmt: skip


def test_all_is_the_pinned_list() -> None:
    assert len(scrubber.__all__) == len(set(scrubber.__all__))
    assert set(scrubber.__all__) == PUBLIC_NAMES


def test_every_exported_name_resolves() -> None:
    for name in scrubber.__all__:
        assert getattr(scrubber, name) is not None, name
    assert callable(scrubber.scrub)
    assert scrubber.ScrubResult.__module__ == "scrubber.api"


def test_parser_has_the_pinned_subcommands() -> None:
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(subparsers.choices) == SUBCOMMANDS


def test_help_lists_the_pinned_subcommands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scrubber", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = done.stdout.split("positional arguments:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    # "  COMMAND", then "    name  help" per subcommand (help may wrap onto
    # lines indented further).
    listed = {line.split()[0] for line in lines if line.startswith("    ") and line[4] != " "}
    assert listed == SUBCOMMANDS

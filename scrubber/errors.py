"""Every error scrubber raises: one tree with one root, :class:`ScrubberError`.

A host (an HTTP service, a pipeline step, the ``scrubber`` console script)
catches :class:`ScrubberError` once; ``str(error)`` is one line that names
where and what, and never holds patient data. Each class keeps the builtin
base it had before the tree existed (second base, in brackets below), so
``except ValueError`` and the like still catch what they caught::

    ScrubberError
    ├── InputError                                  the input cannot be scrubbed
    │   └── X12InputError            [ValueError]   not a usable 837P/837I (segment, problem)
    ├── ConfigurationError                          a file or plugin the scrub is configured with
    │   ├── PolicyError              [ValueError]   the policy file (key and problem)
    │   ├── RegistryError            [ValueError]   the course registry (row and column)
    │   ├── CodeTableError           [ValueError]   the code-set table (row and problem)
    │   └── RulePackError            [ImportError]  a scrubber.rules entry point is not a pack
    │       └── RuleDefinitionError  [ValueError]   a rule defined wrongly, a code twice
    ├── DecisionError                [ValueError]   a pack's decision does not fit its claim
    ├── HistoryError                 [RuntimeError] the course history store cannot be used
    │   ├── HistoryKeyError                         no usable hashing key, or another key
    │   └── HistoryStoreError                       bad URL or schema, unreachable database
    └── UsageError                   [ValueError]   a bad option or argument value

The classes are also importable where they were raised before (e.g.
``scrubber.rules.policy.PolicyError``, ``scrubber.history.HistoryError``,
``scrubber.cli.commands.options.UsageError``); they are the same objects.
Programming errors (an argument of the wrong type, a batch recorded twice)
stay builtin ``TypeError``/``ValueError``/``RuntimeError``, as in the standard
library. :class:`InputWarning` is not an error: it is a defect of the input
that the report carries.

This module is a leaf: it imports nothing of scrubber, so every layer may
import it. Exit statuses live in :mod:`scrubber.status`.
"""

from __future__ import annotations

__all__ = [
    "CodeTableError",
    "ConfigurationError",
    "DecisionError",
    "HistoryError",
    "HistoryKeyError",
    "HistoryStoreError",
    "InputError",
    "InputWarning",
    "PolicyError",
    "RegistryError",
    "RuleDefinitionError",
    "RulePackError",
    "ScrubberError",
    "UsageError",
    "X12InputError",
]


class ScrubberError(Exception):
    """The root of every error scrubber raises (a one-line message, no patient data)."""


class InputError(ScrubberError):
    """The input cannot be scrubbed; nothing was written for it."""


class X12InputError(InputError, ValueError):
    """The input is not a usable 837P/837I file.

    ``position`` is the 1-based ordinal of the offending segment in the input
    (``None`` when the problem is not tied to a segment, e.g. an empty file);
    ``segment_id`` is that segment's id when known. ``str(error)`` is one line
    that names the position and the problem.
    """

    def __init__(self, problem: str, position: int | None = None, segment_id: str = "") -> None:
        self.problem = problem
        self.position = position
        self.segment_id = segment_id
        super().__init__(self._describe())

    def _describe(self) -> str:
        if self.position is None:
            return self.problem
        where = f"segment {self.position}"
        if self.segment_id:
            where += f" ({self.segment_id})"
        return f"{where}: {self.problem}"


class ConfigurationError(ScrubberError):
    """A file or plugin the scrub is configured with is unusable."""


class PolicyError(ConfigurationError, ValueError):
    """The policy file is unusable (names the key and the problem)."""


class RegistryError(ConfigurationError, ValueError):
    """The course registry file is unusable (row number and column named)."""


class CodeTableError(ConfigurationError, ValueError):
    """The code-set table is malformed (names the row and the problem)."""


class RulePackError(ConfigurationError, ImportError):
    """An entry point of ``scrubber.rules`` does not load a rule pack."""


class RuleDefinitionError(RulePackError, ValueError):
    """A rule pack defines a rule wrongly, or two packs define the same rule code."""


class DecisionError(ScrubberError, ValueError):
    """The rules produced a decision that does not fit its claim (a rule-pack bug)."""


class HistoryError(ScrubberError, RuntimeError):
    """The history store cannot be used. Messages never contain patient data."""


class HistoryKeyError(HistoryError):
    """No usable hashing key, or the store was created with another key."""


class HistoryStoreError(HistoryError):
    """Bad URL, unsupported or newer schema, unreachable database."""


class UsageError(ScrubberError, ValueError):
    """A bad option or argument value; the message is one line naming the option or file."""


class InputWarning:
    """A defect in the input that leaves every claim unambiguous.

    The claims are read; the report carries the warning so that the
    submitter can fix the file. ``position`` is the 1-based segment ordinal.
    """

    __slots__ = ("position", "problem", "segment_id")

    def __init__(self, problem: str, position: int | None = None, segment_id: str = "") -> None:
        self.problem = problem
        self.position = position
        self.segment_id = segment_id

    def __str__(self) -> str:
        return str(X12InputError(self.problem, self.position, self.segment_id))

    def __repr__(self) -> str:
        return f"InputWarning({self!s})"

    def as_dict(self) -> dict[str, object]:
        return {"position": self.position, "segment": self.segment_id, "problem": self.problem}

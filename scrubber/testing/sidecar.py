"""Expectations for the claims of one X12 fixture file, kept next to it
(``batch.x12`` -> ``batch.x12.scrub.json``), as the pytest plugin
(:mod:`scrubber.pytest_plugin`) reads and rewrites them::

    {
      "schema": "scrubber-expect/1",
      "as_of": "2026-11-26",
      "profile": "clean",
      "claims": {
        "CLAIM01": {"status": "accepted", "rules": []},
        "CLAIM02": {"status": "corrected", "rules": ["IG105"]}
      }
    }

``rules`` are the codes of the claim's findings, sorted, each once
(warnings included). ``as_of`` pins the date that decides whether a course
has ended, so that a snapshot does not change with the calendar.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "scrubber-expect/1"
SUFFIX = ".scrub.json"


class SidecarError(ValueError):
    """A sidecar that cannot be read; the message names the file."""


@dataclass(frozen=True)
class Expected:
    """What a claim should come out as: its status and its rule codes."""

    status: str
    rules: tuple[str, ...] = ()

    @classmethod
    def of_entry(cls, entry: dict[str, Any]) -> Expected:
        """The expectation a report claim entry meets exactly."""
        return cls(entry["status"], tuple(sorted({f["rule"] for f in entry["findings"]})))

    def __str__(self) -> str:
        return f"{self.status} [{', '.join(self.rules)}]" if self.rules else self.status


@dataclass
class Sidecar:
    """The expectations of one file's claims (by claim name, in file order)."""

    path: Path
    claims: dict[str, Expected] = field(default_factory=dict)
    as_of: str | None = None
    profile: str | None = None

    @classmethod
    def for_file(cls, x12: Path) -> Path:
        return x12.with_name(x12.name + SUFFIX)

    @classmethod
    def load(cls, path: Path) -> Sidecar | None:
        """The sidecar at ``path``; ``None`` when there is none."""
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            claims = {
                str(name): Expected(str(value["status"]), tuple(value.get("rules", ())))
                for name, value in data["claims"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise SidecarError(f"{path}: not a scrubber expectations file ({error})") from None
        return cls(path, claims, data.get("as_of"), data.get("profile"))

    def dumps(self) -> str:
        """The JSON text: one line per claim, so that a change diffs as one line."""
        head: dict[str, Any] = {"schema": SCHEMA}
        if self.as_of:
            head["as_of"] = self.as_of
        if self.profile:
            head["profile"] = self.profile
        lines = [f"  {json.dumps(key)}: {json.dumps(value)}," for key, value in head.items()]
        claims = [
            f"    {json.dumps(name, ensure_ascii=False)}: "
            + json.dumps({"status": e.status, "rules": list(e.rules)})
            for name, e in self.claims.items()
        ]
        body = ",\n".join(claims)
        return "{\n" + "\n".join(lines) + '\n  "claims": {\n' + body + "\n  }\n}\n"

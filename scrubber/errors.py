"""Errors the scrubber raises on input it cannot use."""

from __future__ import annotations


class X12InputError(ValueError):
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

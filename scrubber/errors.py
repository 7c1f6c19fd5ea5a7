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

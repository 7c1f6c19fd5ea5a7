"""Exit statuses, defined once for the ``scrubber`` commands and the API.

Like a linter's: 0 nothing to act on, 1 something to act on, 2 the run could
not do its job. A leaf module: it imports nothing of scrubber.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitStatus"]


class ExitStatus(IntEnum):
    """The exit status of a command (an ``int``: ``sys.exit`` takes it as is).

    - ``OK`` (0): nothing to act on: every claim accepted (``scrub``), the
      file conforms (``validate``), no stored decision reversed (``retro``).
    - ``FINDINGS`` (1): something to act on: a claim corrected or rejected,
      the file does not conform, a stored decision is reversed.
    - ``UNUSABLE`` (2): unusable input, configuration, store or command line
      (one line on standard error, no traceback).
    """

    OK = 0
    FINDINGS = 1
    UNUSABLE = 2

    @classmethod
    def of_scrub(cls, corrected: int, rejected: int) -> ExitStatus:
        """A scrub's status from its claim counts: ``FINDINGS`` when any claim
        is corrected or rejected, else ``OK``."""
        return cls.FINDINGS if corrected or rejected else cls.OK

"""A progress line on standard error, for long runs at a terminal only.

:class:`Progress` draws nothing until ``delay`` seconds have passed (short
runs stay quiet) and nothing at all unless the stream is a TTY; it redraws
at most ten times a second and erases itself on :meth:`close`.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self,
        total_inputs: int,
        stream: TextIO | None = None,
        delay: float = 1.0,
        enabled: bool = True,
    ) -> None:
        self.stream = stream or sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = enabled and bool(isatty and isatty())
        self.total_inputs = total_inputs
        self.input_index = 0
        self.input_name = ""
        self._started = time.monotonic()
        self._delay = delay
        self._last_draw = 0.0
        self._drawn = False

    def start_input(self, name: str) -> None:
        self.input_index += 1
        self.input_name = os.path.basename(name)  # the bar must fit in 79 columns
        self.update("read", 0, 0)

    def update(self, stage: str, done: int, total: int) -> None:
        """The callback the API takes (``progress(stage, done, total)``)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._started < self._delay or now - self._last_draw < 0.1:
            return
        self._last_draw = now
        files = f"[{self.input_index}/{self.total_inputs}] " if self.total_inputs > 1 else ""
        if total:
            width = 24
            filled = width * done // total
            count = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} claims"
        else:
            count = f"{done} claims"
        line = f"{files}{self.input_name}: {stage} {count}"
        self.stream.write("\r" + line[:79].ljust(79))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()
            self._drawn = False

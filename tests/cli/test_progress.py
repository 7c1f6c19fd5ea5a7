"""The progress line: drawn only on a terminal, fits 79 columns, erases itself."""

from __future__ import annotations

import io
import itertools
import time

import pytest

from scrubber.cli.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_draws_on_a_terminal_and_erases_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = itertools.count(start=100.0, step=1.0)  # each reading one second later
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    terminal = _Terminal()
    progress = Progress(2, terminal, delay=0)
    progress.start_input("/a/very/long/directory/name/that/would/not/fit/batch-0001.x12")
    progress.update("decide", 500, 1000)
    drawn = terminal.getvalue().split("\r")[-1]
    assert drawn.startswith("[1/2] batch-0001.x12: decide [############............] 500/1000")
    assert len(drawn) == 79
    progress.close()
    assert terminal.getvalue().endswith("\r" + " " * 79 + "\r")


def test_nothing_when_not_a_terminal_or_disabled() -> None:
    pipe = io.StringIO()
    progress = Progress(1, pipe, delay=0)
    progress.start_input("batch.x12")
    progress.update("decide", 1, 2)
    progress.close()
    assert pipe.getvalue() == ""
    terminal = _Terminal()
    quiet = Progress(1, terminal, delay=0, enabled=False)
    quiet.update("decide", 1, 2)
    assert terminal.getvalue() == ""


def test_short_runs_stay_quiet() -> None:
    terminal = _Terminal()
    progress = Progress(1, terminal, delay=60)
    progress.start_input("batch.x12")
    progress.update("decide", 1, 2)
    assert terminal.getvalue() == ""

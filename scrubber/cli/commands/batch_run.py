"""``scrubber scrub --batch INPUT...`` (and the driver side of ``scrubber spark``):
every input decided as ONE batch (context crosses files, see
:mod:`scrubber.pipeline.batch`), outputs still per input.

An unusable input refuses the whole batch: one line on standard error
naming it (``scrubber: INPUT: message``), exit 2, nothing written and
nothing recorded, since every other input's decisions depend on its claims.
Standard input (``-``) is spooled to a temporary file first.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scrubber.api import default_now, make_engine
from scrubber.errors import UsageError
from scrubber.history import HistoryError
from scrubber.outputs.ack277 import AckSettings, default_control_start
from scrubber.outputs.registry import kinds
from scrubber.pipeline.batch import BatchInput, BatchOutputs, scrub_batch
from scrubber.pipeline.files import FilesResult
from scrubber.rules.engine import Engine
from scrubber.rules.policy import Policy
from scrubber.rules.radonc.registry import CourseRegistry
from scrubber.status import ExitStatus

if TYPE_CHECKING:
    from scrubber.history import HistoryStore


@dataclass(frozen=True)
class BatchRun:
    """What ``scrub`` parsed, as a batch run needs it."""

    inputs: Sequence[str]  # paths, "-" for standard input
    stems: Sequence[str]
    out_dir: Path
    profile: str
    as_of: dt.date
    policy: Policy | None
    courses: CourseRegistry | None
    compact_json: bool
    jobs: int
    wanted: Sequence[str] = ()

    def engine(self) -> Engine:
        return make_engine(self.profile, self.as_of, self.policy, self.courses)

    def outputs(self) -> BatchOutputs:
        return BatchOutputs(kinds(self.wanted), self.out_dir, self.compact_json)


@contextlib.contextmanager
def batch_inputs(inputs: Sequence[str], stems: Sequence[str]) -> Iterator[list[BatchInput]]:
    """Each input as a :class:`BatchInput` (standard input spooled to a
    temporary file, removed at the end), with its 277CA settings: the time
    of the run (``SOURCE_DATE_EPOCH`` when set) and the control numbers it
    gives, as ``scrub`` takes them per input."""
    with contextlib.ExitStack() as stack:
        made = []
        for path, stem in zip(inputs, stems, strict=True):
            source = path
            if path == "-":
                from scrubber.cli.commands.scrub import _spool_stdin

                source = stack.enter_context(_spool_stdin()).name
            moment = default_now()
            ack = AckSettings(moment, default_control_start(moment))
            made.append(BatchInput(source, "-" if path == "-" else path, stem, ack))
        yield made


#: Runs the batch (here, or on Spark): the results per input, in input order.
Runner = Callable[[BatchRun, list[BatchInput], "HistoryStore | None"], list[FilesResult]]


def run_local(
    run: BatchRun, inputs: list[BatchInput], store: HistoryStore | None
) -> list[FilesResult]:
    """The batch in this machine's processes."""
    return scrub_batch(inputs, run.engine(), run.outputs(), history=store, jobs=run.jobs)


def run_batch(
    run: BatchRun,
    store: HistoryStore | None,
    args: argparse.Namespace,
    runner: Runner = run_local,
    local_files: bool = True,
) -> int:
    """Scrub ``run`` as one batch; print each input's summary as ``scrub``
    does; the exit status. ``local_files``: the inputs are paths on this
    machine (checked first; ``scrubber spark`` checks its own)."""
    from scrubber.cli.commands.scrub import _print

    for path in run.inputs:
        if local_files and path != "-" and not os.path.isfile(path):
            raise UsageError(f"{path}: not a readable file (--batch reads regular files)")
    try:
        with batch_inputs(run.inputs, run.stems) as inputs:
            results = runner(run, inputs, store)
    except HistoryError as error:
        raise UsageError(f"--history: {error}") from error
    status: int = ExitStatus.OK
    for path, result in zip(run.inputs, results, strict=True):
        status = max(status, result.exit_status)
        _print(result, args, path)
    if getattr(args, "exit_zero", False) and status == ExitStatus.FINDINGS:
        return ExitStatus.OK
    return status

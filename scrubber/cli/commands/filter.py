"""``scrubber filter``: an edit step for a pipeline, 837 in on standard input,
the cleaned 837 out on standard output.

What integration engines call as a command (NiFi ExecuteStreamCommand, Apache
Camel ``exec``, a shell pipeline). Standard output carries exactly the bytes
``scrubber scrub`` writes to ``S.clean.x12`` and nothing else; it is empty
when no claim is accepted. ``--ack FILE`` and ``--report FILE`` write the
277CA and the report JSON, atomically (temporary file + rename).

The scrub is ``scrub``'s own (:func:`scrubber.pipeline.files.scrub_to_files`):
standard input is spooled to a temporary file, the outputs are staged in a
temporary directory, and the cleaned 837 is streamed to standard output once
the scrub is done, so memory stays bounded however large the input.

Exit status: 0 the input was scrubbed, whatever its claims' statuses (the
277CA and the report say which were corrected or rejected); 2 the input or
the command line was unusable, with one line on standard error and nothing
on standard output.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrubber.api import default_now, make_engine
from scrubber.cli.commands.options import (
    UsageError,
    add_decision_options,
    load_policy_and_courses,
)
from scrubber.errors import X12InputError
from scrubber.history import HistoryError, open_store
from scrubber.logs import configure_logging
from scrubber.outputs.ack277 import AckSettings, default_control_start
from scrubber.outputs.atomic import OutputSet
from scrubber.pipeline.files import FilesResult, scrub_to_files
from scrubber.pipeline.spool import ReplayableSource
from scrubber.status import ExitStatus

if TYPE_CHECKING:
    from scrubber.history import HistoryStore

STEM = "stdin"
_COPY_CHUNK = 1 << 20


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "filter",
        help="837 on standard input, the cleaned 837 on standard output (for pipelines)",
        description="Scrub the 837 on standard input; write the cleaned 837 to standard "
        "output (nothing when no claim is accepted). Exit 0 when scrubbed, 2 when unusable.",
    )
    parser.add_argument("--ack", metavar="FILE", help="write the 277CA to FILE (atomically)")
    parser.add_argument(
        "--report", metavar="FILE", help="write the report JSON to FILE (atomically)"
    )
    add_decision_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    configure_logging()
    try:
        targets = _targets(args)
        policy, courses = load_policy_and_courses(args)
        store = open_store(args.history, read_only=args.no_record) if args.history else None
    except HistoryError as error:
        raise UsageError(f"--history: {error}") from None
    engine = make_engine(args.profile, args.as_of, policy, courses)
    moment = default_now()
    settings = AckSettings(moment, default_control_start(moment))
    try:
        with tempfile.TemporaryDirectory(prefix="scrubber-filter-") as staging:
            out_dir = Path(staging)
            try:
                result = _scrub(out_dir, engine, settings, store)
            except X12InputError as error:
                print(f"scrubber: <stdin>: {error}", file=sys.stderr)
                return ExitStatus.UNUSABLE
            except HistoryError as error:
                raise UsageError(f"--history: {error}") from None
            try:
                _place(out_dir, targets)
            except OSError as error:
                raise UsageError(f"cannot write {error.filename}: {error.strerror}") from None
            if result.written and result.written[0].name == f"{STEM}.clean.x12":
                _stream_out(result.written[0])
    finally:
        if store is not None:
            store.close()
    return ExitStatus.OK


def _scrub(
    out_dir: Path, engine: Any, settings: AckSettings, store: HistoryStore | None
) -> FilesResult:
    with ReplayableSource("-", "-") as source:
        return scrub_to_files(source, engine, out_dir, STEM, ack_settings=settings, history=store)


def _targets(args: argparse.Namespace) -> dict[str, Path]:
    """Staged output name -> the file the user named; a folder that does not
    exist is a usage error before anything is read."""
    targets: dict[str, Path] = {}
    for option, suffix in (("ack", "277ca.x12"), ("report", "report.json")):
        name = getattr(args, option)
        if name is None:
            continue
        path = Path(name)
        if not path.parent.is_dir():
            raise UsageError(f"--{option}: folder does not exist: {path.parent}")
        if path.is_dir():
            raise UsageError(f"--{option}: {path} is a folder")
        targets[f"{STEM}.{suffix}"] = path
    return targets


def _place(out_dir: Path, targets: dict[str, Path]) -> None:
    """Copy the staged 277CA and report to the files named, renamed into
    place together."""
    with OutputSet() as outputs:
        for staged, target in targets.items():
            stream = outputs.create(target)
            with (out_dir / staged).open("rb") as source:
                shutil.copyfileobj(source, stream, _COPY_CHUNK)
        outputs.commit()


def _stream_out(path: Path) -> None:
    sys.stdout.flush()
    with path.open("rb") as source:
        shutil.copyfileobj(source, sys.stdout.buffer, _COPY_CHUNK)
    sys.stdout.buffer.flush()

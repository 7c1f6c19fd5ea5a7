"""``scrubber validate INPUT [-o DIR]``: implementation-guide conformance (pyx12).

Validates the input against its implementation guide (837P, 837I, or any
transaction pyx12 has a map for), writes pyx12's 999 acknowledgment to
``DIR/S.999.x12`` (atomically; ``S`` is the input's stem, ``stdin`` for
``-``) and prints a summary of the errors.

Exit status: 0 valid, 1 invalid, 2 unusable input (not X12 at all, or
unreadable) with one line on standard error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scrubber.cli.text import one_line
from scrubber.errors import UsageError, X12InputError
from scrubber.logs import configure_logging, get_logger
from scrubber.outputs.atomic import write_atomic
from scrubber.status import ExitStatus
from scrubber.x12.source import TextSource

SHOWN_ERRORS = 50
ISA_LENGTH = 106


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check implementation-guide conformance with pyx12, write S.999.x12",
    )
    parser.add_argument("input", metavar="INPUT", help="an X12 file, or - for standard input")
    parser.add_argument("-o", "--output-dir", default=".", metavar="DIR",
                        help="directory for S.999.x12 (default: current directory)")  # fmt: skip
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    configure_logging()
    log = get_logger("scrubber.validate")
    name = one_line("<stdin>" if args.input == "-" else args.input)
    args.input_name = name  # names the input in an X12InputError's line
    out_dir = Path(args.output_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create output directory {out_dir}: {error.strerror}") from None
    path = Path(args.input)  # a Path: a str with a line break would be taken for text
    source = TextSource(sys.stdin.buffer if args.input == "-" else path, name)
    text = "".join(source.chunks())
    start = text.lstrip(" \t\r\n")
    if not start.startswith("ISA") or len(start) < ISA_LENGTH:
        found = start[:3] or "end of input"
        raise X12InputError(f"expected an ISA interchange header, found {found!r}", 1)
    from scrubber.x12.conformance import check_conformance  # pyx12: only this command needs it

    try:
        result = check_conformance(start)
    except Exception as exc:  # pyx12 fails on some malformed input
        message = f"pyx12 could not read the input ({type(exc).__name__}: {exc})"
        raise X12InputError(message.replace("\n", " ")) from None
    stem = "stdin" if args.input == "-" else Path(args.input).stem
    ack_path = out_dir / f"{stem}.999.x12"
    if result.ack_999:
        write_atomic(ack_path, result.ack_999.encode(source.encoding.codec))
    log.info("validate.done", valid=result.valid, errors=len(result.errors))
    if result.valid:
        print(f"{name}: valid ({ack_path} written)")
        return ExitStatus.OK
    print(f"{name}: invalid, {len(result.errors)} errors")
    for problem in result.errors[:SHOWN_ERRORS]:
        print(f"  {problem}")
    if len(result.errors) > SHOWN_ERRORS:
        print(f"  ... and {len(result.errors) - SHOWN_ERRORS} more")
    if result.ack_999:
        print(f"  999 written to {ack_path}")
    return ExitStatus.FINDINGS

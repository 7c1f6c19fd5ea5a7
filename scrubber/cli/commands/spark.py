"""``scrubber spark INPUT... -o DIR [--master URL] [options of scrub]``
(extra ``scrubber[spark]``): the inputs scrubbed as ONE batch on Apache
Spark (:mod:`scrubber.spark.job`); the outputs are byte for byte those of
``scrubber scrub --batch`` on the same inputs (the 277CA's run date, time
and control numbers come from the run, as for ``scrub``: with
``SOURCE_DATE_EPOCH`` set they are the same too).

An INPUT is a path, URI or glob on any file system the session's Hadoop
configuration reads (``file:``, ``hdfs://``, ``s3a://``, ...; see
:mod:`scrubber.spark.files`); one that matches nothing is a usage error
(exit 2). ``-o DIR`` must be a folder the driver and every executor see (the
executors write each unit's part of the outputs there, in a work folder the
driver removes). Authentication, network encryption and
shuffle-file encryption are on (:mod:`scrubber.spark.runner`).
Standard output, standard error and the exit status are those of ``scrub``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrubber.cli.commands.options import (
    add_decision_options,
    add_report_options,
    load_policy_and_courses,
)
from scrubber.errors import UsageError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from scrubber.cli.commands.batch_run import BatchRun
    from scrubber.history import HistoryStore
    from scrubber.pipeline.batch import BatchInput
    from scrubber.pipeline.files import FilesResult


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "spark",
        help="scrub 837 files as one batch on Apache Spark (scrubber[spark])",
        description="Scrub 837P/837I files as one batch on Apache Spark; the outputs of "
        "scrub --batch.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="837 files: a path, URI or glob (hdfs://, s3a://, ...)")  # fmt: skip
    parser.add_argument("-o", "--output-dir", required=True, metavar="DIR",
                        help="outputs directory (seen by the driver and executors)")  # fmt: skip
    parser.add_argument("--master", metavar="URL", help="Spark master (default: spark's own)")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                        help="a Spark setting (repeatable)")  # fmt: skip
    add_decision_options(parser)
    add_report_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from scrubber.cli.commands.batch_run import BatchRun, run_batch
    from scrubber.cli.commands.scrub import _stems
    from scrubber.logs import configure_logging

    configure_logging()
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise UsageError("needs pyspark: pip install 'scrubber[spark]'") from None
    out_dir = Path(args.output_dir)
    conf = _conf(args.conf)
    policy, courses = load_policy_and_courses(args)
    session = _session(args.master, conf)
    uris = _find(session, args.inputs)
    names = list(uris)
    out_dir.mkdir(parents=True, exist_ok=True)
    batch = BatchRun(
        names, _stems(names), out_dir, args.profile, args.as_of or dt.date.today(),
        policy, courses, compact_json=args.format == "json" and len(names) > 1, jobs=1,
        wanted=("html",) if args.html else (),
    )  # fmt: skip
    store = _open_store(args.history, read_only=args.no_record)
    try:
        return run_batch(batch, store, args, _runner(session, uris), local_files=False)
    finally:
        if store is not None:
            store.close()


def _session(master: str | None, conf: dict[str, str]) -> SparkSession:
    from scrubber.spark.runner import start_session

    return start_session(master, conf)


def _find(session: SparkSession, patterns: list[str]) -> dict[str, str]:
    """Each input file's Hadoop URI by its name (``-``: standard input)."""
    from scrubber.spark.files import find_inputs

    if patterns.count("-") > 1:
        raise UsageError("standard input (-) given twice")
    found: dict[str, str] = {}
    for pattern in patterns:
        matched = {"-": "-"} if pattern == "-" else {
            file.name: file.uri for file in find_inputs(session, [pattern])
        }  # fmt: skip
        for name, uri in matched.items():
            if uri not in found.values():
                found[name] = uri
    return found


def _runner(session: SparkSession, uris: dict[str, str]) -> Any:
    def on_spark(
        run: BatchRun, inputs: list[BatchInput], store: HistoryStore | None
    ) -> list[FilesResult]:
        from scrubber.spark.job import SparkBatch, run_job

        located = [
            dataclasses.replace(source, path=_uri(uris.get(source.name, "-"), source.path))
            for source in inputs
        ]
        batch = SparkBatch(located, run.engine(), run.outputs())
        return run_job(session.sparkContext, batch, store)

    return on_spark


def _uri(found: str, path: str) -> str:
    """Where an input is read from: the URI found, or (standard input,
    spooled on the driver) the local file ``path``."""
    return found if found != "-" else Path(path).resolve().as_uri()


def _open_store(url: str | None, read_only: bool) -> HistoryStore | None:
    if not url:
        return None
    from scrubber.history import HistoryError, open_store

    try:
        return open_store(url, read_only=read_only)
    except HistoryError as error:
        raise UsageError(f"--history: {error}") from error


def _conf(items: list[str]) -> dict[str, str]:
    conf = {}
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise UsageError(f"--conf {item!r}: expected KEY=VALUE")
        conf[name.strip()] = value
    return conf

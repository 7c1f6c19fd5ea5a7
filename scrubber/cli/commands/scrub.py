"""``scrubber scrub INPUT... -o DIR``: scrub 837 files, write the three outputs.

For each input with stem ``S`` (``stdin`` for ``-``) it writes, atomically,
``S.clean.x12`` (only when a claim is accepted or corrected; a stale one is
removed otherwise), ``S.277ca.x12`` and ``S.report.json`` into ``DIR``.

Standard output: a summary a biller reads at a glance (``--format text``) or
the report JSON (``--format json``: one indented document for one input, one
compact document per line for several). ``--quiet`` prints nothing there.

``-j N`` uses N processes (default: the CPU count): several inputs are
scrubbed N at a time; a single input that is a large file is split into N
shards at interchange boundaries, scrubbed in N processes
(:mod:`scrubber.pipeline.shards`). Either way the outputs, standard output and
standard error are those of a serial run, in input order (progress on a TTY
is shown when inputs run one at a time).
With ``--history``, inputs are scrubbed one after the other in the order
given, so that each sees the batches of the inputs before it (exactly as a
serial run or separate runs in that order would); each large one is still
split into N shards.

``--batch`` decides all inputs as ONE batch (a course may cross files),
outputs still per input (:mod:`scrubber.cli.commands.batch_run`,
:mod:`scrubber.pipeline.batch`); an unusable input then refuses the whole
batch (exit 2, nothing written).

Each input is scrubbed in two streaming passes (see :mod:`scrubber.pipeline.passes`):
memory stays bounded however large the file; standard input is spooled to
a temporary file first. With ``--history`` the store records each claim as
it is decided, in one transaction per input; it holds a small key per claim
of the input until then.

``--no-record`` (with ``--history``): the store supplies context and
records nothing (it is opened read-only).

Exit status: 0 every claim of every input accepted (or, with
``--exit-zero``, whenever every input could be processed); 1 some claim corrected
or rejected; 2 an input was unusable (one line on standard error naming the
file, the segment position and the problem; the other inputs are still
processed) or the command line was.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

from scrubber.api import ProgressFn, default_now, make_engine
from scrubber.cli.commands.options import (
    add_decision_options,
    add_report_options,
    load_policy_and_courses,
)
from scrubber.cli.progress import Progress
from scrubber.cli.text import one_line
from scrubber.errors import UsageError, X12InputError
from scrubber.history import HistoryError, open_store
from scrubber.logs import configure_logging, get_logger
from scrubber.outputs.ack277 import AckSettings, default_control_start
from scrubber.pipeline.files import CHANGING_ACTIONS, FilesResult, PointedFinding, scrub_to_files
from scrubber.pipeline.interrupts import init_worker, run_task, stop_workers
from scrubber.pipeline.spool import ReplayableSource
from scrubber.rules.policy import Policy
from scrubber.rules.radonc.registry import CourseRegistry
from scrubber.status import ExitStatus

if TYPE_CHECKING:
    from scrubber.history import HistoryStore

TOP_RULES = 5


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scrub",
        help="scrub 837 files: cleaned 837, 277CA and report",
        description="Scrub 837P/837I files; write S.clean.x12, S.277ca.x12 and S.report.json.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="837 file, or - for stdin")
    parser.add_argument("-o", "--output-dir", default=".", metavar="DIR",
                        help="directory for the outputs (default: current directory)")  # fmt: skip
    add_decision_options(parser)
    add_report_options(parser)
    parser.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="processes (default: the CPU count): N inputs at a time, or one large "
        "input split in N shards (with --history inputs are scrubbed one after the other)",
    )
    parser.add_argument(
        "--batch",
        action="store_true",
        help="decide all inputs as one batch (a course may cross files); outputs still per input",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    configure_logging()
    log = get_logger("scrubber.scrub")
    out_dir = Path(args.output_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create output directory {args.output_dir}: {error.strerror}"
        ) from None
    stems = _stems(args.inputs)
    store: HistoryStore | None = None
    if args.history:
        try:
            store = open_store(args.history, read_only=args.no_record)  # once for all inputs
        except HistoryError as error:
            raise UsageError(f"--history: {error}") from error
    try:
        policy, courses = load_policy_and_courses(args)
    except UsageError:
        if store is not None:
            store.close()
        raise
    as_of: dt.date = args.as_of or dt.date.today()
    cores = args.jobs or os.cpu_count() or 1
    jobs = min(cores, len(args.inputs))
    if store is not None:
        jobs = 1  # each input sees the history of the inputs before it
    options = _Options(
        args.profile, as_of, policy, courses, out_dir,
        compact_json=args.format == "json" and len(args.inputs) > 1,
        shard_jobs=cores if jobs == 1 else 1,
        wanted=("html",) if args.html else (),
    )  # fmt: skip
    if args.batch:
        return _batch(args, options, cores, stems, store)
    progress = Progress(len(args.inputs), sys.stderr, enabled=not args.quiet and jobs == 1)
    status: int = ExitStatus.OK
    reports = 0
    spooled: list[IO[bytes]] = []
    try:
        tasks = []
        for path, stem in zip(args.inputs, stems, strict=True):
            source = path
            if path == "-" and max(jobs, options.shard_jobs) > 1:
                spool = _spool_stdin()  # workers cannot read our standard input
                spooled.append(spool)
                source = spool.name
            tasks.append(_Task(source, "-" if path == "-" else path, stem))
        results = _results(tasks, options, store, jobs, progress)
        for path, outcome in zip(args.inputs, results, strict=True):
            progress.close()
            if isinstance(outcome, _Unusable):
                print(one_line(f"scrubber: {_display(path)}: {outcome.message}"), file=sys.stderr)
                log.info("input.unusable", input_index=reports + 1, position=outcome.position)
                status = ExitStatus.UNUSABLE
                continue
            if isinstance(outcome, _HistoryFailed):
                raise UsageError(f"--history: {outcome.message}")
            reports += 1
            status = max(status, outcome.exit_status)
            _print(outcome, args, path)
    finally:
        progress.close()
        for spool in spooled:
            spool.close()
        if store is not None:
            store.close()
    if args.exit_zero and status == ExitStatus.FINDINGS:
        return ExitStatus.OK
    return status


def _batch(
    args: argparse.Namespace,
    options: _Options,
    cores: int,
    stems: list[str],
    store: HistoryStore | None,
) -> int:
    """``--batch``: :mod:`scrubber.cli.commands.batch_run`."""
    from scrubber.cli.commands.batch_run import BatchRun, run_batch

    run = BatchRun(
        args.inputs, stems, options.out_dir, options.profile, options.as_of, options.policy,
        options.courses, compact_json=options.compact_json, jobs=cores, wanted=options.wanted,
    )  # fmt: skip
    try:
        return run_batch(run, store, args)
    finally:
        if store is not None:
            store.close()


@dataclass(frozen=True)
class _Options:
    profile: str
    as_of: dt.date
    policy: Policy | None
    courses: CourseRegistry | None
    out_dir: Path
    compact_json: bool
    shard_jobs: int = 1  # processes for one input (scrubber.pipeline.shards)
    wanted: tuple[str, ...] = ()  # optional output kinds, e.g. "html" (outputs.registry)


@dataclass(frozen=True)
class _Task:
    source: str  # a path, or "-" (read in this process)
    name: str  # the input's display name ("-" for standard input)
    stem: str


@dataclass(frozen=True)
class _Unusable:
    message: str
    position: int | None


@dataclass(frozen=True)
class _HistoryFailed:
    message: str


_Outcome = FilesResult | _Unusable | _HistoryFailed


def _results(
    tasks: list[_Task],
    options: _Options,
    store: HistoryStore | None,
    jobs: int,
    progress: Progress,
) -> Iterator[_Outcome]:
    """Each task's outcome, in task order (computed ``jobs`` at a time)."""
    if jobs <= 1:
        for task in tasks:
            progress.start_input(task.name)
            yield _scrub_one(task, options, store, progress.update)
        return
    import multiprocessing  # (here: one input or -j 1 never starts a pool)
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=init_worker) as pool:
        # Submitted in order, consumed in order: a slow early input holds back
        # the printing of later ones, never their scrubbing.
        futures = [pool.submit(run_task, _scrub_one, task, options, None, None) for task in tasks]
        try:
            for future in futures:
                yield future.result()
        except BaseException:  # Ctrl-C or SIGTERM: workers discard their temporary files
            stop_workers(pool)
            raise
        finally:
            for future in futures:
                future.cancel()


def _scrub_one(
    task: _Task,
    options: _Options,
    store: HistoryStore | None,
    progress: ProgressFn | None,
) -> _Outcome:
    engine = make_engine(options.profile, options.as_of, options.policy, options.courses)
    moment = default_now()
    settings = AckSettings(moment, default_control_start(moment))
    try:
        # A path as a Path: a str holding a line break would be taken for 837 text.
        path = task.source if task.source == "-" else Path(task.source)
        with ReplayableSource(path, task.name) as source:
            return scrub_to_files(
                source,
                engine,
                options.out_dir,
                task.stem,
                ack_settings=settings,
                history=store,
                progress=progress,
                compact_json=options.compact_json,
                jobs=options.shard_jobs,
                wanted=options.wanted,
            )
    except X12InputError as error:
        return _Unusable(str(error), error.position)
    except HistoryError as error:
        return _HistoryFailed(str(error))
    except OSError as error:  # an output cannot be written: none was (OutputSet.commit)
        return _Unusable(_write_failure(error), None)


def _write_failure(error: OSError) -> str:
    target = f" {error.filename}" if error.filename else ""
    return f"cannot write the outputs ({error.strerror or error}{target}); none was written"


def _print(result: FilesResult, args: argparse.Namespace, path: str) -> None:
    if args.quiet:
        _discard(result.compact_json)
        return
    if args.format == "text":
        write_summary(result.report_head, _display(path), result.written, sys.stdout,
                      rule_names=result.rule_names,
                      first_findings=result.first_findings)  # fmt: skip
        return
    if result.compact_json is not None:
        _copy_out(Path(result.compact_json))
        _discard(result.compact_json)
    else:
        _copy_out(result.outputs["report"])  # the report file: json.dump(indent=2) + newline


def _copy_out(path: Path) -> None:
    sys.stdout.flush()
    with path.open("rb") as stream:
        shutil.copyfileobj(stream, sys.stdout.buffer)
    sys.stdout.buffer.flush()


def _discard(path: str | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _spool_stdin() -> IO[bytes]:
    spool = tempfile.NamedTemporaryFile(prefix="scrubber-stdin-", suffix=".x12")  # noqa: SIM115
    shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
    spool.flush()
    return spool


def write_summary(
    report: dict[str, Any],
    name: str,
    written: list[Path],
    out: TextIO,
    rule_names: dict[str, str] | None = None,
    first_findings: Sequence[PointedFinding] = (),
) -> None:
    """The human summary of one report (``rule_names``: rule code -> name, by
    default taken from the report's claims), then ``first_findings``, one a
    line, pointing at claim and line like a linter's output."""
    s = report["summary"]
    charges = s["charges"]
    name = one_line(name)
    out.write(
        f"{name}: {s['claims']} claims: {s['accepted']} accepted, "
        f"{s['corrected']} corrected, {s['rejected']} rejected\n"
    )
    out.write(f"  lines: {s['lines_removed']} removed, {s['lines_repaired']} repaired\n")
    out.write(
        f"  charges: input {charges['input']} = clean {charges['clean']}"
        f" + removed lines {charges['removed_lines']}"
        f" + rejected claims {charges['rejected_claims']}\n"
    )
    by_rule = Counter(s["findings_by_rule"])
    if by_rule:
        names = rule_names
        if names is None:
            names = {f["rule"]: f["name"] for c in report["claims"] for f in c["findings"]}
        top = ", ".join(
            f"{rule} x{count} ({names.get(rule, '')})"
            for rule, count in by_rule.most_common(TOP_RULES)
        )
        more = len(by_rule) - TOP_RULES
        out.write(f"  top rules: {top}{f', and {more} more' if more > 0 else ''}\n")
    if s.get("claims_not_evaluated"):
        out.write(f"  not evaluated: {s['claims_not_evaluated']} claims (see the report)\n")
    if report.get("warnings"):
        out.write(f"  input warnings: {len(report['warnings'])} (see the report)\n")
    out.write(f"  wrote: {one_line(', '.join(str(p) for p in written))}\n")
    for finding in first_findings:
        out.write(f"  {one_line(str(finding))}\n")
    changed = sum(s["findings_by_action"].get(a, 0) for a in CHANGING_ACTIONS)
    if first_findings and changed > len(first_findings):
        out.write(f"  ... {changed - len(first_findings)} more in the report\n")


def _stems(inputs: list[str]) -> list[str]:
    """Each input's output stem; :class:`UsageError` when two would collide."""
    stems: list[str] = []
    seen: dict[str, str] = {}
    for path in inputs:
        stem = "stdin" if path == "-" else Path(path).stem
        if stem in seen:
            raise UsageError(
                f"inputs {_display(seen[stem])} and {_display(path)} would both write "
                f"{stem}.*: scrub them into different output directories"
            )
        if path == "-" and "-" in seen.values():
            raise UsageError("standard input (-) given twice")
        seen[stem] = path
        stems.append(stem)
    return stems


def _display(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _jobs(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1 or more)")
    return int(text)

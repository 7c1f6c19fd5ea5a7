"""``scrubber scrub INPUT... -o DIR``: scrub 837 files, write the three outputs.

For each input with stem ``S`` (``stdin`` for ``-``) it writes, atomically,
``S.clean.x12`` (only when a claim is accepted or corrected; a stale one is
removed otherwise), ``S.277ca.x12`` and ``S.report.json`` into ``DIR``.

Standard output: a summary a biller reads at a glance (``--format text``) or
the report JSON (``--format json``: one indented document for one input, one
compact document per line for several). ``--quiet`` prints nothing there.

Exit status: 0 every claim of every input accepted; 1 some claim corrected
or rejected; 2 an input was unusable (one line on standard error naming the
file, the segment position and the problem; the other inputs are still
processed) or the command line was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from scrubber.api import HistoryUnavailableError, ScrubResult, scrub
from scrubber.errors import X12InputError
from scrubber.history import HistoryError, open_store
from scrubber.logs import configure_logging, get_logger
from scrubber.outputs import OutputSet
from scrubber.progress import Progress
from scrubber.rules.policy import Policy, PolicyError, load_policy
from scrubber.rules.registry import CourseRegistry, RegistryError, load_registry

if TYPE_CHECKING:
    from scrubber.history import HistoryStore

EXIT_OK, EXIT_CHANGED, EXIT_UNUSABLE = 0, 1, 2
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
    parser.add_argument("--profile", choices=("clean", "strict"), default="clean")
    parser.add_argument("--policy", metavar="FILE", help="policy file (TOML)")
    parser.add_argument("--history", metavar="URL", help="course history store URL")
    parser.add_argument("--courses", metavar="FILE", help="course registry (CSV)")
    parser.add_argument(
        "--as-of",
        type=_date,
        metavar="YYYY-MM-DD",
        help="date that decides whether a course has ended (default: today)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--quiet", action="store_true", help="print nothing on standard output")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    configure_logging()
    log = get_logger("scrubber.scrub")
    out_dir = Path(args.output_dir)
    if not out_dir.is_dir():
        return _usage(f"output directory {args.output_dir} does not exist")
    stems = _stems(args.inputs)
    if isinstance(stems, str):
        return _usage(stems)
    store: HistoryStore | None = None
    if args.history:
        try:
            store = open_store(args.history)  # once for all inputs
        except HistoryError as error:
            return _usage(f"--history: {error}")
    try:
        policy: Policy | None = load_policy(args.policy) if args.policy else None
        courses: CourseRegistry | None = load_registry(args.courses) if args.courses else None
    except (PolicyError, RegistryError) as error:
        which = args.policy if isinstance(error, PolicyError) else args.courses
        return _usage(f"{which}: {error}")
    except OSError as error:
        return _usage(f"{error.filename}: {error.strerror or error}")
    as_of: dt.date = args.as_of or dt.date.today()
    progress = Progress(len(args.inputs), sys.stderr, enabled=not args.quiet)
    status = EXIT_OK
    reports: list[dict[str, Any]] = []
    for path, stem in zip(args.inputs, stems, strict=True):
        progress.start_input(path)
        try:
            result = scrub(
                sys.stdin.buffer if path == "-" else path,
                args.profile,
                store,
                as_of,
                policy=policy,
                courses=courses,
                name="-" if path == "-" else path,
                progress=progress.update,
            )
        except X12InputError as error:
            progress.close()
            print(f"scrubber: {_display(path)}: {error}", file=sys.stderr)
            log.info("input.unusable", input_index=len(reports) + 1, position=error.position)
            status = EXIT_UNUSABLE
            continue
        except (HistoryUnavailableError, HistoryError) as error:
            progress.close()
            if store is not None:
                store.close()
            return _usage(f"--history: {error}")
        written = _write(result, out_dir, stem)
        progress.close()
        reports.append(result.report)
        status = max(status, result.exit_status)
        if not args.quiet and args.format == "text":
            write_summary(result.report, _display(path), written, sys.stdout)
    progress.close()
    if store is not None:
        store.close()
    if not args.quiet and args.format == "json":
        _print_json(reports, len(args.inputs))
    return status


def _write(result: ScrubResult, out_dir: Path, stem: str) -> list[Path]:
    clean_path = out_dir / f"{stem}.clean.x12"
    ack_path = out_dir / f"{stem}.277ca.x12"
    report_path = out_dir / f"{stem}.report.json"
    written = []
    with OutputSet() as outputs:
        clean = result.clean_bytes()
        if clean is None:
            outputs.remove(clean_path)
        else:
            outputs.stage(clean_path, clean)
            written.append(clean_path)
        outputs.stage(ack_path, result.ack_bytes())
        report = json.dumps(result.report, indent=2, ensure_ascii=False) + "\n"
        outputs.stage(report_path, report.encode("utf-8"))
        outputs.commit()
    return [*written, ack_path, report_path]


def write_summary(report: dict[str, Any], name: str, written: list[Path], out: TextIO) -> None:
    """The human summary of one report."""
    s = report["summary"]
    charges = s["charges"]
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
    out.write(f"  wrote: {', '.join(str(p) for p in written)}\n")


def _print_json(reports: list[dict[str, Any]], inputs: int) -> None:
    if inputs == 1 and reports:
        json.dump(reports[0], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    for report in reports:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")


def _stems(inputs: list[str]) -> list[str] | str:
    stems: list[str] = []
    seen: dict[str, str] = {}
    for path in inputs:
        stem = "stdin" if path == "-" else Path(path).stem
        if stem in seen:
            return (
                f"inputs {_display(seen[stem])} and {_display(path)} would both write "
                f"{stem}.*: scrub them into different output directories"
            )
        if path == "-" and "-" in seen.values():
            return "standard input (-) given twice"
        seen[stem] = path
        stems.append(stem)
    return stems


def _display(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _usage(message: str) -> int:
    print(f"scrubber scrub: {message}", file=sys.stderr)
    return EXIT_UNUSABLE


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None

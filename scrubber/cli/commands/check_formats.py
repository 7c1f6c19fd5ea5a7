"""How ``scrubber check`` prints its findings: ``text`` (one line per
finding, like a linter), ``json``, ``github`` (GitHub Actions workflow
commands, shown as annotations) and ``junit`` (JUnit XML: one test case per
claim, one failure per finding that changes or rejects it)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from typing import TextIO

from scrubber.cli.commands.check_findings import CheckedInput, CheckFinding, changing_count

FORMATS = ("text", "json", "github", "junit")


def write_text(inputs: Sequence[CheckedInput], out: TextIO) -> None:
    """``FILE:CLAIM:LINE: RULE [action] message``, then one summary line."""
    for checked in inputs:
        for f in checked.findings:
            out.write(f"{f.file}:{f.claim}:{f.line}: {f.rule} [{f.action}] {f.message}\n")
    findings = sum(len(checked.findings) for checked in inputs)
    usable = [checked for checked in inputs if checked.error is None]
    claims = sum(checked.claim_count for checked in usable)
    files = f"{len(usable)} file{'' if len(usable) == 1 else 's'}"
    if findings:
        out.write(
            f"Found {findings} finding{'' if findings == 1 else 's'} "
            f"({changing_count(inputs)} change or reject a claim) in {claims} claims, {files}.\n"
        )
    elif usable:
        out.write(f"All checked: no findings in {claims} claims, {files}.\n")


def write_json(inputs: Sequence[CheckedInput], out: TextIO) -> None:
    """A JSON array of findings (file, claim, line, rule, name, action,
    severity, message, fix)."""
    document = [f.as_dict() for checked in inputs for f in checked.findings]
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_github(inputs: Sequence[CheckedInput], out: TextIO) -> None:
    """``::error`` for a finding that changes or rejects a claim, ``::warning``
    for the others, escaped as GitHub's workflow commands require."""
    for checked in inputs:
        for f in checked.findings:
            level = "error" if f.changing else "warning"
            title = f"{f.rule} [{f.action}]"
            text = f"{_where(f)}: {f.message}" + (f" Fix: {f.fix}" if f.fix else "")
            out.write(
                f"::{level} file={_property(f.file)},title={_property(title)}::{_data(text)}\n"
            )


def write_junit(inputs: Sequence[CheckedInput], out: TextIO) -> None:
    """JUnit XML: a test suite per input, a test case per claim, a failure
    per finding that changes or rejects the claim (``failures`` counts the
    claims that have one; warnings go to system-out);
    an unusable input is one test case with an error."""
    root = ET.Element("testsuites", name="scrubber check")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for checked in inputs:
        suite = _suite(checked)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="utf-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")


WRITERS: dict[str, Callable[[Sequence[CheckedInput], TextIO], None]] = {
    "text": write_text,
    "json": write_json,
    "github": write_github,
    "junit": write_junit,
}


def _suite(checked: CheckedInput) -> ET.Element:
    suite = ET.Element("testsuite", name=checked.file)
    if checked.error is not None:
        case = ET.SubElement(suite, "testcase", classname=checked.file, name=checked.file)
        ET.SubElement(case, "error", message=checked.error, type="unusable-input")
        suite.attrib.update(tests="1", failures="0", errors="1")
        return suite
    by_claim: dict[str, list[CheckFinding]] = {}
    for f in checked.findings:
        by_claim.setdefault(f.claim, []).append(f)
    failures = 0
    for claim in checked.claims:
        case = ET.SubElement(suite, "testcase", classname=checked.file, name=claim)
        warnings = []
        failed = False
        for f in by_claim.get(claim, []):
            if not f.changing:
                warnings.append(_line(f))
                continue
            failed = True
            failure = ET.SubElement(case, "failure", message=_line(f), type=f.rule)
            failure.text = _line(f) + (f"\nFix: {f.fix}" if f.fix else "")
        failures += failed
        if warnings:
            ET.SubElement(case, "system-out").text = "\n".join(warnings)
    suite.attrib.update(tests=str(len(checked.claims)), failures=str(failures), errors="0")
    return suite


def _where(f: CheckFinding) -> str:
    return f.claim if f.line == 0 else f"{f.claim} line {f.line}"


def _line(f: CheckFinding) -> str:
    return f"{_where(f)}: {f.rule} [{f.action}] {f.message}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")

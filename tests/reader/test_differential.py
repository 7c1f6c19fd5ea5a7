"""Differential test: our reader and pyx12's X12ContextReader agree.

On every sample and every corpus file pyx12 can read, both yield the same
claims and lines (ids, charges, codes, modifiers, units, line charges, DOS,
line control numbers). Known, deliberate differences:

* pyx12 reads the delimiters of the first ISA only: a file with several
  interchanges is given to pyx12 one interchange at a time.
* GS08/ST03 errata labels 005010X222A2 / 005010X223A3 are rewritten to the
  labels pyx12 has maps for (content is the same implementation guide).
* Where pyx12 cannot read a file at all (unknown version, no map, ISA not
  fixed-width), our reader must refuse it too.
* Where we are stricter than pyx12, the reason is listed in STRICTER.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scrubber.errors import X12InputError
from scrubber.model import Claim
from scrubber.x12.reader import X12Reader
from scrubber.x12.source import TextSource
from scrubber.x12.tokenizer import Tokenizer
from tests.corpus import CORPUS_DIR, corpus_params, require_corpus, sample_files
from tests.reader.pyx12_claims import ClaimFacts, LineFacts, for_pyx12, pyx12_claims

# Files pyx12 reads but our reader refuses, and why we are right to.
STRICTER = {
    # '*IC*DAVID...' has an empty segment id: pyx12 skips the segment and
    # carries on; a claim file with a segment we cannot identify is not safe
    # to scrub (the segment could be anything), so we refuse it at that position.
    "x12-parser__x12_bad_segment_identifier.txt": "bad segment identifier",
}


def ours(claims: list[Claim]) -> list[ClaimFacts]:
    facts = []
    for claim in claims:
        lines = []
        for line in claim.lines:
            dtp = next((s for s in line.segments if s.id == "DTP" and s.get(1) == "472"), None)
            lines.append(
                LineFacts(
                    number=str(line.number),
                    revenue_code=line.revenue_code,
                    qualifier=line.qualifier,
                    procedure=line.procedure,
                    modifiers=line.modifiers,
                    charge=line.charge,
                    units=line.units,
                    dos=dtp.get(3) if dtp else "",
                    line_control=line.line_control,
                )
            )
            # The typed DOS agrees with the text pyx12 returns.
            if line.dos is not None and dtp is not None:
                start, end = line.dos.start, line.dos.end
                expected = (
                    f"{start:%Y%m%d}" if dtp.get(2) == "D8" else f"{start:%Y%m%d}-{end:%Y%m%d}"
                )
                assert dtp.get(3) == expected
        facts.append(
            ClaimFacts(
                claim.patient_control_number,
                claim.total_charge,
                claim.facility_code,
                tuple(lines),
            )
        )
    return facts


def interchanges(text: str) -> list[str]:
    """The text split at each ISA (segment boundaries from our tokenizer,
    whose byte-for-byte fidelity is tested separately)."""
    parts: list[str] = []
    for segment in Tokenizer(iter([text]), []).segments():
        if segment.id == "ISA" or not parts:
            parts.append("")
        parts[-1] += segment.raw
    return parts


def pyx12_all(text: str) -> list[ClaimFacts]:
    # pyx12 wants ISA as the very first characters (no line break before it).
    parts = interchanges(text)
    return [claim for part in parts for claim in pyx12_claims(for_pyx12(part.lstrip()))]


def _params() -> list[object]:
    samples = [pytest.param(p, id=f"sample:{p.name}") for p in sample_files()]
    return samples + corpus_params()


@pytest.mark.parametrize("path", _params())
def test_same_claims_as_pyx12(path: Path | None) -> None:
    if path is None or CORPUS_DIR in path.parents:
        require_corpus()
    assert path is not None
    text = "".join(TextSource(path).chunks())
    try:
        mine: list[ClaimFacts] | X12InputError = ours(list(X12Reader(path).claims()))
    except X12InputError as error:
        mine = error
    try:
        theirs = pyx12_all(text)
    except X12InputError:
        # Our tokenizer cannot split it into interchanges: we refuse it.
        assert isinstance(mine, X12InputError)
        return
    except Exception as exc:  # pyx12 refuses: EngineError, X12Error, ...
        assert isinstance(mine, X12InputError), f"pyx12 cannot read it ({exc}); we read it"
        return
    if isinstance(mine, X12InputError):
        reason = STRICTER.get(path.name)
        if reason is not None:
            assert reason in str(mine)
            return
        # Not an 837 (277, 999): pyx12 reads it, but it has no claim loops.
        assert theirs == [], f"we refuse ({mine}) what pyx12 reads as claims"
        return
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs, strict=True):
        assert a == b
    if path.parent.name == "edi_samples" or CORPUS_DIR in path.parents:
        assert mine or path.name.endswith(".277")


def test_pyx12_sees_only_the_first_interchange_of_a_mixed_file() -> None:
    # Why the differential test splits files: documents the pyx12 behaviour.
    path = next(p for p in sample_files() if "mixed" in p.name)
    text = "".join(TextSource(path).chunks())
    whole = pyx12_claims(text)
    parts = pyx12_all(text)
    assert len(whole) < len(parts) == len(list(X12Reader(path).claims()))

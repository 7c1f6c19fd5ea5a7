"""The committed edi_samples: up to date, pyx12-valid, and what README says."""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
import pyx12.params
import pyx12.x12n_document

from scrubber.model import Claim, ClaimKind
from scrubber.x12.reader import X12Reader
from scrubber.x12.source import TextSource
from tests.corpus import SAMPLES_DIR, sample_files
from tests.reader.test_differential import interchanges

NAMES = [
    "837_mixed_envelopes_bom.x12",
    "837i_hospital_tob131.x12",
    "837p_freestanding_pos11.x12",
    "837p_hospital_pro_pos22.x12",
]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "edi_samples_generate", SAMPLES_DIR / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_samples_are_generated_and_up_to_date() -> None:
    generated = _generator().samples()
    assert sorted(generated) == NAMES == [p.name for p in sample_files()]
    for name, content in generated.items():
        assert (SAMPLES_DIR / name).read_bytes() == content, f"{name} is stale: run generate.py"
    assert sum(len(c) for c in generated.values()) < 300_000


def test_readme_describes_every_sample() -> None:
    readme = (SAMPLES_DIR / "README.md").read_text()
    for path in sample_files():
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{path.name}`"))
        assert f"{path.stat().st_size:,}".replace(",", " ") in row


@pytest.fixture(scope="module")
def pyx12_results() -> dict[str, list[tuple[bool, str]]]:
    """pyx12 validation of each sample, once per interchange (slow: once per module)."""
    results: dict[str, list[tuple[bool, str]]] = {}
    for path in sample_files():
        text = "".join(TextSource(path).chunks())
        results[path.name] = []
        for part in interchanges(text):
            ack = io.StringIO()
            ok = pyx12.x12n_document.x12n_document(
                pyx12.params.params(), io.StringIO(part.lstrip()), ack, None, None
            )
            results[path.name].append((bool(ok), ack.getvalue()))
    return results


@pytest.mark.parametrize("name", NAMES)
def test_sample_validates_cleanly_with_pyx12(
    name: str, pyx12_results: dict[str, list[tuple[bool, str]]]
) -> None:
    reader = X12Reader(SAMPLES_DIR / name)
    list(reader.claims())
    assert reader.warnings == []
    results = pyx12_results[name]
    assert len(results) == len({t.group.interchange.control_number for t in reader.transactions})
    accepted = 0
    for ok, ack in results:
        assert ok, ack
        assert not re.search(r"IK3|IK4|IK5\*[^A]|AK9\*[^A]", ack), ack
        accepted += ack.count("IK5*A")
    assert accepted == len(reader.transactions)


def _claims(name: str) -> list[Claim]:
    return list(X12Reader(SAMPLES_DIR / name).claims())


def _codes(claims: list[Claim]) -> Counter[str]:
    return Counter("-".join((li.procedure, *li.modifiers)) for c in claims for li in c.lines)


def test_freestanding_sample() -> None:
    claims = _claims("837p_freestanding_pos11.x12")
    assert {c.kind for c in claims} == {ClaimKind.PROFESSIONAL}
    assert {c.facility_code for c in claims} == {"11"}
    codes = _codes(claims)
    # A realistic batch: IMRT with professional IGRT only (commercial), Medicare
    # freestanding G codes, a 3D course with authorized IGRT and weekly port films.
    assert codes["G6015"] == codes["G6002"] >= 40
    assert codes["77385"] >= 40 and codes["77387-26"] >= 70
    assert codes["77387-TC"] <= 15  # only the deliberate slips (README) and 3D fractions 1-3
    assert {"77417", "77417-XS", "77427", "77290", "77014-TC", "77301", "77295"} <= set(codes)
    assert len({c.transaction.group.interchange.control_number for c in claims}) == 2
    # 2026 DOS: delivery levels (77412), never a G code.
    dated_2026 = [li for c in claims for li in c.lines if li.dos and li.dos.start.year == 2026]
    assert {li.procedure for li in dated_2026} >= {"77412", "77387"}
    assert not any(li.procedure.startswith("G60") for li in dated_2026)
    assert any(c.attachments for c in claims) and any(c.prior_authorizations for c in claims)


def test_hospital_professional_sample() -> None:
    path = SAMPLES_DIR / "837p_hospital_pro_pos22.x12"
    assert b"\n" not in path.read_bytes()
    claims = _claims(path.name)
    assert {c.facility_code for c in claims} == {"22"}
    delimiters = claims[0].transaction.group.interchange.delimiters
    assert (delimiters.element, delimiters.component, delimiters.repetition) == ("|", ">", "!")
    codes = _codes(claims)
    assert "77385" not in codes and "77417" not in codes  # technical-only codes
    assert not {code for code in codes if code.endswith("-TC")}
    assert codes["77387-26"] + codes["G6002-26"] >= 8 * 20
    assert len({c.transaction.group.control_number for c in claims}) == 2
    assert [c.frequency_code for c in claims].count("7") == 1
    assert any(c.patient is not None for c in claims)


def test_hospital_institutional_sample() -> None:
    path = SAMPLES_DIR / "837i_hospital_tob131.x12"
    assert path.read_bytes().count(b"~\r\n") == path.read_bytes().count(b"~")
    claims = _claims(path.name)
    assert {c.bill_type for c in claims} == {"131"}
    assert {li.revenue_code for c in claims for li in c.lines} == {"0320", "0330", "0333", "0350"}
    assert all(c.statement_period is not None for c in claims)
    assert any(c.statement_period and c.statement_period.start.year == 2026 for c in claims)
    codes = _codes(claims)
    # Technical lines only: 77385 until 2025, delivery levels (77412) from 2026.
    assert codes["77385"] >= 60 and codes["77412"] >= 60
    assert codes["G6002"] == 1  # the one deliberate slip (README)


def test_mixed_sample() -> None:
    path = SAMPLES_DIR / "837_mixed_envelopes_bom.x12"
    reader = X12Reader(path)
    claims = list(reader.claims())
    assert reader.encoding.bom
    assert [c.kind for c in claims].count(ClaimKind.INSTITUTIONAL) >= 1
    delimiters = {c.transaction.group.interchange.delimiters.segment for c in claims}
    assert delimiters == {"\n", "~"}
    assert any(c.patient is not None for c in claims)
    # November 2026 batch: one course still under way (its last DOS within 30 days).
    last = max(li.dos.end for c in claims for li in c.lines if li.dos)
    assert last.year == 2026 and last.month == 11


def test_generator_is_deterministic(tmp_path: Path) -> None:
    generator = _generator()
    assert generator.main(["--out", str(tmp_path)]) == 0
    assert generator.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / NAMES[0]).write_bytes(b"changed")
    assert generator.main(["--check", "--out", str(tmp_path)]) == 1

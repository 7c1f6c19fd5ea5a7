"""Held 277CA text: in memory up to a limit, then in a temporary file, same output."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from typing import Any

import pytest

from scrubber.outputs import text_spool
from scrubber.outputs.ack277 import AckSettings, write_277ca
from scrubber.outputs.text_spool import TextSpool
from scrubber.testing import ClaimSpec, EnvelopeSpec, LineSpec, build_837

from .support import NOW, accepted, assert_conforms, corrected, outcomes, read, rejected


def test_spool_keeps_order_and_count_across_the_file() -> None:
    spool = TextSpool(limit=10)
    pieces = [f"SEG*{i}*Ünïcode\udcff~" for i in range(50)]
    for piece in pieces:
        spool.add(piece)
    inner = TextSpool(limit=10)
    inner.add("LAST~")
    spool.extend(inner)
    assert spool.segments == 51 and inner.segments == 0
    out: list[str] = []
    spool.drain(out.append)
    assert "".join(out) == "".join(pieces) + "LAST~"
    assert len(out) == 1  # read back in chunks of a megabyte
    out.clear()
    spool.drain(out.append)
    assert out == []


def _text() -> str:
    lines = [LineSpec("77385", charge=Decimal("400.00")), LineSpec("77387", ("TC",))]
    specs = [ClaimSpec(f"PCN{i}", lines, member_id=f"M{i}") for i in range(30)]
    specs += [ClaimSpec(f"NPI{i}", lines, billing_npi="1111111112") for i in range(5)]
    return build_837(specs, envelope=EnvelopeSpec(claims_per_transaction=20))


def test_277ca_is_the_same_when_held_claims_spill_to_a_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, claims = read(_text())
    decisions = [[accepted(), corrected(removed=[2]), rejected()][i % 3] for i in range(35)]
    settings = AckSettings(now=NOW)
    in_memory = write_277ca(outcomes(claims, decisions), settings)
    monkeypatch.setattr(text_spool, "LIMIT", 64)
    files: list[object] = []
    real = tempfile.TemporaryFile

    def counted(*args: Any, **kwargs: Any) -> Any:
        files.append(real(*args, **kwargs))
        return files[-1]

    monkeypatch.setattr(tempfile, "TemporaryFile", counted)
    spilled = write_277ca(outcomes(claims, decisions), settings)
    assert spilled == in_memory
    assert len(files) >= 4  # per 2000C loop and per 277 body
    assert in_memory.count("~ST*277*") + in_memory.count("\nST*277*") == 2
    assert_conforms(in_memory)

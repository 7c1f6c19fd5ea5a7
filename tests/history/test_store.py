"""Idempotency, replacement and void, keys and PHI, schema migrations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from scrubber.history import (
    BatchClaim,
    BatchKey,
    HistoryKey,
    HistoryKeyError,
    HistoryStoreError,
    open_store,
)
from scrubber.history import schema as history_schema
from scrubber.history.migrations import LATEST
from scrubber.history.queries import CHUNK
from scrubber.rules import Engine, facts_of
from scrubber.rules.radonc.registry import CourseRegistry, RegisteredCourse
from scrubber.testing import ClaimSpec, LineSpec, PatientSpec
from scrubber.testing.oracles import decide_with_history
from tests.history.builders import COURSE_START, claims_of, course_specs, weekly
from tests.history.conftest import TEST_KEY
from tests.history.test_cross_batch import verdicts

AS_OF = dt.date(2025, 4, 4)


def scrub(url: str, specs: list[ClaimSpec], registry: CourseRegistry | None = None):  # type: ignore[no-untyped-def]
    with open_store(url, TEST_KEY) as store:
        return decide_with_history(Engine(as_of=AS_OF, registry=registry), claims_of(specs), store)


def dump(url: str) -> dict[str, list[tuple[object, ...]]]:
    with open_store(url, TEST_KEY) as store:
        return store.dump()


def test_same_file_twice_changes_nothing_and_decides_the_same(store_url: str) -> None:
    weeks = weekly(course_specs())
    scrub(store_url, weeks[0])  # the plan
    week1, _ = scrub(store_url, weeks[1])
    scrub(store_url, weeks[2])
    before = dump(store_url)
    first, summary_first = scrub(store_url, weeks[3])
    after_first = dump(store_url)
    after_first_counts = _counts(store_url)
    second, summary_second = scrub(store_url, weeks[3])
    assert second == first
    assert summary_first.recorded == len(weeks[3]) and summary_first.batch_id is not None
    assert summary_second.recorded == 0 and summary_second.unchanged == len(weeks[3])
    assert summary_second.batch_id is None
    assert dump(store_url) == after_first != before
    # An earlier week again, now that later weeks are stored: the same settled
    # verdicts (a provisional IG407 may have been resolved by the later
    # fractions: then that claim's stored decision is updated, nothing else).
    again, summary = scrub(store_url, weeks[1])
    assert verdicts(again, settled=True) == verdicts(week1, settled=True)
    assert summary.unchanged + summary.recorded == len(weeks[1])
    assert summary.replaced == summary.recorded  # updated in place, never added
    assert _counts(store_url)["claims"] == after_first_counts["claims"]
    assert any(f.rule == "IG405" for d in again for f in d.findings)


def test_replacement_replaces_what_the_original_contributed(store_url: str) -> None:
    # Original: port films on fractions 1 and 2 (the second is IG405).
    specs = course_specs(fractions=5, port_fractions=(1, 2))
    decisions, _ = scrub(store_url, specs)
    assert 2 in decisions[2].removed_lines  # claim D02, port film line 2
    counts = _counts(store_url)
    # Replacement of D01 (frequency 7, REF*F8) without its port film: the
    # port film on D02 is now the first of its block.
    d01 = specs[1]
    replacement = dataclasses.replace(
        d01,
        frequency_code="7",
        payer_claim_number="ICN0001",
        lines=[LineSpec("77385", dos=d01.lines[0].dos)],
    )
    _, summary = scrub(store_url, [replacement])
    assert summary.replaced == 1 and summary.recorded == 1
    assert _counts(store_url)["claims"] == counts["claims"]
    assert _counts(store_url)["lines"] == counts["lines"] - 1
    redo, _ = scrub(store_url, [specs[2]])
    assert redo[0].removed_lines == frozenset()
    # A second replacement naming the same payer claim number (another CLM01)
    # replaces the first replacement.
    again = dataclasses.replace(replacement, claim_id="PCNNEW01")
    _, summary = scrub(store_url, [again])
    assert summary.replaced == 1
    assert _counts(store_url)["claims"] == counts["claims"]


def _large_batch() -> list[ClaimSpec]:
    """Whole courses of several patients: more claims than one bulk chunk."""
    patients = CHUNK // 25 + 2
    specs = [
        claim
        for number in range(patients)
        for claim in course_specs(f"MBR{number:04d}", prefix=f"P{number}-")
    ]
    assert len(specs) > CHUNK
    return specs


def test_a_batch_larger_than_a_chunk_is_stored_once(store_url: str) -> None:
    """Written chunk by chunk, every claim is stored, the batch row counts
    them, and the same batch again changes nothing."""
    specs = _large_batch()
    _, summary = scrub(store_url, specs)
    assert summary.recorded == len(specs)
    rows = dump(store_url)
    assert len(rows["claims"]) == len(specs)
    [batch] = rows["batches"]
    assert batch[list(history_schema.batches.c.keys()).index("claims")] == len(specs)
    _, again = scrub(store_url, specs)
    assert again.batch_id is None and again.unchanged == len(specs)
    assert dump(store_url) == rows


def test_replacement_and_void_after_a_chunk_was_written(store_url: str) -> None:
    """An original early in a large batch and, after the first chunk was
    written, its replacement (7) and a void (8) of another original (same
    CLM01s): the written originals are deleted again, as if the batch had
    been written at once; the batch row counts what is stored."""
    specs = _large_batch()
    replaced, voided = specs[1], specs[2]
    tail = [
        dataclasses.replace(replaced, frequency_code="7", lines=replaced.lines[:1]),
        dataclasses.replace(voided, frequency_code="8"),
    ]
    _, summary = scrub(store_url, [*specs, *tail])
    assert summary.replaced == 1 and summary.voided == 1
    assert summary.recorded == len(specs) + 1
    rows = dump(store_url)
    assert len(rows["claims"]) == len(specs) - 1
    [batch] = rows["batches"]
    assert batch[list(history_schema.batches.c.keys()).index("claims")] == len(specs) - 1
    claims = history_schema.claims.c
    stored = {row[list(claims.keys()).index("claim_id")]: row for row in rows["claims"]}
    assert voided.claim_id not in stored
    frequency = list(claims.keys()).index("frequency_code")
    assert stored[replaced.claim_id][frequency] == "7"


def test_void_removes_what_the_original_contributed(store_url: str) -> None:
    specs = course_specs(fractions=5, port_fractions=(1, 2))
    scrub(store_url, specs)
    counts = _counts(store_url)
    void = dataclasses.replace(specs[1], frequency_code="8", payer_claim_number="ICN0001")
    _, summary = scrub(store_url, [void])
    assert summary.voided == 1 and summary.recorded == 0
    assert _counts(store_url)["claims"] == counts["claims"] - 1
    redo, _ = scrub(store_url, [specs[2]])
    assert redo[0].removed_lines == frozenset()  # D01's port film is gone
    _, summary = scrub(store_url, [void])  # voiding again: nothing left to void
    assert summary.voided == 0 and summary.batch_id is None


def test_registry_rows_are_remembered(store_url: str) -> None:
    registry = CourseRegistry.of(
        [RegisteredCourse("MBR0001", "1234567893", "C61", COURSE_START, 25)]
    )
    weeks = weekly(course_specs())
    scrub(store_url, weeks[0], registry)
    for week in weeks[1:]:
        decisions, _ = scrub(store_url, week)  # no --courses any more
    # Fraction 24's port film is IG406: the end is known from the stored row.
    d24 = decisions[-2]
    assert any(f.rule == "IG406" for f in d24.findings)


def test_no_clear_member_id_name_dob_or_site_in_the_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    member = "ZQXMEMBER77"
    specs = [
        dataclasses.replace(
            spec, patient=PatientSpec("QUIRKLAST", "QUIRKFIRST", dt.date(2011, 7, 9))
        )
        for spec in course_specs(member, fractions=5, site="C7A8", label="X")
    ]
    registry = CourseRegistry.of([RegisteredCourse(member, "1234567893", "C7A8", COURSE_START, 5)])
    scrub(url, specs, registry)
    with open_store(url, TEST_KEY) as store:
        assert store.counts()["lines"] > 0 and store.counts()["registry"] == 1
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for secret in (member, "QUIRKLAST", "QUIRKFIRST", "20110709", "2011-07-09", "C7A8", "C7A.8"):
        assert secret.encode() not in raw, secret
    # The hashes in the file are keyed: another key gives other digests.
    with sqlite3.connect(tmp_path / "h.db") as conn:
        member_hashes = {row[0] for row in conn.execute("select member_hash from subjects")}
    assert member_hashes == {HistoryKey(TEST_KEY).member(member)}
    assert HistoryKey(b"x" * 40).member(member) not in member_hashes


def test_store_refuses_to_open_without_a_key(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.delenv("SCRUBBER_HISTORY_KEY", raising=False)
    monkeypatch.delenv("SCRUBBER_HISTORY_KEY_FILE", raising=False)
    with pytest.raises(HistoryKeyError, match="SCRUBBER_HISTORY_KEY"):
        open_store(sqlite_url)
    with pytest.raises(HistoryKeyError, match="too short"):
        open_store(sqlite_url, b"short")


def test_key_from_environment_or_file(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    monkeypatch.delenv("SCRUBBER_HISTORY_KEY", raising=False)
    key_file = tmp_path / "key"
    key_file.write_text(TEST_KEY.decode() + "\n")
    monkeypatch.setenv("SCRUBBER_HISTORY_KEY_FILE", str(key_file))
    open_store(sqlite_url).close()
    monkeypatch.setenv("SCRUBBER_HISTORY_KEY", TEST_KEY.decode())
    open_store(sqlite_url).close()


def test_store_refuses_another_key(store_url: str) -> None:
    open_store(store_url, TEST_KEY).close()
    with pytest.raises(HistoryKeyError, match="another key"):
        open_store(store_url, b"another-key-of-sufficient-length-0123456789")


def test_bad_urls_are_refused(tmp_path: Path) -> None:
    for url in (
        "mysql://h/db",
        "sqlite://",
        "sqlite:///:memory:",
        f"sqlite:///{tmp_path}/no/such/dir/h.db",
    ):
        with pytest.raises(HistoryStoreError):
            open_store(url, TEST_KEY)


def test_migrated_schema_matches_the_schema_module(store_url: str) -> None:
    with open_store(store_url, TEST_KEY) as store:
        assert store.schema_version_before == 0
        engine = store._engine
        inspector = sa.inspect(engine)
        for table in history_schema.metadata.sorted_tables:
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
        with engine.begin() as conn:
            versions = [
                row[0]
                for row in conn.execute(sa.select(history_schema.schema_migrations.c.version))
            ]
        assert versions == list(range(1, LATEST + 1))
    with open_store(store_url, TEST_KEY) as store:
        assert store.schema_version_before == LATEST  # nothing applied twice


def test_newer_schema_is_refused(store_url: str) -> None:
    with open_store(store_url, TEST_KEY) as store, store._engine.begin() as conn:
        conn.execute(
            history_schema.schema_migrations.insert().values(
                version=LATEST + 1, name="future", applied_at="x"
            )
        )
    with pytest.raises(HistoryStoreError, match="newer"):
        open_store(store_url, TEST_KEY)


def test_sqlite_store_is_private_and_uses_wal(sqlite_url: str, tmp_path: Path) -> None:
    open_store(sqlite_url, TEST_KEY).close()
    path = tmp_path / "history.db"
    assert path.stat().st_mode & 0o077 == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"


def _counts(url: str) -> dict[str, int]:
    with open_store(url, TEST_KEY) as store:
        return store.counts()


def test_every_line_is_stored_as_its_fact(store_url: str) -> None:
    # Out-of-scope and undated lines too: a claim re-decided from the store
    # (scrubber retro) must see what its batch saw.
    spec = ClaimSpec("E1", [LineSpec("99213"), LineSpec("77385")])
    (claim,) = claims_of([spec])
    scrub(store_url, [spec])
    with open_store(store_url, TEST_KEY) as store:
        snapshot = store.snapshot(store.subject_ids())
    (stored,) = snapshot.claims
    expected = facts_of(claim, 0).lines
    assert [(f.lx, f.code, f.dos, f.units, f.modifiers) for f in stored.facts.lines] == [
        (f.lx, f.code, f.dos, f.units, f.modifiers) for f in expected
    ]


def test_no_clear_member_id_name_dob_or_site_in_any_table(store_url: str) -> None:
    # The same check on both back ends, over every value of every table.
    member = "ZQXMEMBER88"
    specs = [
        dataclasses.replace(
            spec, patient=PatientSpec("QUIRKLAST", "QUIRKFIRST", dt.date(2011, 7, 9))
        )
        for spec in course_specs(member, fractions=5, site="C7A8", label="X")
    ]
    registry = CourseRegistry.of([RegisteredCourse(member, "1234567893", "C7A8", COURSE_START, 5)])
    scrub(store_url, specs, registry)
    text = repr(dump(store_url))
    assert "1234567893" in text and "PCNXD01" in text  # NPI and CLM01 are kept in clear
    for secret in (member, "QUIRK", "2011-07-09", "20110709", "date(2011, 7, 9)", "C7A8", "C7A.8"):
        assert secret not in text, secret


def test_urls_are_normalised_and_passwords_never_shown() -> None:
    from scrubber.history.store import normalize_url, redact

    assert normalize_url("postgres://u:secret@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql://u@h:5433/db").drivername == "postgresql+psycopg"
    assert "secret" not in redact("postgresql://u:secret@h/db")
    with pytest.raises(HistoryStoreError) as info:
        open_store("postgresql://u:secret@127.0.0.1:1/db", TEST_KEY)
    assert "secret" not in str(info.value)


def test_sqlite_writer_waits_then_fails_with_one_line(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scrubber.history import store as store_module

    monkeypatch.setattr(store_module, "SQLITE_BUSY_SECONDS", 1)
    spec = course_specs(fractions=1)
    with open_store(sqlite_url, TEST_KEY) as store:
        other = sqlite3.connect(tmp_path / "history.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process is writing
        try:
            started = dt.datetime.now()
            with pytest.raises(HistoryStoreError, match="locked"):
                decide_with_history(Engine(as_of=AS_OF), claims_of(spec), store)
            assert (dt.datetime.now() - started).total_seconds() >= 0.9  # it waited
        finally:
            other.execute("ROLLBACK")
            other.close()
        decide_with_history(Engine(as_of=AS_OF), claims_of(spec), store)  # free again
        assert store.counts()["claims"] == len(spec)


def test_claims_are_recorded_one_by_one_in_batch_order(sqlite_url: str) -> None:
    """``add`` takes the batch's claims in batch order, as they are decided;
    a claim out of order, one too many, or ``finish`` before every claim is
    refused (nothing is committed); in order they are stored like
    ``record`` stores them."""
    specs = course_specs(fractions=5)
    engine = Engine(as_of=AS_OF)
    claims = claims_of(specs)
    batch = [BatchClaim.of(claim, facts_of(claim, seq)) for seq, claim in enumerate(claims)]
    decisions = engine.decide_batch(claims)
    keys = [BatchKey.of(claim) for claim in batch]
    with open_store(sqlite_url, TEST_KEY) as store:
        with pytest.raises(ValueError, match="not the batch's claim 0"), store.batch(keys) as hist:
            hist.add(batch[1], decisions[1])
        with pytest.raises(ValueError, match="decisions for"), store.batch(keys) as hist:
            hist.add(batch[0], decisions[0])
            hist.finish()
        assert store.counts()["claims"] == 0
        with store.batch(keys) as hist:
            for claim, decision in zip(batch, decisions, strict=True):
                hist.add(claim, decision)
            with pytest.raises(ValueError, match="more claims"):
                hist.add(batch[0], decisions[0])
            summary = hist.finish()
        assert summary.recorded == len(specs)
        assert store.counts()["claims"] == len(specs)

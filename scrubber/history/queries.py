"""The SQL the store, a batch and the writer share: chunked reads, subject
locks, loading stored claims, and registry upserts. One statement builder for
both back ends (SQLite and PostgreSQL dialects where they differ)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from scrubber.history import schema
from scrubber.history.keys import HistoryKey
from scrubber.history.records import StoredClaim
from scrubber.history.rows import ClearKeys, registry_values, stored_claim
from scrubber.rules.radonc.registry import CourseRegistry

CHUNK = 500  # values per IN (...) list and per bulk statement


def select_in(
    conn: sa.Connection, table: sa.Table, column: sa.ColumnElement[Any], values: Iterable[Any]
) -> list[Any]:
    """Rows of ``table`` whose ``column`` is one of ``values``."""
    items = sorted(set(values))
    rows: list[Any] = []
    for start in range(0, len(items), CHUNK):
        rows.extend(conn.execute(sa.select(table).where(column.in_(items[start : start + CHUNK]))))
    return rows


def insert_ignore(conn: sa.Connection, table: sa.Table, unique: list[str]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING (parameters given at execution)."""
    if conn.dialect.name == "postgresql":
        return pg_dialect.insert(table).on_conflict_do_nothing(index_elements=unique)
    return sqlite_dialect.insert(table).on_conflict_do_nothing(index_elements=unique)


def lock_subjects(conn: sa.Connection, subjects: Iterable[dict[str, Any]]) -> list[Any]:
    """Create the ``subjects`` rows that are missing, then lock them all
    (``SELECT ... FOR UPDATE``), both in subject-hash order; returns the
    locked rows. Of two values with one ``subject_hash``, the last counts."""
    by_hash = {values["subject_hash"]: values for values in subjects}
    ordered = [by_hash[subject] for subject in sorted(by_hash)]
    if ordered:
        conn.execute(insert_ignore(conn, schema.subjects, ["subject_hash"]), ordered)
    table = schema.subjects
    rows: list[Any] = []
    for start in range(0, len(ordered), CHUNK):
        chunk = [values["subject_hash"] for values in ordered[start : start + CHUNK]]
        rows.extend(
            conn.execute(
                sa.select(table)
                .where(table.c.subject_hash.in_(chunk))
                .order_by(table.c.subject_hash)
                .with_for_update()
            )
        )
    return rows


def load_claims(conn: sa.Connection, subject_ids: list[int], keys: ClearKeys) -> list[StoredClaim]:
    """The stored claims of ``subject_ids``, in row id order per chunk."""
    result: list[StoredClaim] = []
    for start in range(0, len(subject_ids), CHUNK):
        chunk = subject_ids[start : start + CHUNK]
        claim_rows = _claim_rows(conn, chunk)
        line_rows = _line_rows(conn, chunk)
        for row in claim_rows:
            result.append(stored_claim(row, line_rows.get(row.id, []), keys))
    return result


def _claim_rows(conn: sa.Connection, subject_ids: list[int]) -> list[Any]:
    claims = schema.claims
    return list(
        conn.execute(
            sa.select(claims, schema.subjects.c.entity)
            .join(schema.subjects, schema.subjects.c.id == claims.c.subject_id)
            .where(claims.c.subject_id.in_(subject_ids))
            .order_by(claims.c.id)
        ).all()
    )


def _line_rows(conn: sa.Connection, subject_ids: list[int]) -> dict[int, list[Any]]:
    claims, lines = schema.claims, schema.lines
    by_claim: dict[int, list[Any]] = {}
    for row in conn.execute(
        sa.select(lines)
        .join(claims, claims.c.id == lines.c.claim_row)
        .where(claims.c.subject_id.in_(subject_ids))
        .order_by(lines.c.claim_row, lines.c.lx, lines.c.id)
    ):
        by_claim.setdefault(row.claim_row, []).append(row)
    return by_claim


def upsert_registry(conn: sa.Connection, key: HistoryKey, registry: CourseRegistry) -> int:
    """Insert ``registry``'s courses (hashed), updating planned fractions
    that differ; returns the rows written."""
    rows = sorted(
        (
            registry_values(key, course)
            for courses in registry.by_key.values()
            for course in courses
        ),
        # One global order for the row locks the upserts take: no deadlock.
        key=lambda row: (row["member_hash"], row["entity"], row["site_hash"], row["first_dos"]),
    )
    written = 0
    for values in rows:
        written += max(conn.execute(_upsert_course(conn, values)).rowcount, 0)
    return written


def _upsert_course(conn: sa.Connection, values: dict[str, Any]) -> Any:
    table = schema.registry
    statement: Any
    if conn.dialect.name == "postgresql":
        statement = pg_dialect.insert(table).values(**values)
    else:
        statement = sqlite_dialect.insert(table).values(**values)
    return statement.on_conflict_do_update(
        index_elements=["member_hash", "entity", "site_hash", "first_dos"],
        set_={"planned_fractions": statement.excluded.planned_fractions},
        where=table.c.planned_fractions != statement.excluded.planned_fractions,
    )

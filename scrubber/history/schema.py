"""The history store's tables (SQLAlchemy Core), current schema version.

What is kept, and how (PHI is never stored in clear):

- ``subjects``: one row per patient + entity (billing NPI). The patient is
  kept only as keyed hashes: ``patient_hash`` (payer + member id + 2000C
  name and DOB), ``member_hash`` (member id alone, what the course registry
  names) and ``person_hash`` (2000C name + DOB, ``""`` without a 2000C loop).
  The payer id and NPI identify organisations, not patients: kept in clear.
- ``claims``: the claims that contributed facts, one per subject + CLM01
  (a resubmission or replacement with the same CLM01 replaces the row; a
  void deletes it). CLM01, REF*F8 and REF*6R stay in clear: the billing
  office acts on them (``scrubber retro``) and the rules order claims by CLM01.
- ``lines``: every service line of those claims (fractions, plans,
  simulations, IGRT, port films, CT, MRI, and the other lines too: a claim
  re-decided from the store must see what its batch saw, e.g. for IG002)
  as the rules' ``LineFact`` values, with the decision the batch gave them
  (``outcome`` and the rule findings on the line). The site
  (ICD-10) is kept as a keyed hash: alone it is a diagnosis, together with
  the hashed patient it is PHI, and the rules only ever compare sites.
- ``registry``: course registry rows (``--courses FILE``), hashed likewise.
- ``batches``: one row per batch that changed something (input name, time,
  claims changed). ``claims.digest`` is a hash of what a claim contributed
  (facts and decision): re-recording an identical claim is a no-op, so
  scrubbing the same file twice changes nothing the second time.

Course ends are not stored as derived state: they follow from the registry
rows, the closing 837I spans (``claims.closing_start/closing_end``) and the
as-of date, and are recomputed by the rules each time, so they never go stale.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_VERSION = 1

metadata = sa.MetaData()

store_meta = sa.Table(
    "store_meta",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("applied_at", sa.String(32), nullable=False),
)

batches = sa.Table(
    "batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source", sa.String(255), nullable=False),
    sa.Column("recorded_at", sa.String(32), nullable=False),
    sa.Column("claims", sa.Integer, nullable=False),
)

subjects = sa.Table(
    "subjects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("subject_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("patient_hash", sa.String(64), nullable=False),
    sa.Column("payer_id", sa.String(80), nullable=False),
    sa.Column("member_hash", sa.String(64), nullable=False),
    sa.Column("person_hash", sa.String(64), nullable=False),
    sa.Column("entity", sa.String(80), nullable=False),
)

claims = sa.Table(
    "claims",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "subject_id",
        sa.Integer,
        sa.ForeignKey("subjects.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("claim_id", sa.String(38), nullable=False),
    sa.Column("payer_claim_number", sa.String(50), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("frequency_code", sa.String(2), nullable=False),
    sa.Column("closing_start", sa.Date, nullable=True),
    sa.Column("closing_end", sa.Date, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("batch_seq", sa.Integer, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.UniqueConstraint("subject_id", "claim_id", name="uq_claims_subject_claim"),
    sa.Index("ix_claims_subject_pcn", "subject_id", "payer_claim_number"),
)

lines = sa.Table(
    "lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "claim_row",
        sa.Integer,
        sa.ForeignKey("claims.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("lx", sa.Integer, nullable=False),
    sa.Column("line_control", sa.String(50), nullable=False),
    sa.Column("site_hash", sa.String(64), nullable=False),
    sa.Column("dos", sa.Date, nullable=True),
    sa.Column("code", sa.String(10), nullable=False),
    sa.Column("modifiers", sa.String(20), nullable=False),
    sa.Column("units", sa.String(20), nullable=False),
    sa.Column("component", sa.String(8), nullable=False),
    sa.Column("setting", sa.String(20), nullable=False),
    sa.Column("authorized", sa.Boolean, nullable=False),
    sa.Column("documented", sa.Boolean, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("findings", sa.Text, nullable=False),
)

registry = sa.Table(
    "registry",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("member_hash", sa.String(64), nullable=False, index=True),
    sa.Column("entity", sa.String(80), nullable=False),
    sa.Column("site_hash", sa.String(64), nullable=False),
    sa.Column("first_dos", sa.Date, nullable=False),
    sa.Column("planned_fractions", sa.Integer, nullable=False),
    sa.UniqueConstraint(
        "member_hash", "entity", "site_hash", "first_dos", name="uq_registry_course"
    ),
)

"""The keyed hash that keeps patient identifiers out of the history store.

Member ids, patient names, dates of birth and diagnosis (site) codes are
written to the store only as HMAC-SHA256 digests under a secret key. The key
comes from configuration, never from a default:

- ``SCRUBBER_HISTORY_KEY``: the key itself (at least 32 characters), or
- ``SCRUBBER_HISTORY_KEY_FILE``: a file whose content (stripped) is the key.

Without either, opening a store fails (:class:`HistoryKeyError`). Tests pass
an explicit key to :func:`scrubber.history.open_store` instead.

Every digest is domain-separated (``member``, ``patient``, ``site`` ...), so
equal strings in different roles never share a digest. The store records a
fingerprint of its key (an HMAC of a fixed label, which reveals nothing about
the key) and refuses to open with another key: a wrong key would otherwise
match nothing and silently forget every course.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scrubber.history.errors import HistoryKeyError
from scrubber.rules.facts import PatientKey

ENV_KEY = "SCRUBBER_HISTORY_KEY"
ENV_KEY_FILE = "SCRUBBER_HISTORY_KEY_FILE"
MIN_KEY_BYTES = 32
_SEP = "\x1f"  # unit separator: cannot occur in X12 element values we hash
_FINGERPRINT_LABEL = "scrubber-history/key-fingerprint/1"


@dataclass(frozen=True, slots=True, repr=False)
class HistoryKey:
    """A secret HMAC key. ``repr`` never shows it."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_KEY_BYTES:
            raise HistoryKeyError(
                f"history key too short: {len(self.secret)} bytes, need at least {MIN_KEY_BYTES}"
            )

    def __repr__(self) -> str:
        return "HistoryKey(<secret>)"

    @classmethod
    def from_config(cls, environ: Mapping[str, str] | None = None) -> HistoryKey:
        """The key named by ``SCRUBBER_HISTORY_KEY`` or ``SCRUBBER_HISTORY_KEY_FILE``."""
        env = os.environ if environ is None else environ
        value = env.get(ENV_KEY, "")
        if value:
            return cls(value.encode("utf-8"))
        path = env.get(ENV_KEY_FILE, "")
        if path:
            try:
                text = Path(path).read_text("utf-8").strip()
            except OSError as error:
                raise HistoryKeyError(
                    f"cannot read {ENV_KEY_FILE} {path}: {error.strerror}"
                ) from error
            if not text:
                raise HistoryKeyError(f"{ENV_KEY_FILE} {path} is empty")
            return cls(text.encode("utf-8"))
        raise HistoryKeyError(
            f"the history store keeps patient identifiers only as keyed hashes: set "
            f"{ENV_KEY} (at least {MIN_KEY_BYTES} characters) or {ENV_KEY_FILE}"
        )

    def digest(self, domain: str, *parts: str) -> str:
        """Hex HMAC-SHA256 of ``parts`` in role ``domain``."""
        import hashlib  # (here: a run with no store never loads OpenSSL)
        import hmac

        message = _SEP.join((domain, *parts)).encode("utf-8")
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def fingerprint(self) -> str:
        return self.digest(_FINGERPRINT_LABEL)

    # The digests the store uses -------------------------------------------

    def member(self, member_id: str) -> str:
        """A member id as the course registry and PatientKey normalise it."""
        return self.digest("member", member_id.strip().upper())

    def person(self, patient: PatientKey) -> str:
        """The 2000C patient's name and DOB, or ``""`` without a 2000C loop."""
        if not (patient.last_name or patient.first_name or patient.birth_date):
            return ""
        dob = patient.birth_date.isoformat() if patient.birth_date else ""
        return self.digest("person", patient.last_name, patient.first_name, dob)

    def patient(self, patient: PatientKey) -> str:
        """The whole patient key (payer, member, 2000C name and DOB)."""
        dob = patient.birth_date.isoformat() if patient.birth_date else ""
        return self.digest(
            "patient",
            patient.payer_id,
            patient.member_id,
            patient.last_name,
            patient.first_name,
            dob,
        )

    def subject(self, patient: PatientKey, entity: str) -> str:
        """Patient + entity: the unit the store locks and loads."""
        return self.digest("subject", self.patient(patient), entity)

    def site(self, site: str) -> str:
        """A (normalised) ICD-10 site; ``""`` stays ``""`` (no site known)."""
        return self.digest("site", site) if site else ""

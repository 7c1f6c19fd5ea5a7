"""``Idempotency-Key``: a retried POST gets the first answer, byte for byte.

Answers are kept in SQLite in the spool directory for 24 hours (by caller
and key), at most ``max_entries`` of them (the oldest go first) and only
those up to ``max_body`` bytes. A key sent again with another request (other
body, query, content type or accept) is 409; so is a key whose first request
is still running. Server errors (5xx) are not kept: the retry runs again.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scrubber.service.problems import Problem

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    owner TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
    pending INTEGER NOT NULL, status INTEGER, media_type TEXT, headers TEXT,
    body BLOB, created REAL NOT NULL, PRIMARY KEY (owner, key))
"""


@dataclass(frozen=True)
class Answer:
    """A response as it was sent (what a replay sends again)."""

    status: int
    media_type: str
    headers: dict[str, str]
    body: bytes


def fingerprint(method: str, path: str, query: str, headers: Mapping[str, str], digest: str) -> str:
    """What makes two requests the same: method, path, query, content type,
    accept and the body's SHA-256 (``digest``)."""
    parts = (method, path, query, headers.get("content-type", ""), headers.get("accept", ""))
    return hashlib.sha256("\x1f".join((*parts, digest)).encode()).hexdigest()


def checked_key(value: str) -> str:
    """The key, or 422 when it is not 1-255 visible ASCII characters."""
    if not _KEY.fullmatch(value):
        raise Problem(422, f"{HEADER} must be 1 to 255 visible ASCII characters", "invalid-request")
    return value


class IdempotencyStore:
    """The kept answers (see the module docstring); safe to share between threads."""

    def __init__(self, path: Path, ttl: float, max_entries: int, max_body: int) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.max_body = max_body
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self._db.execute("DELETE FROM answers WHERE pending = 1")  # their requests died with us

    def begin(self, owner: str, key: str, print_: str) -> Answer | None:
        """The kept answer of (``owner``, ``key``), or ``None`` after marking
        the key pending (the caller then runs the request and calls
        :meth:`finish` or :meth:`abandon`); 409 as the module docstring says."""
        now = time.time()
        with self._lock:
            self._db.execute("DELETE FROM answers WHERE created < ?", (now - self.ttl,))
            row = self._db.execute(
                "SELECT fingerprint, pending, status, media_type, headers, body FROM answers "
                "WHERE owner = ? AND key = ?",
                (owner, key),
            ).fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO answers (owner, key, fingerprint, pending, created) "
                    "VALUES (?, ?, ?, 1, ?)",
                    (owner, key, print_, now),
                )
                return None
        if row[0] != print_:
            raise Problem(
                409, f"this {HEADER} was used with another request", "idempotency-key-reused"
            )
        if row[1]:
            raise Problem(
                409, f"a request with this {HEADER} is still running", "idempotency-key-in-use"
            )
        return Answer(int(row[2]), str(row[3]), json.loads(row[4]), bytes(row[5]))

    def finish(self, owner: str, key: str, answer: Answer) -> None:
        """Keep ``answer`` for the key (or forget the key: server error, too large)."""
        if answer.status >= 500 or len(answer.body) > self.max_body:
            self.abandon(owner, key)
            return
        with self._lock:
            self._db.execute(
                "UPDATE answers SET pending = 0, status = ?, media_type = ?, headers = ?, body = ? "
                "WHERE owner = ? AND key = ?",
                (
                    answer.status,
                    answer.media_type,
                    json.dumps(answer.headers),
                    answer.body,
                    owner,
                    key,
                ),
            )
            self._db.execute(
                "DELETE FROM answers WHERE rowid IN (SELECT rowid FROM answers "
                "ORDER BY created DESC LIMIT -1 OFFSET ?)",
                (self.max_entries,),
            )

    def abandon(self, owner: str, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM answers WHERE owner = ? AND key = ?", (owner, key))

    def close(self) -> None:
        self._db.close()

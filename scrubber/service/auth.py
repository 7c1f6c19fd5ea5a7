"""API keys: ``Authorization: Bearer KEY``, stored hashed.

A key file holds one key a line, as ``sha256:HEX NAME [SCOPE,...]`` (the
SHA-256 of the key, a name for the logs, the scopes it grants: ``scrub``,
``batches``, ``rules``; none listed = all); ``#`` starts a comment.
``SCRUBBER_API_KEYS`` may hold the same lines, separated by ``;``.
``scrubber serve --hash-key`` prints the line of a key read from standard
input. Presented keys are hashed and compared in constant time; a key in
clear is never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from scrubber.service.problems import Problem

ENV_KEYS = "SCRUBBER_API_KEYS"
SCOPES = frozenset({"scrub", "batches", "rules"})
_PREFIX = "sha256:"


class KeyFileError(ValueError):
    """A key file line that is not ``sha256:HEX NAME [SCOPES]`` (one line, names the line)."""


@dataclass(frozen=True)
class ApiKey:
    digest: bytes
    name: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class Principal:
    """Who called: the key's name (``anonymous`` when no keys are configured)."""

    name: str
    scopes: frozenset[str]


ANONYMOUS = Principal("anonymous", SCOPES)


def key_line(key: str, name: str) -> str:
    """The key file line of ``key``."""
    return f"{_PREFIX}{hashlib.sha256(key.encode()).hexdigest()} {name}"


def load_keys(path: Path | None, environ: Mapping[str, str] | None = None) -> tuple[ApiKey, ...]:
    """The keys of ``path`` and of ``SCRUBBER_API_KEYS`` (raises KeyFileError)."""
    env = os.environ if environ is None else environ
    lines: list[tuple[str, str]] = []
    if path is not None:
        text = path.read_text(encoding="utf-8")
        lines += [(f"{path}:{number}", line) for number, line in enumerate(text.splitlines(), 1)]
    for number, line in enumerate(env.get(ENV_KEYS, "").split(";"), 1):
        lines.append((f"{ENV_KEYS} entry {number}", line))
    return tuple(key for where, line in lines if (key := _parse(where, line)) is not None)


def _parse(where: str, line: str) -> ApiKey | None:
    fields = line.split("#", 1)[0].split()
    if not fields:
        return None
    digest = fields[0]
    if not digest.startswith(_PREFIX) or len(fields) > 3:
        raise KeyFileError(f"{where}: expected 'sha256:HEX NAME [SCOPES]'")
    try:
        raw = bytes.fromhex(digest[len(_PREFIX) :])
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise KeyFileError(f"{where}: the sha256 digest must be 64 hex digits")
    scopes = frozenset(fields[2].split(",")) if len(fields) == 3 else SCOPES
    if unknown := scopes - SCOPES:
        raise KeyFileError(f"{where}: unknown scope {sorted(unknown)[0]!r}")
    return ApiKey(raw, fields[1] if len(fields) > 1 else "key", scopes)


class Authenticator:
    """Checks ``Authorization: Bearer`` against the configured keys (none: open)."""

    def __init__(self, keys: tuple[ApiKey, ...]) -> None:
        self.keys = keys

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def principal(self, token: str | None, scope: str) -> Principal:
        """The caller presenting ``token``, or :class:`Problem` 401 (no or
        unknown key) / 403 (key without ``scope``)."""
        if not self.keys:
            return ANONYMOUS
        if not token or not token.strip():
            raise _unauthorized("an API key is required (Authorization: Bearer KEY)")
        digest = hashlib.sha256(token.strip().encode()).digest()
        found = None
        for key in self.keys:  # every key compared: the time says nothing of which
            if hmac.compare_digest(digest, key.digest):
                found = key
        if found is None:
            raise _unauthorized("the API key is not valid")
        if scope not in found.scopes:
            raise Problem(403, f"this API key may not use {scope}", "forbidden")
        return Principal(found.name, found.scopes)


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, "unauthorized", {"WWW-Authenticate": 'Bearer realm="scrubber"'})


_bearer = HTTPBearer(auto_error=False, description="an API key (see scrubber serve --api-keys)")


def require(scope: str) -> Callable[..., Principal]:
    """A FastAPI dependency: the caller, allowed ``scope``."""

    def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
    ) -> Principal:
        auth: Authenticator = request.app.state.auth
        principal = auth.principal(credentials.credentials if credentials else None, scope)
        request.state.principal = principal
        return principal

    return dependency

"""Request bodies of ``POST /v1/scrub``: read within a limit, then decoded.

Accepted: the 837 itself as ``application/edi-x12`` (also ``application/x12``,
``application/edi``, ``text/plain``, ``application/octet-stream``, or no
content type); ``application/json`` as ``{"x12": "..."}``; and base64 of the
837 under any of those or any other ``application/*`` type, as Mirth sends by
default (a body that does not start like X12 but decodes as base64 to one
that does: an 837 always starts with ISA, so nothing else is mistaken).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import AsyncIterator

from scrubber.service.problems import Problem

X12_TYPES = frozenset(
    {
        "application/edi-x12",
        "application/x12",
        "application/edi",
        "text/plain",
        "application/octet-stream",
        "",
    }
)
JSON_TYPE = "application/json"
_BASE64 = re.compile(rb"[A-Za-z0-9+/=\s]+")
_X12_START = re.compile(rb"(\xef\xbb\xbf)?\s*ISA")


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


async def read_limited(chunks: AsyncIterator[bytes], limit: int, too_large: str) -> bytes:
    """The whole body, or 413 (``too_large``) as soon as it passes ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise Problem(413, too_large, "too-large")
        parts.append(chunk)
    return b"".join(parts)


def decode(body: bytes, content_type: str | None) -> bytes:
    """The 837 bytes of a request body (see the module docstring); 415 for
    a type not accepted, 422 for a JSON body without ``x12``."""
    kind = media_type(content_type)
    if kind == JSON_TYPE or kind.endswith("+json"):
        return _from_json(body)
    if kind in X12_TYPES or kind.startswith("application/"):
        return _maybe_base64(body)
    raise Problem(
        415,
        'send the 837 as application/edi-x12, text/plain or application/json {"x12": ...}',
        "unsupported-media-type",
    )


def _from_json(body: bytes) -> bytes:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        document = None
    x12 = document.get("x12") if isinstance(document, dict) else None
    if not isinstance(x12, str):
        raise Problem(422, 'a JSON body must be an object {"x12": "<the 837>"}', "invalid-request")
    return x12.encode("utf-8")


def _maybe_base64(body: bytes) -> bytes:
    if _X12_START.match(body) or not _BASE64.fullmatch(body):
        return body
    try:
        decoded = base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        return body
    return (
        decoded if _X12_START.match(decoded) or decoded[:2] in (b"\xff\xfe", b"\xfe\xff") else body
    )


def claim_count(body: bytes) -> int:
    """CLM segments in an 837 (the element separator is the ISA's fourth
    byte); an estimate for the size limit, 0 when the start is not an ISA."""
    start = _X12_START.match(body)
    if start is None or len(body) <= start.end():
        return 0
    separator = body[start.end() : start.end() + 1]
    return len(re.findall(rb"(?:^|[^A-Za-z0-9])CLM" + re.escape(separator), body))

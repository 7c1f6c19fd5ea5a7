"""Headless Chromium for the page tests: found on the PATH (Debian's
``chromium`` package, which ``.ci/run`` installs when missing). Outside CI a
missing browser skips the test with the reason; under CI it fails."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
)  # fmt: skip


def chromium() -> str:
    """The browser's path; skip (or fail under CI) when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    reason = "headless Chromium not found (apt-get install chromium; .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so the browser tests must run", pytrace=False)
    pytest.skip(reason)


def run_browser(page: Path, *args: str) -> str:
    """Run Chromium on ``page`` with ``args``; its standard output."""
    with tempfile.TemporaryDirectory(prefix="scrubber-chromium-") as profile:
        done = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dump_dom(page: Path) -> str:
    """The DOM Chromium built from ``page``, serialised."""
    return run_browser(page, "--dump-dom")


def screenshot(page: Path, png: Path, size: str = "1280,1600") -> None:
    run_browser(page, f"--screenshot={png}", f"--window-size={size}")
    assert png.is_file() and png.stat().st_size > 0


def distinct_pixels(png: Path) -> int:
    """How many distinct RGB(A) pixel values a PNG holds (a blank page: 1)."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width = height = bpp = 0
    idat = bytearray()
    offset = 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    return len(_pixels(zlib.decompress(bytes(idat)), width, height, bpp))


def _pixels(raw: bytes, width: int, height: int, bpp: int) -> set[bytes]:
    stride = width * bpp
    previous = bytearray(stride)
    seen: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, previous, bpp)
        seen.update(bytes(line[i : i + bpp]) for i in range(0, stride, bpp * 7))
        previous = line
    return seen


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = prev[i]
        corner = prev[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + pred) & 0xFF

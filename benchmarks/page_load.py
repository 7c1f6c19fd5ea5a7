"""How long a real browser takes to open worklist pages (``S.report.html``).

    python benchmarks/page_load.py PAGE... [--timeout 600] [--png DIR]

For each page: its size, the claim blocks and table rows it holds (counted
in the bytes, without parsing; the rows are the finding rows plus one header
row per claim), then headless Chromium's wall time for ``--screenshot`` (the
load event, then a 1280x1600 picture of the top) and for ``--dump-dom`` (the
load event, then the whole DOM serialised to standard output, thrown away).
Each run is one fresh browser with its own profile, killed at ``--timeout``
seconds (reported as ``>TIMEOUT``). A URL with a ``#fragment`` is not
offered: headless ``--screenshot`` draws a blank picture for one, even on a
small page.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
)  # fmt: skip
CLAIM = re.compile(rb'<section class="claim ')
ROW = re.compile(rb"<tr>|<tr class=\"finding\"")


def browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("page_load.py: headless Chromium not found (apt-get install chromium)")


def counts(page: Path) -> tuple[int, int]:
    """Claim blocks and table rows (finding rows plus a few header rows)."""
    claims = rows = 0
    tail = b""
    with page.open("rb") as data:
        while chunk := data.read(1 << 22):
            block = tail + chunk  # a match cut by the chunk boundary is whole here
            claims += len(CLAIM.findall(block)) - len(CLAIM.findall(tail))
            rows += len(ROW.findall(block)) - len(ROW.findall(tail))
            tail = block[-32:]
    return claims, rows


def timed(page: Path, args: list[str], timeout: float) -> str:
    """Wall seconds of one browser run on ``page``, or ``>timeout``."""
    with tempfile.TemporaryDirectory(prefix="page-load-") as profile:
        command = [browser(), *FLAGS, f"--user-data-dir={profile}", *args]
        started = time.perf_counter()
        try:
            done = subprocess.run(
                command,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f">{timeout:.0f} s"
        seconds = time.perf_counter() - started
    return f"{seconds:.1f} s" if done.returncode == 0 else f"failed ({done.returncode})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--png", type=Path, help="keep the screenshots in this folder")
    options = parser.parse_args()
    for page in options.pages:
        claims, rows = counts(page)
        uri = page.resolve().as_uri()
        with tempfile.TemporaryDirectory(prefix="page-shot-") as shots:
            png = (options.png or Path(shots)) / f"{page.stem}.png"
            shot = timed(page, [f"--screenshot={png}", "--window-size=1280,1600", uri],
                         options.timeout)  # fmt: skip
        dump = timed(page, ["--dump-dom", uri], options.timeout)
        size = page.stat().st_size / 1e6
        print(f"{page.name}: {size:.1f} MB, {claims} claim blocks, {rows} table rows; "
              f"screenshot {shot}, dump-dom {dump}")  # fmt: skip


if __name__ == "__main__":
    main()

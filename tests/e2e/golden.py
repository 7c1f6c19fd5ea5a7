"""Golden end-to-end cases: each edi_samples/ file -> the three outputs.

Expected files live in tests/e2e/golden/<stem>/ (clean.x12, 277ca.x12,
report.json). Run-dependent values are fixed, not normalised after the
fact: the 277CA date/time come from ``NOW`` and its control numbers start at
``CONTROL_START``; ``as_of`` is ``AS_OF``. Regenerate deliberately with

    python -m tests.e2e.golden          # rewrite the expected files
    python -m tests.e2e.golden --check  # exit 1 when they differ

and review the diff against RULES.md before committing it.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from scrubber import ScrubResult, scrub

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "edi_samples"
GOLDEN = Path(__file__).resolve().parent / "golden"
NOW = dt.datetime(2026, 11, 26, 9, 30)
CONTROL_START = 900000001
AS_OF = dt.date(2026, 11, 26)


def samples() -> list[Path]:
    return sorted(SAMPLES.glob("*.x12"))


def run_case(sample: Path) -> ScrubResult:
    return scrub(sample, as_of=AS_OF, now=NOW, control_start=CONTROL_START, name=sample.name)


def rendered(result: ScrubResult) -> dict[str, bytes]:
    files = {
        "277ca.x12": result.ack_bytes(),
        "report.json": (json.dumps(result.report, indent=2) + "\n").encode(),
    }
    clean = result.clean_bytes()
    if clean is not None:
        files["clean.x12"] = clean
    return files


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = 0
    for sample in samples():
        folder = GOLDEN / sample.stem
        files = rendered(run_case(sample))
        for name, data in files.items():
            path = folder / name
            if check:
                if not path.exists() or path.read_bytes() != data:
                    print(f"stale: {path}")
                    stale += 1
            else:
                folder.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                print(f"wrote {path}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Multi-file batches for the ``scrub --batch`` and Spark tests: real 837
files built with :mod:`scrubber.testing`, and the batch run on them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from scrubber.api import make_engine
from scrubber.outputs.ack277 import AckSettings
from scrubber.outputs.registry import kinds
from scrubber.pipeline.batch import BatchInput, BatchOutputs, scrub_batch
from scrubber.pipeline.files import FilesResult
from scrubber.testing import (
    ClaimSpec,
    EnvelopeSpec,
    GroupSpec,
    LineSpec,
    build_interchange,
    weekdays,
)
from tests.history.builders import course_specs, weekly

if TYPE_CHECKING:
    from scrubber.pipeline.passes import History

NOW = dt.datetime(2026, 1, 5, 9, 30)
#: An as-of date while the split course is still open (its end not known).
SPLIT_AS_OF = dt.date(2025, 3, 7)
BATCH_AS_OF = dt.date(2025, 6, 2)


def write_file(path: Path, specs: Sequence[ClaimSpec], per_interchange: int = 4) -> Path:
    """``specs`` as one file of several interchanges (so it can be cut)."""
    chunks = [specs[i : i + per_interchange] for i in range(0, len(specs), per_interchange)]
    path.write_text(
        "".join(
            build_interchange([GroupSpec(chunk)], EnvelopeSpec(interchange_control=number))
            for number, chunk in enumerate(chunks, start=1)
        )
    )
    return path


def split_course(folder: Path) -> list[Path]:
    """One patient's first five fractions in two files: a port film on
    fraction 1 (file a) and another on fraction 4 (file b), one five-fraction
    block: scrubbed file by file each looks fine; as one batch the second is
    IG405."""
    days = weekdays(dt.date(2025, 3, 3), 5)
    first = ClaimSpec(
        "W1A", [*(LineSpec("77385", dos=d) for d in days[:3]), LineSpec("77417", dos=days[0])]
    )
    second = ClaimSpec(
        "W1B", [*(LineSpec("77385", dos=d) for d in days[3:]), LineSpec("77417", dos=days[3])]
    )
    return [write_file(folder / "week1a.x12", [first]), write_file(folder / "week1b.x12", [second])]


def weekly_batch(folder: Path, patients: int = 6) -> list[Path]:
    """Several patients' 25-fraction courses (port films on fractions 1, 4,
    6 and 24), one file a week: every course crosses five files."""
    specs = [
        claim
        for number in range(patients)
        for claim in course_specs(f"MBR{number:04d}", prefix=f"P{number}-")
    ]
    specs.sort(key=lambda spec: (spec.lines[0].dos, spec.claim_id))
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_file(folder / f"week{index:02d}.x12", week)
        for index, week in enumerate(weekly(specs), start=1)
    ]


def batch_inputs(paths: Sequence[Path]) -> list[BatchInput]:
    """The inputs, each with its own fixed 277CA settings."""
    return [
        BatchInput(str(path), str(path), path.stem, AckSettings(NOW, 1000 * (number + 1)))
        for number, path in enumerate(paths)
    ]


def run_batch(
    paths: Sequence[Path],
    out: Path,
    as_of: dt.date,
    *,
    jobs: int = 1,
    history: History = None,
    min_bytes: int | None = None,
) -> list[FilesResult]:
    out.mkdir(parents=True, exist_ok=True)
    engine = make_engine("clean", as_of, None, None)
    outputs = BatchOutputs(kinds(), out)
    return scrub_batch(
        batch_inputs(paths), engine, outputs, history=history, jobs=jobs, min_shard_bytes=min_bytes
    )


def outputs_of(folder: Path) -> dict[str, bytes]:
    """Every file of ``folder`` by name."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}

"""The program ``spark-submit`` runs: its arguments are those of ``scrubber spark``.

    spark-submit --master yarn --py-files scrubber-*.whl \\
        "$(python -c 'import scrubber.cli.spark_submit as m; print(m.__file__)')" \\
        INPUT... -o DIR [options of scrub]

(it lives in the CLI layer because it runs the CLI; the job itself is
:mod:`scrubber.spark.job`). The session spark-submit made is used as it is,
with its ``--conf`` settings: pass the runner's security settings there too
(see docs/spark.md).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from scrubber.cli.main import main as cli_main

    return cli_main(["spark", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())

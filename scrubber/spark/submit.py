"""The program ``spark-submit`` runs: the arguments of ``scrubber spark``.

    spark-submit --master yarn --py-files scrubber.whl \\
        -m scrubber.spark.submit INPUT... -o DIR [options of scrub]

or ``spark-submit .../scrubber/spark/submit.py INPUT... -o DIR``. The session
spark-submit made is used as it is (its ``--conf`` settings), with the
runner's security settings added where spark-submit left them unset.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from scrubber.cli.main import main as cli_main

    return cli_main(["spark", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())

"""``python -m scrubber``: the console script."""

import sys

from scrubber.cli.main import main

sys.exit(main())

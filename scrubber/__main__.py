"""``python -m scrubber``: the console script."""

from scrubber.cli.main import run

run()

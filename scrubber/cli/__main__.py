"""``python -m scrubber.cli``: the console script."""

from scrubber.cli.main import run

run()

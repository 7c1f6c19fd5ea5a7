"""Entry point layer: the ``scrubber`` console script (:func:`main`), its
subcommands (:mod:`scrubber.cli.commands`) and the progress display."""

from scrubber.cli.main import main, run

__all__ = ["main", "run"]

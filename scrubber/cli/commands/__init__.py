"""Subcommands of the ``scrubber`` console script.

Each module exposes ``add_parser(subparsers)`` (registers the subcommand and
its options) and ``run(args) -> int`` (the exit status).
"""

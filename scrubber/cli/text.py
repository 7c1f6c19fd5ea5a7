"""Text for the terminal: one-line messages that stay one line."""

from __future__ import annotations

import unicodedata

# Control, format (bidi overrides), line and paragraph separator characters.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def one_line(text: str) -> str:
    """``text`` with every control character escaped as Python writes it
    (``\\n``, ``\\x1b``, ``\\u202e``): a file name or value holding a newline
    or a terminal escape cannot split a one-line message or rewrite the
    screen."""
    if text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in _ESCAPED_CATEGORIES
        else ch
        for ch in text
    )

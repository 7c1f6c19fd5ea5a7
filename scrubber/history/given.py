"""The course history a scrub is given, in whichever form, normalised once.

``scrub(..., history=...)``, ``scrub_to_files`` and the pipeline accept
:data:`HistoryInput`: nothing, the facts of earlier claims (context only), a
store URL, or an open :class:`~scrubber.history.store.HistoryStore`.
:meth:`HistorySource.of` turns any of them into one :class:`HistorySource`
at the first edge that sees it; everything below takes that. SQLAlchemy is
only imported when the history is a store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from scrubber.rules.facts import ClaimFacts

if TYPE_CHECKING:
    from scrubber.history.store import HistoryStore

#: What callers may pass as a scrub's history.
HistoryInput = Union[Iterable[ClaimFacts], str, "HistoryStore", "HistorySource", None]


@dataclass(frozen=True, slots=True)
class HistorySource:
    """A scrub's history: ``facts`` of earlier claims (context only, nothing
    recorded), or a store (``url`` to open, or an open ``store``) that
    supplies the batch's stored facts and records the batch."""

    facts: tuple[ClaimFacts, ...] = ()
    url: str | None = None
    store: HistoryStore | None = None

    @classmethod
    def of(cls, given: HistoryInput) -> HistorySource:
        """``given`` normalised (a :class:`HistorySource` is returned as it is)."""
        if isinstance(given, HistorySource):
            return given
        if given is None:
            return NO_HISTORY
        if isinstance(given, str):
            return cls(url=given)
        if _is_store(given):
            return cls(store=given)  # type: ignore[arg-type]
        return cls(facts=tuple(given))  # type: ignore[arg-type]

    @property
    def records(self) -> bool:
        """A store: the batch's claims are kept through pass 1 and recorded."""
        return self.url is not None or self.store is not None

    @contextmanager
    def opened(self) -> Iterator[HistoryStore]:
        """The store: the one given, or the URL's, opened here and closed after."""
        if self.store is not None:
            yield self.store
            return
        if self.url is None:
            raise ValueError("this history is no store")
        from scrubber.history import open_store

        with open_store(self.url) as store:
            yield store


NO_HISTORY = HistorySource()


def _is_store(given: object) -> bool:
    """Whether ``given`` is a :class:`HistoryStore` (without importing the
    store module, and SQLAlchemy, when it was never loaded)."""
    import sys

    module = sys.modules.get("scrubber.history.store")
    return module is not None and isinstance(given, module.HistoryStore)

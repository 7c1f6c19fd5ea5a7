"""HistorySource: a scrub's history in any accepted form, normalised once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scrubber.history import ENV_KEY, open_store
from scrubber.history.given import NO_HISTORY, HistorySource
from scrubber.rules.facts import ClaimFacts, facts_of
from scrubber.testing.samples import ClaimSpec, LineSpec, build_837
from scrubber.x12.reader import read_claims
from tests.history.conftest import TEST_KEY


def some_facts() -> list[ClaimFacts]:
    claims = read_claims(build_837([ClaimSpec("C1", [LineSpec("77412")])]))
    return [facts_of(claim, seq, "earlier") for seq, claim in enumerate(claims)]


def test_nothing_and_facts_record_nothing() -> None:
    assert HistorySource.of(None) is NO_HISTORY
    assert not NO_HISTORY.records and NO_HISTORY.facts == ()
    facts = some_facts()
    once: Iterator[ClaimFacts] = iter(facts)
    given = HistorySource.of(once)
    assert given.facts == tuple(facts) and not given.records
    assert HistorySource.of(given) is given  # normalising again changes nothing
    assert list(once) == []  # an iterator is read once, at the edge


def test_a_url_is_opened_and_a_store_is_used_as_given(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_KEY, TEST_KEY.decode())
    from_url = HistorySource.of(sqlite_url)
    assert from_url.records and from_url.url == sqlite_url
    with from_url.opened() as store:
        assert store.url.startswith("sqlite")
    with open_store(sqlite_url, TEST_KEY) as store:
        given = HistorySource.of(store)
        assert given.records and given.store is store
        with given.opened() as same:
            assert same is store


def test_facts_are_no_store() -> None:
    with pytest.raises(ValueError, match="no store"), HistorySource.of(some_facts()).opened():
        pass

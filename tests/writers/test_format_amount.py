"""``format_amount`` returns an amount of two decimal places as ``str`` gives
it (a shortcut every output takes per claim): the text must be the one the
full rule gives (quantize to cents when exact, else every decimal)."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrubber.x12.segment_text import format_amount

_CENT = Decimal("0.01")


def reference(value: Decimal) -> str:
    """The rule without the shortcut."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    with localcontext() as exact:
        exact.prec = len(digits) + abs(exponent) + 3
        cents = value.quantize(_CENT)
        if cents == value:
            return f"{cents:f}"
        return f"{value.normalize():f}"


amounts = st.builds(
    lambda digits, exponent, negative: Decimal((int(negative), digits, exponent)),
    st.lists(st.integers(0, 9), min_size=1, max_size=25).map(tuple),
    st.integers(-12, 6),
    st.booleans(),
)


@settings(max_examples=2000, deadline=None)
@given(amounts)
def test_the_shortcut_gives_the_full_rules_text(value: Decimal) -> None:
    assert format_amount(value) == reference(value)


@pytest.mark.parametrize(
    "text", ["100.00", "-0.00", "0.00", "1.00E+5", "1E2", "117.005", "1.23E-5", "5E-2", "-3.10"]
)
def test_edge_amounts(text: str) -> None:
    assert format_amount(Decimal(text)) == reference(Decimal(text))


@pytest.mark.parametrize("text", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_not_an_amount(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        format_amount(Decimal(text))

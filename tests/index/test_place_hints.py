"""What the near box probably meant: a city without its state, a misspelt city, or nothing to hint."""

from __future__ import annotations

import pytest

from index.geo import place_for
from index.place_hints import place_hint


def test_a_city_without_a_state_is_the_largest_of_that_name_and_the_others_are_named():
    hint = place_hint("austin")
    assert hint is not None and hint.kind == "state"
    assert hint.near == "Austin, TX"
    assert hint.others and all(o.startswith("Austin, ") and o != "Austin, TX" for o in hint.others)
    place_for(hint.near)  # what is searched instead is a place the search knows


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("Austn, TX", "Austin, TX"), ("Dever, CO", "Denver, CO"), ("Atlanta GA", "Atlanta, GA")],
)
def test_a_misspelt_or_comma_less_city_is_read_in_its_state(typed, meant):
    hint = place_hint(typed)
    assert hint is not None and hint.near == meant and hint.kind == "spelling"


@pytest.mark.parametrize("typed", ["78701", "Austin, TX", "Qqqqqqqq", "Qqqqqqqq, TX", "", None])
def test_zips_known_places_and_nonsense_get_no_hint(typed):
    assert place_hint(typed) is None

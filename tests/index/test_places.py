"""Reverse look-ups on the offline ZIP data: the ZIP nearest a point, and real cities near a point."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.geo import haversine_miles, zip_latlon
from index.places import NEAREST_MAX_MILES, nearby_cities, nearest_zip

AUSTIN_CAPITOL = (30.2747, -97.7404)


def test_a_point_downtown_gets_a_zip_in_that_city():
    found = nearest_zip(*AUSTIN_CAPITOL)
    assert found is not None
    assert (found.city, found.state) == ("Austin", "TX")
    assert found.zip.startswith("787")
    assert found.label == f"Austin, TX {found.zip}"
    assert found.as_dict() == {
        "zip": found.zip,
        "city": "Austin",
        "state": "TX",
        "label": found.label,
    }


@pytest.mark.parametrize(
    ("point", "state"),
    [((40.7128, -74.0060), "NY"), ((61.2181, -149.9003), "AK"), ((21.3069, -157.8583), "HI")],
)
def test_points_in_other_states_find_their_own_state(point, state):
    found = nearest_zip(*point)
    assert found is not None and found.state == state
    assert found.miles < 5


def test_the_nearest_zip_is_no_farther_than_a_known_nearby_zip():
    found = nearest_zip(*AUSTIN_CAPITOL)
    known = zip_latlon("78701")
    assert found is not None and known is not None
    assert found.miles <= haversine_miles(AUSTIN_CAPITOL, known) + 1e-9


@pytest.mark.parametrize("point", [(0.0, 0.0), (35.0, -40.0), (48.8566, 2.3522)])
def test_the_ocean_and_abroad_have_no_nearest_zip(point):
    assert nearest_zip(*point) is None


@pytest.mark.parametrize("point", [(91.0, 0.0), (0.0, -181.0), (math.nan, 0.0), (0.0, math.inf)])
def test_a_point_off_the_globe_is_refused(point):
    with pytest.raises(ValueError):
        nearest_zip(*point)


def test_military_and_po_box_zips_are_never_the_answer():
    # 09000 (APO AE) is recorded at 0, 0 in the ZIP data; it must not capture the Gulf of Guinea.
    assert nearest_zip(0.5, 0.5) is None
    found = nearest_zip(*AUSTIN_CAPITOL)
    assert found is not None and found.zip != "78713"  # a PO-box ZIP at the city centroid


def test_nearby_cities_are_real_places_within_the_distance_nearest_first():
    cities = nearby_cities(*AUSTIN_CAPITOL, miles=60, limit=4, exclude=("Austin", "TX"))
    assert 1 <= len(cities) <= 4
    assert all(city.state == "TX" for city in cities)
    assert "Austin" not in [city.city for city in cities]
    assert "Round Rock" in [city.city for city in cities]
    distances = [city.miles for city in cities]
    assert distances == sorted(distances) and distances[-1] <= 60
    assert cities[0].label == f"{cities[0].city}, TX"


def test_nearby_cities_respect_the_limit_and_the_exclusion_spelling():
    assert len(nearby_cities(29.7604, -95.3698, limit=2)) == 2
    excluded = nearby_cities(29.7604, -95.3698, limit=10, exclude=("HOUSTON", "tx"))
    assert "Houston" not in [city.city for city in excluded]


def test_nowhere_has_no_nearby_cities():
    assert nearby_cities(35.0, -40.0) == []
    assert nearby_cities(95.0, 0.0) == []
    assert nearby_cities(*AUSTIN_CAPITOL, limit=0) == []


@settings(max_examples=60, deadline=None)
@given(
    lat=st.floats(min_value=18.0, max_value=65.0),
    lon=st.floats(min_value=-165.0, max_value=-65.0),
)
def test_any_nearest_zip_is_within_the_search_limit_of_the_point(lat, lon):
    found = nearest_zip(lat, lon)
    if found is not None:
        centroid = zip_latlon(found.zip)
        assert centroid is not None
        assert found.miles == pytest.approx(haversine_miles((lat, lon), centroid), abs=1e-6)
        assert found.miles <= NEAREST_MAX_MILES

"""Places from the offline ZIP database, great-circle distances and the grid."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.geo import GeoGrid, UnknownPlace, city_latlon, haversine_miles, place_for, zip_latlon


def test_a_real_zip_resolves_to_its_city():
    place = place_for("78701")
    assert place.label.startswith("Austin, TX")
    assert 30.0 < place.lat < 30.5 and -98.0 < place.lon < -97.5


def test_nine_digit_zips_use_their_first_five_digits():
    assert zip_latlon("787011234") == zip_latlon("78701")
    assert zip_latlon("78701-1234") == zip_latlon("78701")


def test_city_and_state_are_case_and_spacing_tolerant():
    assert place_for("austin,tx") == place_for("  Austin ,  TX ")
    assert place_for("st. louis, mo").label == place_for("Saint Louis, MO").label


def test_city_centroid_lies_near_the_city():
    lat, lon = city_latlon("Houston", "TX")
    assert haversine_miles((lat, lon), (29.76, -95.37)) < 15


def test_austin_to_houston_is_about_146_miles():
    austin, houston = place_for("Austin, TX"), place_for("Houston, TX")
    assert 140 < haversine_miles((austin.lat, austin.lon), (houston.lat, houston.lon)) < 152


@pytest.mark.parametrize("text", ["00000", "Atlantis, ZZ", "somewhere", "", "1234"])
def test_unknown_places_raise_a_helpful_error(text):
    with pytest.raises(UnknownPlace) as error:
        place_for(text)
    assert "ZIP" in str(error.value)


def test_unknown_zip_and_city_lookups_return_none():
    assert zip_latlon("00000") is None
    assert zip_latlon("abc") is None
    assert city_latlon("Atlantis", "TX") is None


def test_grid_returns_only_points_within_the_radius_nearest_first():
    austin = (30.2713, -97.7426)
    round_rock = (30.5083, -97.6789)  # ~17 mi north
    houston = (29.7604, -95.3698)
    grid = GeoGrid([(0, *houston), (1, *round_rock), (2, *austin)])

    found = grid.candidates_within(*austin, 25)
    assert [docnum for docnum, _ in found] == [2, 1]
    assert found[0][1] == pytest.approx(0.0, abs=0.01)


def test_grid_reports_each_doc_once_at_its_nearest_location():
    grid = GeoGrid([(7, 30.2713, -97.7426), (7, 30.5083, -97.6789)])
    assert grid.candidates_within(30.5083, -97.6789, 50) == [(7, pytest.approx(0.0, abs=0.01))]


coordinates = st.tuples(st.floats(-85, 85), st.floats(-180, 180))


@settings(max_examples=150, deadline=None)
@given(points=st.lists(coordinates, max_size=30), origin=coordinates, miles=st.floats(1, 200))
def test_grid_agrees_with_a_full_scan_anywhere_on_earth(points, origin, miles):
    grid = GeoGrid((docnum, lat, lon) for docnum, (lat, lon) in enumerate(points))
    expected = {
        docnum for docnum, point in enumerate(points) if haversine_miles(origin, point) <= miles
    }
    assert {docnum for docnum, _ in grid.candidates_within(*origin, miles)} == expected


def test_grid_finds_neighbours_across_the_antimeridian():
    grid = GeoGrid([(1, 52.0, 179.95), (2, 52.0, -179.95)])
    assert [docnum for docnum, _ in grid.candidates_within(52.0, 179.95, 10)] == [1, 2]


def real_location_addresses() -> list[dict]:
    import json

    from tests.index.conftest import REALDATA

    path = REALDATA / "npi_api" / "npi_v21_2026_individuals_200.json"
    if not path.exists():
        pytest.skip(f"real NPPES sample not found at {path}")
    results = json.loads(path.read_text(encoding="utf-8"))["results"]
    return [
        address
        for record in results
        for address in record.get("addresses", [])
        if address.get("address_purpose") == "LOCATION" and address.get("country_code") == "US"
    ]


def test_real_nppes_location_zips_geocode_inside_their_state():
    addresses = real_location_addresses()
    placed = [a for a in addresses if zip_latlon(a["postal_code"]) is not None]
    # ZIPs retired since the offline database was made may be missing; nearly all must resolve.
    assert len(placed) >= 0.95 * len(addresses)
    cities = [city_latlon(a["city"], a["state"]) for a in placed]
    near_city = [
        a
        for a, city in zip(placed, cities, strict=True)
        if city is not None and haversine_miles(zip_latlon(a["postal_code"]), city) < 60
    ]
    # A practice ZIP lies near the centroid of its stated city (the 9-digit form included).
    assert len(near_city) >= 0.9 * len(placed)

"""Presentation helpers: only http(s) links, dialable tel: links, readable distances and dates, JSON-LD."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from search_web.present import (
    SearchLink,
    format_date,
    format_distance,
    format_phone,
    has_point,
    nearest_location,
    page_numbers,
    place_city,
    safe_http_url,
    specialty_label,
    tel_href,
    zero_result_options,
)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "javascript://%0Aalert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.test/",
        "/relative/path",
        "http://",
        "http://lakeside.test/\nx",
        'http://lakeside.test/" onmouseover="x',
        "ftp://files.test/",
        "",
        None,
    ],
)
def test_only_absolute_http_and_https_urls_are_safe_to_link(url):
    assert safe_http_url(url) is None


@pytest.mark.parametrize("url", ["http://lakeside.test/", "https://lakeside.test/team?x=1#ana"])
def test_http_and_https_urls_are_kept_as_given(url):
    assert safe_http_url(url) == url


def test_an_e164_number_becomes_a_tel_link_and_a_us_display_number():
    assert tel_href("+15125550101") == "tel:+15125550101"
    assert format_phone("+15125550101") == "(512) 555-0101"


@pytest.mark.parametrize("phone", ["javascript:alert(1)", "5550101", "", None, "+1 (512) abc"])
def test_anything_but_a_full_international_number_gets_no_tel_link(phone):
    assert tel_href(phone) is None


def test_distance_reads_as_miles_with_one_decimal():
    assert format_distance(3.24) == "3.2 miles"
    assert format_distance(0.04) == "under 0.1 miles"
    assert format_distance(None) == ""


def test_dates_read_as_month_day_year_and_bad_dates_are_shown_as_given():
    assert format_date("2026-11-25T15:04:08Z") == "Nov 25, 2026"
    assert format_date("2026-03-02") == "Mar 2, 2026"
    assert format_date("last spring") == "last spring"


def test_every_specialty_slug_reads_in_words():
    assert specialty_label("mohs-surgery") == "Mohs surgery"
    assert specialty_label("facial-plastic-surgery") == "Facial plastic surgery"


def test_the_nearest_location_to_the_searched_place_is_chosen():
    houston = {"city": "Houston", "lat": 29.76, "lon": -95.36}
    austin = {"city": "Austin", "lat": 30.27, "lon": -97.74}
    place = {"label": "Austin, TX", "lat": 30.26, "lon": -97.75}
    assert nearest_location([houston, austin], place) is austin
    assert nearest_location([houston, austin], None) is houston
    assert nearest_location([], place) is None


def test_search_links_carry_every_filter_and_change_only_what_is_asked():
    link = SearchLink(
        near="78701",
        radius=25.0,
        specialty="dermatology",
        procedure="microneedling",
        q="scar",
        page=2,
    )
    changed = parse_qs(urlsplit(link.href(page=3)).query)
    assert changed == {
        "near": ["78701"],
        "radius": ["25"],
        "specialty": ["dermatology"],
        "procedure": ["microneedling"],
        "q": ["scar"],
        "page": ["3"],
    }
    everyone = parse_qs(urlsplit(link.href(procedure=None)).query)
    assert everyone["procedure"] == ["any"]


def test_zero_results_offer_a_wider_radius_everyone_every_specialty_and_no_keyword():
    link = SearchLink(
        near="78701", radius=25.0, specialty="dermatology", procedure="microneedling", q="zz"
    )
    options = zero_result_options(link)
    hrefs = [parse_qs(urlsplit(href).query) for _, href in options]
    assert hrefs[0]["radius"] == ["50"]
    assert any(h["procedure"] == ["any"] for h in hrefs)
    assert any("specialty" not in h for h in hrefs)
    assert any("q" not in h for h in hrefs)


def test_zero_results_at_the_largest_radius_offer_no_wider_search():
    options = zero_result_options(SearchLink(near="78701", radius=200.0, procedure=None))
    assert options == []


def test_page_numbers_show_the_ends_and_a_window_with_gaps():
    assert page_numbers(total=240, page=6, per_page=20) == [1, None, 4, 5, 6, 7, 8, None, 12]
    assert page_numbers(total=0, page=1, per_page=20) == [1]


def test_a_location_goes_on_the_map_only_with_plausible_coordinates():
    assert has_point({"lat": 30.27, "lon": -97.74})
    assert has_point({"lat": 0, "lon": 0})
    for location in (
        None,
        {},
        {"lat": None, "lon": -97.74},
        {"lat": "30.27", "lon": "-97.74"},
        {"lat": 91.0, "lon": 0.0},
        {"lat": float("nan"), "lon": 0.0},
        {"lat": True, "lon": 0.0},
    ):
        assert not has_point(location), location


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Austin, TX 78701", ("Austin", "TX")),
        ("Austin, TX", ("Austin", "TX")),
        ("Winston-Salem, nc", ("Winston-Salem", "NC")),
        ("St. Louis, MO 63101", ("St. Louis", "MO")),
        ("78701", None),
        ("", None),
    ],
)
def test_the_city_of_a_place_label(label, expected):
    assert place_city(label) == expected

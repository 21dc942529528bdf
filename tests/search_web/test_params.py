"""Query-string parsing: every bad parameter becomes a SearchError with a message a patient can act on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.search import SearchError
from search_web.params import (
    PER_PAGE_MAX,
    Q_MAX_CHARS,
    api_request,
    page_form,
    page_request,
    parse_coordinate,
    parse_modified_after,
)


def test_api_defaults_are_25_miles_page_1_and_20_per_page_with_no_procedure_filter():
    req = api_request({"near": "78701"})
    assert (req.near, req.radius, req.page, req.per_page) == ("78701", 25.0, 1, 20)
    assert req.procedure is None and req.specialty is None and req.q is None


def test_api_passes_every_valid_parameter_through():
    req = api_request(
        {
            "near": " Austin,  TX ",
            "radius": "12.5",
            "specialty": "mohs-surgery",
            "procedure": "microneedling",
            "q": "skinpen",
            "page": "3",
            "per_page": "100",
        }
    )
    assert req.near == "Austin, TX"
    assert req.radius == 12.5
    assert req.specialty == "mohs-surgery"
    assert req.procedure == "microneedling"
    assert req.q == "skinpen"
    assert (req.page, req.per_page) == (3, 100)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"radius": "ten"}, "radius must be a number of miles between 1 and 200"),
        ({"radius": "0"}, "radius must be"),
        ({"radius": "201"}, "radius must be"),
        ({"radius": "nan"}, "radius must be"),
        ({"radius": "inf"}, "radius must be"),
        ({"page": "0"}, "page must be a whole number"),
        ({"page": "two"}, "page must be a whole number"),
        ({"page": "1.5"}, "page must be a whole number"),
        ({"page": "-1"}, "page must be a whole number"),
        ({"page": "９"}, "page must be a whole number"),
        ({"page": "100000"}, "page must be a whole number"),
        ({"per_page": "0"}, "per_page must be a whole number between 1 and 100"),
        ({"per_page": str(PER_PAGE_MAX + 1)}, "per_page must be"),
        ({"per_page": "lots"}, "per_page must be"),
        ({"specialty": "podiatry"}, "unknown specialty 'podiatry'"),
        ({"procedure": "botox"}, "unknown procedure 'botox'"),
        ({"q": "x" * (Q_MAX_CHARS + 1)}, f"q must be at most {Q_MAX_CHARS} characters"),
        ({"near": "7" * 101}, "near must be at most 100 characters"),
    ],
)
def test_each_bad_parameter_is_a_search_error_that_names_it(params, fragment):
    with pytest.raises(SearchError, match=fragment[:20].replace("(", r"\(")) as caught:
        api_request(params)
    assert fragment in str(caught.value)


def test_nul_and_control_characters_are_removed_from_free_text():
    req = api_request({"q": "skin\x00pen\r\nscars", "near": "787\x0001"})
    assert req.q == "skin pen scars"
    assert "\x00" not in (req.near or "")


def test_blank_parameters_mean_absent():
    req = api_request({"near": " ", "specialty": "", "procedure": "", "q": "\x00", "radius": ""})
    assert (req.near, req.specialty, req.procedure, req.q, req.radius) == (
        None,
        None,
        None,
        None,
        25.0,
    )


def test_the_page_filters_to_microneedling_on_a_first_visit():
    assert page_request({"near": "78701"}).procedure == "microneedling"
    assert page_form({}).microneedling_only is True


def test_an_unticked_box_on_a_submitted_form_shows_everyone():
    params = {"near": "78701", "form": "1"}
    assert page_request(params).procedure is None
    assert page_form(params).microneedling_only is False


def test_procedure_any_in_a_link_shows_everyone():
    assert page_request({"near": "78701", "procedure": "any"}).procedure is None
    assert page_form({"procedure": "any"}).microneedling_only is False


def test_the_page_rejects_an_unknown_procedure_like_the_api():
    with pytest.raises(SearchError, match="unknown procedure"):
        page_request({"near": "78701", "procedure": "laser"})


def test_an_empty_form_is_blank_so_the_page_does_not_search():
    assert page_form({"form": "1", "radius": "10"}).is_blank
    assert not page_form({"q": "ruiz"}).is_blank


@given(
    st.dictionaries(
        st.sampled_from(["near", "radius", "specialty", "procedure", "q", "page", "per_page"]),
        st.text(max_size=300),
    )
)
def test_any_query_string_either_parses_or_raises_search_error(params):
    try:
        req = api_request(params)
    except SearchError as error:
        assert str(error)
    else:
        assert 1 <= req.radius <= 200 and req.page >= 1 and 1 <= req.per_page <= 100
        assert req.q is None or ("\x00" not in req.q and len(req.q) <= Q_MAX_CHARS)


# --- modified_after and coordinates (second pass) -------------------------------------------------


def test_modified_after_takes_dates_and_date_times_and_answers_in_utc():
    from datetime import UTC, datetime

    assert parse_modified_after("2026-11-25") == datetime(2026, 11, 25, tzinfo=UTC)
    assert parse_modified_after("2026-11-25T15:04:08Z") == datetime(
        2026, 11, 25, 15, 4, 8, tzinfo=UTC
    )
    assert parse_modified_after("2026-11-25T17:04:08+02:00") == datetime(
        2026, 11, 25, 15, 4, 8, tzinfo=UTC
    )
    assert parse_modified_after(None) is None and parse_modified_after("  ") is None


@pytest.mark.parametrize(
    "raw", ["yesterday", "2026-13-01", "2026-W48", "20261125", "2026-11-25T99:00", "1e9", "-1"]
)
def test_a_malformed_modified_after_is_a_search_error(raw):
    with pytest.raises(SearchError, match="modified_after"):
        parse_modified_after(raw)


@given(st.text(max_size=60))
def test_modified_after_never_raises_anything_but_a_search_error(raw):
    try:
        parsed = parse_modified_after(raw)
    except SearchError:
        return
    assert parsed is None or parsed.tzinfo is not None


@pytest.mark.parametrize(
    ("raw", "limit", "expected"),
    [("30.27", 90, 30.27), (" -97.74 ", 180, -97.74), ("90", 90, 90.0), ("-180", 180, -180.0)],
)
def test_a_coordinate_in_range_is_parsed(raw, limit, expected):
    assert parse_coordinate(raw, "lat" if limit == 90 else "lon", limit) == expected


@pytest.mark.parametrize("raw", [None, "", "north", "90.0001", "-181", "nan", "inf", "1" * 40])
def test_a_bad_coordinate_names_itself_in_the_error(raw):
    limit = 180 if raw == "-181" else 90
    name = "lon" if limit == 180 else "lat"
    with pytest.raises(SearchError, match=f"^{name} must be"):
        parse_coordinate(raw, name, limit)

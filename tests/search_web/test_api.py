"""The JSON API over a real index built from fictional observations: shapes, filters, every 400, 404s."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.search_web.sample import ANA_NPI, ANA_QUOTE

RESULT_KEYS = {
    "id",
    "url",
    "name",
    "credentials",
    "specialties",
    "npi",
    "npi_status",
    "offers_microneedling",
    "microneedling_mention",
    "microneedling_evidence",
    "distance_miles",
    "locations",
    "sources",
    "website",
    "last_seen",
    "last_verified",
    "stale",
    "provenance",
}


def test_search_near_a_zip_returns_people_within_25_miles_nearest_first(client):
    response = client.get("/api/search", params={"near": "78701"})
    assert response.status_code == 200
    body = response.json()
    assert {"total", "page", "per_page", "results"} <= set(body)
    names = [result["name"] for result in body["results"]]
    assert names == ["Ana Ruiz", "Ben Okafor", "Cara Lin"]
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 20
    distances = [result["distance_miles"] for result in body["results"]]
    assert distances == sorted(distances) and distances[-1] < 25
    assert set(body["results"][0]) == RESULT_KEYS
    assert body["place"]["label"].startswith("Austin, TX")


def test_a_result_carries_the_quote_its_source_and_the_npi_status(client):
    ana = client.get("/api/search", params={"near": "78701"}).json()["results"][0]
    assert ana["microneedling_evidence"]["quote"] == ANA_QUOTE
    assert ana["microneedling_evidence"]["url"].startswith("http://lakeside-derm.test/")
    assert ana["npi"] == ANA_NPI and ana["npi_status"]["active"] is True
    assert ana["url"] == f"/practitioners/{ana['id']}"


def test_the_microneedling_filter_keeps_only_positive_quotes(client):
    body = client.get("/api/search", params={"near": "78701", "procedure": "microneedling"}).json()
    assert [result["name"] for result in body["results"]] == ["Ana Ruiz"]
    assert all(result["offers_microneedling"] is True for result in body["results"])


def test_a_wider_radius_reaches_houston(client):
    body = client.get("/api/search", params={"near": "Austin, TX", "radius": "200"}).json()
    assert "Dana Wells" in [result["name"] for result in body["results"]]


def test_the_specialty_filter_and_its_facet_counts(client):
    body = client.get("/api/search", params={"near": "78701", "specialty": "dermatology"}).json()
    assert {result["name"] for result in body["results"]} == {"Ana Ruiz", "Cara Lin"}
    assert body["facets"]["specialty"] == {"dermatology": 2, "plastic-surgery": 1}


def test_paging_splits_the_results_without_overlap(client):
    first = client.get("/api/search", params={"near": "78701", "per_page": "2"}).json()
    second = client.get(
        "/api/search", params={"near": "78701", "per_page": "2", "page": "2"}
    ).json()
    assert first["total"] == second["total"] == 3
    assert len(first["results"]) == 2 and len(second["results"]) == 1
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_free_text_finds_a_practitioner_by_name_without_a_place(client):
    body = client.get("/api/search", params={"q": "Okafor"}).json()
    assert [result["name"] for result in body["results"]] == ["Ben Okafor"]
    assert body["results"][0]["distance_miles"] is None


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"near": "Atlantis, ZZ"}, "Atlantis"),
        ({"near": "00000"}, "00000"),
        ({"near": "78701", "radius": "wide"}, "radius"),
        ({"near": "78701", "radius": "500"}, "radius"),
        ({"near": "78701", "radius": "-5"}, "radius"),
        ({"near": "78701", "page": "0"}, "page"),
        ({"near": "78701", "page": "first"}, "page"),
        ({"near": "78701", "per_page": "101"}, "per_page"),
        ({"near": "78701", "per_page": "many"}, "per_page"),
        ({"near": "78701", "q": "a" * 201}, "q must be at most"),
        ({"near": "78701", "specialty": "cardiology"}, "cardiology"),
        ({"near": "78701", "procedure": "tattoo-removal"}, "tattoo-removal"),
    ],
)
def test_every_bad_request_is_a_400_with_an_error_message(client, params, fragment):
    response = client.get("/api/search", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert fragment in response.json()["error"]


def test_one_practitioner_by_id(client, listing_ids):
    listing_id = listing_ids["Ana Ruiz"]
    response = client.get(f"/api/practitioners/{listing_id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == RESULT_KEYS
    assert body["id"] == listing_id and body["name"] == "Ana Ruiz"
    assert body["distance_miles"] is None


@pytest.mark.parametrize("listing_id", ["p-0000000000", "nobody", "p-%3Cscript%3E", "x" * 300])
def test_an_unknown_practitioner_is_a_json_404(client, listing_id):
    response = client.get(f"/api/practitioners/{listing_id}")
    assert response.status_code == 404
    assert "error" in response.json()


def test_an_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "There is no page at this address."}


@pytest.mark.parametrize(
    "q",
    [
        "*:* OR name:[a TO z]",
        'name:"unterminated',
        "((((((",
        "a" * 200,
        "皮肤 微针 ✨ dermatólogo",
        "nul\x00byte",
        "%00%ff",
        "\\",
        "NOT",
        "a AND OR NOT b~2^3",
    ],
)
def test_hostile_query_text_is_answered_never_a_server_error(client, q):
    for near in (None, "78701"):
        params = {"q": q} if near is None else {"q": q, "near": near}
        response = client.get("/api/search", params=params)
        assert response.status_code in (200, 400), (q, response.text)
        assert response.headers["content-type"].startswith("application/json")


def test_a_very_long_or_nul_laden_raw_query_string_is_answered(client):
    assert client.get("/api/search?q=" + "%00" * 5000).status_code in (200, 400)
    assert client.get("/api/search?near=" + "9" * 10000).status_code == 400
    assert client.get("/api/search?radius=1e309&near=78701").status_code == 400


@settings(max_examples=60, deadline=None)
@given(
    params=st.dictionaries(
        st.sampled_from(["near", "radius", "specialty", "procedure", "q", "page", "per_page"]),
        st.text(max_size=60),
    )
)
def test_any_query_string_gets_200_or_400_from_the_api_and_the_page(client, params):
    api = client.get("/api/search", params=params)
    assert api.status_code in (200, 400), (params, api.text)
    page = client.get("/search", params=params)
    assert page.status_code in (200, 400), params


# --- nearest place ("use my location") ------------------------------------------------------------


def test_a_point_in_austin_resolves_to_an_austin_zip(client):
    response = client.get("/api/places/nearest", params={"lat": "30.2747", "lon": "-97.7404"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"zip", "city", "state", "label"}
    assert (body["city"], body["state"]) == ("Austin", "TX")
    assert body["label"] == f"Austin, TX {body['zip']}"
    assert response.headers["access-control-allow-origin"] == "*"
    # The answer feeds the near box: searching it works.
    assert client.get("/api/search", params={"near": body["zip"]}).status_code == 200


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({}, "lat"),
        ({"lat": "30.27"}, "lon"),
        ({"lon": "-97.74"}, "lat"),
        ({"lat": "north", "lon": "-97.74"}, "lat"),
        ({"lat": "91", "lon": "-97.74"}, "lat"),
        ({"lat": "30.27", "lon": "-181"}, "lon"),
        ({"lat": "nan", "lon": "0"}, "lat"),
        ({"lat": "30.27", "lon": "inf"}, "lon"),
        ({"lat": "1" * 40, "lon": "0"}, "lat"),
    ],
)
def test_a_bad_point_is_a_400_naming_the_coordinate(client, params, fragment):
    response = client.get("/api/places/nearest", params=params)
    assert response.status_code == 400
    assert response.json()["error"].startswith(fragment)


def test_a_point_in_the_ocean_is_a_404_with_a_message(client):
    response = client.get("/api/places/nearest", params={"lat": "35", "lon": "-40"})
    assert response.status_code == 404
    assert "ZIP" in response.json()["error"]


# --- modified_after (incremental sync) ------------------------------------------------------------


def test_modified_after_a_past_date_keeps_everyone_and_a_future_date_no_one(client):
    everyone = client.get("/api/search", params={"per_page": "100"}).json()
    past = client.get("/api/search", params={"modified_after": "2000-01-01", "per_page": "100"})
    assert past.status_code == 200
    assert [r["id"] for r in past.json()["results"]] == [r["id"] for r in everyone["results"]]
    future = client.get("/api/search", params={"modified_after": "2999-01-01T00:00:00Z"}).json()
    assert future["total"] == 0 and future["results"] == []


def test_modified_after_cuts_exactly_at_the_listing_time(client):
    everyone = client.get("/api/search", params={"per_page": "100"}).json()["results"]
    stamps = sorted(max(filter(None, (r["last_seen"], r["last_verified"]))) for r in everyone)
    latest = stamps[-1]
    at = client.get("/api/search", params={"modified_after": latest}).json()
    assert at["total"] >= 1
    assert all(
        max(filter(None, (r["last_seen"], r["last_verified"]))) >= latest for r in at["results"]
    )
    after = datetime.fromisoformat(latest.replace("Z", "+00:00")) + timedelta(seconds=1)
    later = client.get("/api/search", params={"modified_after": after.isoformat()}).json()
    assert later["total"] == 0


def test_modified_after_pages_and_filters_like_a_normal_search(client):
    query = {"near": "78701", "modified_after": "2000-01-01", "per_page": "2"}
    first = client.get("/api/search", params=query).json()
    second = client.get("/api/search", params={**query, "page": "2"}).json()
    plain = client.get("/api/search", params={"near": "78701", "per_page": "2"}).json()
    assert first["total"] == second["total"] == plain["total"] == 3
    assert [r["id"] for r in first["results"]] == [r["id"] for r in plain["results"]]
    assert len(second["results"]) == 1
    derm = client.get(
        "/api/search",
        params={"near": "78701", "modified_after": "2000-01-01", "specialty": "dermatology"},
    ).json()
    assert {r["name"] for r in derm["results"]} == {"Ana Ruiz", "Cara Lin"}
    assert derm["facets"]["specialty"] == {"dermatology": 2, "plastic-surgery": 1}


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2026-13-01",
        "2026-02-30",
        "2026-W01",
        "25/11/2026",
        "1732547048",
        "2026-11-25T25:00",
    ],
)
def test_a_malformed_modified_after_is_a_400(client, value):
    response = client.get("/api/search", params={"modified_after": value})
    assert response.status_code == 400
    assert "modified_after" in response.json()["error"]


# --- relevance ------------------------------------------------------------------------------------


def test_acne_scars_near_a_zip_puts_the_microneedling_practitioners_first(client):
    body = client.get(
        "/api/search", params={"near": "78701", "radius": "200", "q": "acne scars"}
    ).json()
    names = [result["name"] for result in body["results"]]
    assert names[:2] == ["Ana Ruiz", "Dana Wells"]
    offers = [result["offers_microneedling"] for result in body["results"]]
    # Everyone who offers it comes before anyone who does not (or whose page says they stopped).
    assert offers == sorted(offers, key=lambda offer: offer is not True)


def test_did_you_mean_suggests_a_name_from_the_index_not_a_two_letter_term(client):
    body = client.get("/api/search", params={"q": "Ruz"}).json()
    assert body["total"] == 0 and body["suggestion"] == "ruiz"
    fixed = client.get("/api/search", params={"q": body["suggestion"]}).json()
    assert [result["name"] for result in fixed["results"]] == ["Ana Ruiz"]
    assert client.get("/api/search", params={"q": "qqqqqq"}).json()["suggestion"] is None


def test_every_published_field_says_which_observation_and_rule_supplied_it(client, listing_ids):
    ana = client.get(f"/api/practitioners/{listing_ids['Ana Ruiz']}").json()
    provenance = ana["provenance"]
    assert provenance["name"]["source"] == "nppes"
    assert provenance["npi"]["source"] == "nppes" and "NPPES" in provenance["npi"]["rule"]
    evidence = provenance["microneedling_evidence"]
    assert evidence["source"] == "practice_site" and evidence["url"]
    assert evidence["first_seen"] <= evidence["last_seen"]
    phones = [key for key in provenance if key.startswith("locations[") and key.endswith(".phone")]
    assert phones and all(provenance[key]["url"] for key in phones)
    sources = {source["url"] for source in ana["sources"]}
    assert {entry["url"] for entry in provenance.values()} <= sources | {None}

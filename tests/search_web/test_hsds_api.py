"""The HSDS API at /hsds/: its OpenAPI document passes openapi-spec-validator, every response is
valid against the specification's compiled schemas (jsonschema), paging follows the spec's `Page`,
and schemathesis, driving /api/ and /hsds/ from their own documents over real HTTP, finds no 5xx
and no response that breaks its declared schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import OpenAPIV31SpecValidator
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from search_web.opendata.hsds_openapi import SERVED
from tests.hsds_validation import compiled_validator

PAGE_FIELDS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
}


def problems(document: object, schema_name: str) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in compiled_validator(schema_name).iter_errors(document)
    ]


def test_the_hsds_openapi_document_passes_openapi_spec_validator(client):
    served = client.get("/hsds/openapi.json")
    assert served.status_code == 200
    document = served.json()
    assert [error.message for error in OpenAPIV31SpecValidator(document).iter_errors()] == []
    assert {"/services", "/services/{id}", "/organizations", "/service_at_locations"} <= set(
        document["paths"]
    )


def test_the_root_says_which_hsds_version_and_where_the_document_is(client):
    body = client.get("/hsds/").json()
    assert body["version"] == "3.0"
    assert body["openapi_url"].endswith("/hsds/openapi.json")


@pytest.mark.parametrize(
    ("path", "item_schema"),
    [
        ("/hsds/services", "service_list"),
        ("/hsds/organizations", "organization_list"),
        ("/hsds/service_at_locations", "service_at_location_list"),
        ("/hsds/organizations?full=true", "organization"),
        ("/hsds/service_at_locations?full=true", "service_at_location"),
    ],
)
def test_every_list_is_a_page_of_valid_documents(client, path, item_schema):
    body = client.get(path).json()
    assert set(body) >= PAGE_FIELDS
    assert body["contents"], path
    assert body["total_items"] >= len(body["contents"]) == body["size"]
    for item in body["contents"]:
        assert problems(item, item_schema) == [], item["id"]


@pytest.mark.parametrize(
    ("listing", "single", "schema"),
    [
        ("/hsds/services", "/hsds/services/{}", "service"),
        ("/hsds/organizations", "/hsds/organizations/{}", "organization"),
        ("/hsds/service_at_locations", "/hsds/service_at_locations/{}", "service_at_location"),
    ],
)
def test_every_record_is_valid_against_its_compiled_schema(client, listing, single, schema):
    for item in client.get(listing, params={"per_page": "100"}).json()["contents"]:
        response = client.get(single.format(item["id"]))
        assert response.status_code == 200
        assert problems(response.json(), schema) == [], item["id"]


def test_paging_walks_every_service_once(client):
    everyone = client.get("/hsds/services", params={"per_page": "100"}).json()
    assert everyone["total_items"] >= 2
    seen = []
    page = 1
    while True:
        body = client.get("/hsds/services", params={"per_page": "1", "page": str(page)}).json()
        seen += [item["id"] for item in body["contents"]]
        assert body["first_page"] == (page == 1)
        if body["last_page"]:
            break
        page += 1
    assert sorted(seen) == sorted(item["id"] for item in everyone["contents"])
    assert body["total_pages"] == everyone["total_items"]


def test_services_filter_by_organization_and_modified_after(client):
    services = client.get("/hsds/services", params={"per_page": "100"}).json()["contents"]
    first = services[0]
    same_org = client.get(
        "/hsds/services", params={"organization_id": first["organization_id"], "per_page": "100"}
    ).json()["contents"]
    assert same_org and {s["organization_id"] for s in same_org} == {first["organization_id"]}
    future = client.get("/hsds/services", params={"modified_after": "2999-01-01"}).json()
    assert future["total_items"] == 0 and future["empty"] is True


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/hsds/services/00000000-0000-4000-8000-000000000000", 404),
        ("/hsds/services?page=0", 400),
        ("/hsds/services?per_page=101", 400),
        ("/hsds/services?modified_after=yesterday", 400),
        ("/hsds/organizations?full=maybe", 400),
    ],
)
def test_bad_requests_get_a_json_error(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert set(response.json()) == {"error"}
    assert response.headers["access-control-allow-origin"] == "*"


def test_before_the_first_build_hsds_answers_503(empty_client):
    response = empty_client.get("/hsds/services")
    assert response.status_code == 503 and "error" in response.json()


# --- schemathesis ---------------------------------------------------------------------------------

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


BOUNDED = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def run_schemathesis(document_url: str) -> list[str]:
    """Drive every operation of a served document with schemathesis-generated requests (a small,
    fixed number each, derandomized so runs repeat); returns the operations it ran."""
    schema = schemathesis.openapi.from_url(document_url)
    ran = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @BOUNDED
        @given(case=operation.as_strategy())
        def exercise(case):
            case.call_and_validate(checks=CHECKS)

        exercise()
        ran.append(operation.label)
    return ran


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_or_schema_breach_in_the_api(live_server):
    ran = run_schemathesis(f"{live_server}/api/openapi.json")
    assert "GET /api/search" in ran and len(ran) == 3


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_or_schema_breach_in_hsds(live_server):
    ran = run_schemathesis(f"{live_server}/hsds/openapi.json")
    assert "GET /services/{id}" in ran and len(ran) == len(SERVED)

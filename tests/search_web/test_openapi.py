"""The OpenAPI document: it describes what the API really does (responses validate against it,
every parameter the parsers read is documented), its HTML rendering, and a schemathesis-style
property run: requests generated from its parameter schemas never get a 5xx."""

from __future__ import annotations

import inspect
import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator

from search_web import params
from search_web.openapi import describe_schema, openapi_document

SPEC = openapi_document()
SCHEMAS = SPEC["components"]["schemas"]


def conforms(value: Any, schema: dict[str, Any]) -> list[str]:
    """Problems of `value` against a schema of the document, by the jsonschema validator
    (JSON Schema 2020-12, which OpenAPI 3.1 uses), with its refs resolved in the document."""
    rooted = {**schema, "components": {"schemas": SCHEMAS}}
    validator = Draft202012Validator(rooted, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(value)
    ]


def _operation(path: str) -> dict[str, Any]:
    return SPEC["paths"][path]["get"]


def _response_schema(path: str, status: int) -> dict[str, Any]:
    return _operation(path)["responses"][str(status)]["content"]["application/json"]["schema"]


# --- the document ---------------------------------------------------------------------------------


def test_the_document_is_openapi_3_1_and_served_as_json_with_cors(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == SPEC
    assert SPEC["openapi"] == "3.1.0"
    assert set(SPEC["paths"]) == {"/api/search", "/api/practitioners/{id}", "/api/places/nearest"}


def test_the_served_document_passes_openapi_spec_validator(client):
    served = client.get("/api/openapi.json").json()
    problems = [error.message for error in OpenAPIV31SpecValidator(served).iter_errors()]
    assert problems == []


def test_openapi_spec_validator_rejects_a_list_of_examples():
    broken = openapi_document()
    broken["paths"]["/api/search"]["get"]["parameters"][0]["examples"] = ["78701"]
    assert list(OpenAPIV31SpecValidator(broken).iter_errors())


def test_every_operation_parameter_and_response_is_described():
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary") and operation.get("operationId"), (path, method)
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), (path, parameter["name"])
            for status, response in operation["responses"].items():
                assert response.get("description"), (path, status)
                assert "application/json" in response.get("content", {}), (path, status)


def test_every_parameter_example_fits_its_schema():
    for item in SPEC["paths"].values():
        for parameter in item["get"].get("parameters", []):
            for example in parameter.get("examples", {}).values():
                assert conforms(example["value"], parameter["schema"]) == [], parameter["name"]


def test_every_ref_points_at_a_defined_schema():
    refs = re.findall(r"'\$ref': '#/components/schemas/(\w+)'", repr(SPEC))
    assert refs and set(refs) <= set(SCHEMAS)


def test_every_query_parameter_the_api_reads_is_documented():
    documented = {p["name"] for p in _operation("/api/search")["parameters"]}
    source = inspect.getsource(params.api_request) + inspect.getsource(
        __import__("search_web.routes.api", fromlist=["search"]).search
    )
    read = set(re.findall(r'params\.get\("(\w+)"\)', source))
    read |= set(re.findall(r'query_params\.get\("(\w+)"\)', source))
    assert read and read == documented


def test_the_documented_limits_are_the_ones_the_parser_enforces(client):
    for parameter in _operation("/api/search")["parameters"]:
        schema = parameter["schema"]
        if "maximum" in schema:
            too_big = schema["maximum"] + 1
            response = client.get("/api/search", params={parameter["name"]: str(too_big)})
            assert response.status_code == 400, parameter["name"]
            at_limit = client.get("/api/search", params={parameter["name"]: str(schema["maximum"])})
            assert at_limit.status_code == 200, parameter["name"]
        if "maxLength" in schema:
            response = client.get(
                "/api/search", params={parameter["name"]: "a" * (schema["maxLength"] + 1)}
            )
            assert response.status_code == 400, parameter["name"]


def test_a_real_search_page_validates_against_the_search_page_schema(client):
    for query in ({"near": "78701", "radius": "200"}, {"q": "Okafor"}, {"q": "Ruz"}):
        body = client.get("/api/search", params=query).json()
        assert conforms(body, _response_schema("/api/search", 200)) == [], query
    assert client.get("/api/search", params={"near": "78701"}).json()["results"]


def test_a_practitioner_and_a_place_validate_against_their_schemas(client, listing_ids):
    for listing_id in listing_ids.values():
        body = client.get(f"/api/practitioners/{listing_id}").json()
        assert conforms(body, _response_schema("/api/practitioners/{id}", 200)) == []
    place = client.get("/api/places/nearest", params={"lat": "30.27", "lon": "-97.74"}).json()
    assert conforms(place, _response_schema("/api/places/nearest", 200)) == []


def test_the_validator_itself_catches_a_wrong_result():
    result_schema = {"$ref": "#/components/schemas/Result"}
    assert conforms({"id": "p-1"}, result_schema)  # missing fields
    assert conforms({"error": 5}, {"$ref": "#/components/schemas/Error"})


def test_errors_validate_against_the_error_schema(client):
    for path, query in (
        ("/api/search", {"radius": "x"}),
        ("/api/places/nearest", {"lat": "95", "lon": "0"}),
        ("/api/places/nearest", {"lat": "0", "lon": "0"}),
    ):
        response = client.get(path, params=query)
        assert str(response.status_code) in _operation(path)["responses"]
        assert conforms(response.json(), {"$ref": "#/components/schemas/Error"}) == []


def test_schema_words_describe_types_ranges_and_refs():
    assert describe_schema({"type": "integer", "minimum": 1, "maximum": 500, "default": 1}) == (
        "integer, 1 to 500, default 1"
    )
    assert describe_schema({"$ref": "#/components/schemas/Result"}) == "Result"
    assert describe_schema({"type": ["string", "null"]}) == "string or null"
    assert describe_schema({"type": "array", "items": {"$ref": "#/x/Location"}}) == (
        "array of Location"
    )


@pytest.mark.parametrize("path", ["/api/docs", "/api/"])
def test_the_docs_page_lists_every_endpoint_parameter_and_schema(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    for api_path, item in SPEC["paths"].items():
        assert f"GET {api_path}" in html
        for parameter in item["get"]["parameters"]:
            assert f"<code>{parameter['name']}</code>" in html
    for name in SCHEMAS:
        assert f'id="schema-{name}"' in html
    assert "<script" not in html.split("</footer>")[0]
    assert 'href="/api/openapi.json"' in html


# --- schemathesis-style property run --------------------------------------------------------------


def _values_for(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """Valid, boundary, out-of-range and hostile values for one parameter, as query strings."""
    hostile = st.one_of(
        st.text(max_size=60),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
        st.sampled_from(["", " ", "null", "NaN", "-inf", "1e309", "\x00", "%00", "[]", "{}"]),
    )
    kind = schema.get("type")
    options: list[st.SearchStrategy[str]] = [hostile]
    if "enum" in schema:
        options.append(st.sampled_from([str(value) for value in schema["enum"]]))
    if kind in ("integer", "number"):
        low, high = schema.get("minimum", -1e6), schema.get("maximum", 1e6)
        options.append(st.integers(min_value=int(low) - 5, max_value=int(high) + 5).map(str))
        options.append(
            st.floats(allow_nan=True, allow_infinity=True).map(
                lambda x: repr(x) if math.isfinite(x) else str(x)
            )
        )
    if kind == "string":
        options.append(st.from_regex(r"\A[0-9]{5}\Z").map(str))
        options.append(st.datetimes().map(lambda moment: moment.isoformat()))
        options.append(st.sampled_from(["Austin, TX", "Houston, TX", "Round Rock, tx"]))
    return st.one_of(options)


def _query_strategy(path: str) -> st.SearchStrategy[dict[str, str]]:
    parameters = [p for p in _operation(path)["parameters"] if p["in"] == "query"]
    return st.fixed_dictionaries(
        {},
        optional={p["name"]: _values_for(p["schema"]) for p in parameters},
    )


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=_query_strategy("/api/search"))
def test_generated_search_requests_never_get_a_server_error(client, query):
    response = client.get("/api/search", params=query)
    assert response.status_code in (200, 400), (query, response.text[:200])
    assert response.headers["content-type"].startswith("application/json")
    if response.status_code == 400:
        assert conforms(response.json(), {"$ref": "#/components/schemas/Error"}) == []


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=_query_strategy("/api/places/nearest"))
def test_generated_place_requests_never_get_a_server_error(client, query):
    response = client.get("/api/places/nearest", params=query)
    assert response.status_code in (200, 400, 404), (query, response.text[:200])
    if response.status_code == 200:
        assert conforms(response.json(), _response_schema("/api/places/nearest", 200)) == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(listing_id=st.one_of(st.text(max_size=80), st.from_regex(r"\Ap-[0-9a-f]{10}\Z")))
def test_generated_practitioner_ids_never_get_a_server_error(client, listing_id):
    response = client.get(f"/api/practitioners/{quote(listing_id, safe='')}")
    assert response.status_code in (200, 404)
    assert "error" in response.json() or response.json()["id"] == listing_id


# --- the README's field lists ---------------------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_table_fields(header: str) -> set[str]:
    """The backticked names in the first column of the README table whose header starts so."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(f"| {header} |"))
    names: set[str] = set()
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        names |= set(re.findall(r"`(\w+)`", line.split("|")[1]))
    return names


@pytest.mark.parametrize(
    ("header", "schema"), [("search page field", "SearchPage"), ("result field", "Result")]
)
def test_the_readme_lists_exactly_the_fields_of_the_schema(header, schema):
    assert _readme_table_fields(header) == set(SCHEMAS[schema]["properties"])

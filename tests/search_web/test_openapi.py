"""The OpenAPI document: it describes what the API really does (responses validate against it,
every parameter the parsers read is documented), its HTML rendering, and a schemathesis-style
property run: requests generated from its parameter schemas never get a 5xx."""

from __future__ import annotations

import inspect
import math
import re
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_web import params
from search_web.openapi import describe_schema, openapi_document

SPEC = openapi_document()
SCHEMAS = SPEC["components"]["schemas"]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


_JSON_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
    "null": type(None),
}


def conforms(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Problems of `value` against the JSON Schema subset the document uses (no jsonschema dep)."""
    schema = _resolve(schema)
    if "oneOf" in schema:
        matching = [option for option in schema["oneOf"] if not conforms(value, option, path)]
        return [] if len(matching) == 1 else [f"{path}: matches {len(matching)} of oneOf"]
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        ok = any(
            isinstance(value, _JSON_TYPES[kind])
            and not (kind in ("integer", "number") and isinstance(value, bool))
            for kind in kinds
        )
        if not ok:
            return [f"{path}: {value!r} is not {kinds}"]
    problems: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} not in enum")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{path}: {value} < minimum")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{path}: {value} > maximum")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{path}: missing {key}")
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                problems += conforms(value[key], sub, f"{path}.{key}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, item in value.items():
                if key not in schema.get("properties", {}):
                    problems += conforms(item, extra, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for position, item in enumerate(value):
            problems += conforms(item, schema["items"], f"{path}[{position}]")
    return problems


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

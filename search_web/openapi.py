"""The OpenAPI 3.1 description of the public JSON API, built from the same constants the parsers use.

`/api/openapi.json` serves `openapi_document()`; `/api/docs` renders it as a plain HTML page, and
the property tests generate requests from its parameter schemas.
"""

from __future__ import annotations

import copy
from typing import Any

from index.records import LOCATION_FIELDS, SPECIALTY_SLUGS
from search_web.params import (
    LISTING_ID,
    MODIFIED_AFTER_MAX_CHARS,
    MODIFIED_AFTER_PATTERN,
    NEAR_MAX_CHARS,
    PAGE_MAX,
    PER_PAGE_DEFAULT,
    PER_PAGE_MAX,
    PROCEDURES,
    Q_MAX_CHARS,
    RADIUS_DEFAULT,
    RADIUS_MAX,
    RADIUS_MIN,
)

API_VERSION = "1.0.0"


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema["type"]
    return {**schema, "type": [kind, "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }


def _query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema, **extra}


SEARCH_PARAMETERS: list[dict[str, Any]] = [
    _query(
        "near",
        'Where: a 5-digit US ZIP code ("78701") or a city and state ("Austin, TX"). '
        "With it, results are everyone within `radius`, nearest first; without it, ranked by "
        "relevance to `q` and by evidence quality.",
        {"type": "string", "maxLength": NEAR_MAX_CHARS},
        examples={
            "zip": {"summary": "A ZIP code", "value": "78701"},
            "city": {"summary": "A city and state", "value": "Austin, TX"},
        },
    ),
    _query(
        "radius",
        "Miles around `near`.",
        {
            "type": "number",
            "minimum": RADIUS_MIN,
            "maximum": RADIUS_MAX,
            "default": RADIUS_DEFAULT,
        },
    ),
    _query(
        "specialty",
        "Only practitioners with this specialty.",
        {"type": "string", "enum": list(SPECIALTY_SLUGS)},
    ),
    _query(
        "procedure",
        "`microneedling`: only practitioners whose own pages say they offer it (a quoted, "
        "non-negated mention). Absent: everyone.",
        {"type": "string", "enum": list(PROCEDURES)},
    ),
    _query(
        "q",
        "Free text: a name, practice, place or words such as “acne scars”. Never parsed as "
        "query syntax.",
        {"type": "string", "maxLength": Q_MAX_CHARS},
    ),
    _query(
        "page",
        "1-based page number.",
        {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": 1},
    ),
    _query(
        "per_page",
        "Results per page.",
        {"type": "integer", "minimum": 1, "maximum": PER_PAGE_MAX, "default": PER_PAGE_DEFAULT},
    ),
    _query(
        "modified_after",
        "Incremental sync: only listings whose `last_seen` or `last_verified` is at or after "
        "this ISO-8601 date or date-time (UTC when no offset is given). Totals, pages and "
        "facets then cover the kept listings only.",
        {
            "type": "string",
            "maxLength": MODIFIED_AFTER_MAX_CHARS,
            "pattern": MODIFIED_AFTER_PATTERN,
        },
        examples={
            "date": {"summary": "Since midnight UTC of a day", "value": "2026-11-25"},
            "instant": {"summary": "Since an instant", "value": "2026-11-25T00:00:00Z"},
        },
    ),
]

PLACE_PARAMETERS: list[dict[str, Any]] = [
    _query(
        "lat",
        "Latitude in decimal degrees (WGS 84).",
        {"type": "number", "minimum": -90, "maximum": 90},
        required=True,
    ),
    _query(
        "lon",
        "Longitude in decimal degrees (WGS 84).",
        {"type": "number", "minimum": -180, "maximum": 180},
        required=True,
    ),
]

_STRING = {"type": "string"}
_NUMBER = {"type": "number"}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string", "description": "What to fix, in plain words."}},
    },
    "Location": {
        "type": "object",
        "required": list(LOCATION_FIELDS),
        "properties": {
            "practice": _nullable(_STRING),
            "street": _nullable(_STRING),
            "city": _nullable(_STRING),
            "state": _nullable({"type": "string", "pattern": "^[A-Z]{2}$"}),
            "postal_code": _nullable({"type": "string", "pattern": "^[0-9]{5}$"}),
            "phone": _nullable({"type": "string", "description": "E.164, e.g. +15125550123"}),
            "lat": _nullable(_NUMBER),
            "lon": _nullable(_NUMBER),
        },
    },
    "Evidence": {
        "type": "object",
        "description": "The sentence on the practice's own page that says they offer it.",
        "required": ["quote", "url", "seen_at", "practice", "price"],
        "properties": {
            "quote": {"type": "string", "description": "Verbatim, whitespace collapsed."},
            "url": {"type": "string", "format": "uri"},
            "seen_at": {"type": "string", "format": "date-time"},
            "practice": _nullable(_STRING),
            "price": _nullable(_STRING),
            "basis": _nullable(
                {
                    "type": "string",
                    "description": "Why the quote counts as an offer: the rule that read it and "
                    "the kind of page (“we offer (the practice's page for the treatment)”).",
                }
            ),
        },
    },
    "Mention": {
        "type": "object",
        "description": "A sentence of their site that names microneedling without saying it is "
        "offered (an article, an FAQ explanation): shown only when there is no verdict.",
        "required": ["quote", "url", "seen_at"],
        "properties": {
            "quote": {"type": "string"},
            "url": _nullable({"type": "string", "format": "uri"}),
            "seen_at": _nullable({"type": "string", "format": "date-time"}),
        },
    },
    "Source": {
        "type": "object",
        "required": ["kind", "url", "last_seen"],
        "properties": {
            "kind": {"type": "string", "enum": ["nppes", "cms", "practice_site", "directory"]},
            "url": _nullable(_STRING),
            "last_seen": _nullable(_STRING),
        },
    },
    "FieldSource": {
        "type": "object",
        "description": "Which observation supplied a published field, and which rule chose it.",
        "required": ["source", "url", "first_seen", "last_seen", "rule"],
        "properties": {
            "source": {
                "type": "string",
                "enum": ["nppes", "cms", "practice_site", "directory", "admin"],
                "description": "The source of the observation; `admin` for an override.",
            },
            "url": _nullable({"type": "string", "description": "The page or record it came from."}),
            "first_seen": _nullable(_STRING),
            "last_seen": _nullable(_STRING),
            "rule": {"type": "string", "description": "Why this value was published."},
        },
    },
    "NpiStatus": {
        "type": ["object", "null"],
        "properties": {
            "active": {"type": "boolean"},
            "as_of": {"type": "string", "format": "date"},
        },
    },
    "Result": {
        "type": "object",
        "description": "One practitioner, as shown on the site.",
        "required": [
            "id",
            "url",
            "name",
            "credentials",
            "specialties",
            "npi",
            "npi_status",
            "offers_microneedling",
            "microneedling_evidence",
            "microneedling_mention",
            "distance_miles",
            "locations",
            "sources",
            "website",
            "last_seen",
            "last_verified",
            "stale",
            "provenance",
        ],
        "properties": {
            "id": {"type": "string", "pattern": LISTING_ID.pattern},
            "url": {"type": "string", "description": "The profile page, relative to the site."},
            "name": _STRING,
            "credentials": {"type": "array", "items": _STRING},
            "specialties": {
                "type": "array",
                "items": {"type": "string", "enum": list(SPECIALTY_SLUGS)},
            },
            "npi": _nullable({"type": "string", "pattern": "^[0-9]{10}$"}),
            "npi_status": _ref("NpiStatus"),
            "offers_microneedling": {
                "type": ["boolean", "null"],
                "description": "true: a quoted offer statement (“we offer”, a treatment page of "
                "the practice); false: a refusal (“we no longer offer”); null: no statement either "
                "way (see microneedling_mention for a site that only mentions it).",
            },
            "microneedling_evidence": {"oneOf": [_ref("Evidence"), {"type": "null"}]},
            "microneedling_mention": {"oneOf": [_ref("Mention"), {"type": "null"}]},
            "distance_miles": _nullable(
                {"type": "number", "description": "To the nearest location; null without near."}
            ),
            "locations": {"type": "array", "items": _ref("Location")},
            "sources": {"type": "array", "items": _ref("Source")},
            "website": _nullable(_STRING),
            "last_seen": _nullable(_STRING),
            "last_verified": _nullable(_STRING),
            "stale": {"type": "boolean", "description": "Not re-confirmed by a crawl recently."},
            "provenance": {
                "type": "object",
                "description": "Per published field (`name`, `npi`, `microneedling_evidence`, "
                "`locations[0].phone`, ...): the observation and rule that supplied it.",
                "additionalProperties": _ref("FieldSource"),
            },
        },
    },
    "SearchPage": {
        "type": "object",
        "required": ["total", "page", "per_page", "results", "place", "suggestion", "facets"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "results": {"type": "array", "items": _ref("Result")},
            "place": {
                "type": ["object", "null"],
                "description": "The place `near` resolved to.",
                "properties": {"label": _STRING, "lat": _NUMBER, "lon": _NUMBER},
            },
            "suggestion": _nullable(
                {"type": "string", "description": "“Did you mean”: `q` with typos corrected."}
            ),
            "facets": {
                "type": "object",
                "properties": {
                    "specialty": {
                        "type": "object",
                        "additionalProperties": {"type": "integer"},
                        "description": "Specialty slug -> results with it, before the "
                        "specialty filter.",
                    }
                },
            },
        },
    },
    "NearestPlace": {
        "type": "object",
        "required": ["zip", "city", "state", "label"],
        "properties": {
            "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
            "city": _STRING,
            "state": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "label": {"type": "string", "examples": ["Austin, TX 78701"]},
        },
    },
}


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (a fresh dict each call: callers may not mutate ours)."""
    json_ok = "application/json"
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "skinmap open data API",
            "version": API_VERSION,
            "summary": "US dermatologists and plastic and cosmetic surgeons who offer "
            "microneedling, with the evidence quoted from their own pages.",
            "description": "Read-only, no key, CORS open to any origin. Every error is JSON "
            '`{"error": "..."}` with a 4xx/5xx status. For incremental sync, page through '
            "`/api/search?modified_after=...`.",
            "license": {"name": "Open data; cite skinmap and the listed sources"},
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search practitioners",
                    "parameters": SEARCH_PARAMETERS,
                    "responses": {
                        "200": {
                            "description": "A page of results.",
                            "content": {json_ok: {"schema": _ref("SearchPage")}},
                        },
                        "400": _error_response(
                            "A parameter is malformed or out of range, or `near` names a "
                            "place we do not know; `error` says which."
                        ),
                        "503": _error_response("The index has not been built yet."),
                    },
                }
            },
            "/api/practitioners/{id}": {
                "get": {
                    "operationId": "practitioner",
                    "summary": "One practitioner by id",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "description": "The `id` of a search result, e.g. p-1a2b3c4d5e.",
                            "schema": {"type": "string", "pattern": LISTING_ID.pattern},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The practitioner (distance_miles is null).",
                            "content": {json_ok: {"schema": _ref("Result")}},
                        },
                        "404": _error_response("No public listing has this id."),
                        "503": _error_response("The index has not been built yet."),
                    },
                }
            },
            "/api/places/nearest": {
                "get": {
                    "operationId": "nearestPlace",
                    "summary": "The US ZIP code nearest a point (for “use my location”)",
                    "parameters": PLACE_PARAMETERS,
                    "responses": {
                        "200": {
                            "description": "The nearest ZIP and its city.",
                            "content": {json_ok: {"schema": _ref("NearestPlace")}},
                        },
                        "400": _error_response("lat or lon is missing, malformed or out of range."),
                        "404": _error_response("No US ZIP code within 60 miles of the point."),
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
    return copy.deepcopy(document)


def describe_schema(schema: dict[str, Any]) -> str:
    """A schema in a few words for the docs page: "integer, 1 to 500, default 1"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "oneOf" in schema:
        return " or ".join(describe_schema(option) for option in schema["oneOf"])
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    words = " or ".join(kinds)
    if "array" in kinds and "items" in schema:
        words = f"array of {describe_schema(schema['items'])}"
    details: list[str] = []
    if "enum" in schema:
        details.append("one of " + ", ".join(str(value) for value in schema["enum"]))
    if "format" in schema:
        details.append(schema["format"])
    if "minimum" in schema and "maximum" in schema:
        details.append(f"{schema['minimum']:g} to {schema['maximum']:g}")
    if "maxLength" in schema:
        details.append(f"at most {schema['maxLength']} characters")
    if "pattern" in schema:
        details.append(f"matching {schema['pattern']}")
    if "default" in schema:
        details.append(f"default {schema['default']:g}")
    return ", ".join([words, *details])

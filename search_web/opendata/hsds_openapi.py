"""The OpenAPI document of `/hsds/`: the specification's own schema/openapi.json, narrowed to the
paths and parameters we serve, its info filled in, and its remote references to the compiled
schemas pointed at local copies embedded under components (so validators and schemathesis need
no network). Built from the vendored file, never edited in place."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from search_web.opendata.spec import COMPILED_URL, HSDS_VERSION, compiled_schema, spec_openapi
from search_web.params import MODIFIED_AFTER_MAX_CHARS, MODIFIED_AFTER_PATTERN

# Path -> the spec's parameters we implement there (the others, e.g. taxonomy and postcode
# searches, are dropped from our document rather than accepted and ignored).
SERVED: dict[str, tuple[str, ...]] = {
    "/": (),
    "/services": ("search", "page", "per_page", "organization_id", "modified_after"),
    "/services/{id}": (),
    "/organizations": ("search", "full", "page", "per_page"),
    "/organizations/{id}": ("full_service",),
    "/service_at_locations": (
        "search",
        "organization_id",
        "modified_after",
        "full",
        "page",
        "per_page",
    ),
    "/service_at_locations/{id}": (),
}
PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 100
PAGE_MAX = 10_000
# Our stricter schemas for the spec's loosely typed parameters (what the parser enforces).
PARAMETER_SCHEMAS: dict[str, dict[str, Any]] = {
    "page": {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": 1},
    "per_page": {
        "type": "integer",
        "minimum": 1,
        "maximum": PER_PAGE_MAX,
        "default": PER_PAGE_DEFAULT,
    },
    "modified_after": {
        "type": "string",
        "maxLength": MODIFIED_AFTER_MAX_CHARS,
        "pattern": MODIFIED_AFTER_PATTERN,
    },
    "search": {"type": "string", "maxLength": 200},
    "organization_id": {"type": "string", "maxLength": 100},
    "full": {"type": "boolean"},
    "full_service": {"type": "boolean"},
}
_ERROR = {"$ref": "#/components/schemas/Error"}


def _local(text: str) -> str:
    """The spec's compiled-schema URLs -> refs to our embedded copies."""
    return text.replace(f'"{COMPILED_URL}', '"#/components/schemas/hsds_').replace('.json"', '"')


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


@cache
def _document_text() -> str:
    spec = spec_openapi()
    parameters = spec["components"]["parameters"]
    paths: dict[str, Any] = {}
    for path, names in SERVED.items():
        item = copy.deepcopy(spec["paths"][path])
        path_parameters = item.pop("parameters", [])
        operation = item["get"]
        chosen = []
        for name in names:
            parameter = copy.deepcopy(parameters[name])
            parameter["schema"] = PARAMETER_SCHEMAS.get(name, parameter["schema"])
            chosen.append(parameter)
        for parameter in path_parameters:
            chosen.append({**parameter, "schema": {"type": "string", "maxLength": 100}})
        operation["parameters"] = chosen
        if names or path_parameters:
            operation["responses"]["400"] = _error("A parameter is malformed or out of range.")
        if path_parameters:
            operation["responses"]["404"] = _error("No record has this id.")
        if path != "/":
            operation["responses"]["503"] = _error("The directory has not been built yet.")
        operation.setdefault("operationId", "get" + path.replace("/", "_").replace("{id}", "id"))
        paths[path] = {"get": operation}
    # The spec answers /service_at_locations/{id} with a service; the path and its description say
    # a service_at_location, which is what we serve and declare.
    single = paths["/service_at_locations/{id}"]["get"]["responses"]["200"]
    single["content"]["application/json"]["schema"] = {
        "$ref": f"{COMPILED_URL}service_at_location.json"
    }
    schemas = copy.deepcopy(spec["components"]["schemas"])
    schemas["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
    }
    referenced = sorted(set(_referenced(json.dumps(paths))))
    document = {
        "openapi": spec["openapi"],
        "jsonSchemaDialect": spec["jsonSchemaDialect"],
        "info": {
            "title": "skinmap HSDS API",
            "version": "1.0.0",
            "summary": "The skinmap directory as Open Referral HSDS 3.0, from the live index.",
            "description": "Read-only, no key. The paths, parameters, paging (`Page`) and "
            f"schemas are those of the HSDS {HSDS_VERSION} API reference (schema/openapi.json); "
            "the compiled schemas are embedded under components.",
            "license": {"name": "CC-BY-SA-4.0 (the HSDS schemas); the data: cite skinmap"},
        },
        "servers": [{"url": "/hsds"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }
    text = _local(json.dumps(document))
    embedded = {f"hsds_{name}": compiled_schema(name) for name in referenced}
    document = json.loads(text)
    document["components"]["schemas"].update(embedded)
    return json.dumps(document, separators=(",", ":"))


def _referenced(text: str) -> list[str]:
    names = []
    for part in text.split(f'"{COMPILED_URL}')[1:]:
        names.append(part.split(".json", 1)[0])
    return names


def hsds_openapi_bytes() -> bytes:
    """The served document, serialised once (it embeds several megabytes of compiled schema)."""
    return _document_text().encode("utf-8")


def hsds_openapi_document() -> dict[str, Any]:
    return json.loads(_document_text())

"""The vendored Open Referral HSDS 3.0 files (data/hsds/, unchanged; see its PROVENANCE.md), read
once per process: the official datapackage, the OpenAPI description and the compiled schemas."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

HSDS_DIR = Path(__file__).resolve().parents[2] / "data" / "hsds"
DATAPACKAGE_FILE = HSDS_DIR / "datapackage.json"
OPENAPI_FILE = HSDS_DIR / "openapi.json"
COMPILED_DIR = HSDS_DIR / "schema" / "compiled"
HSDS_VERSION = "3.0"
# The URL the spec's own OpenAPI document uses for its compiled schemas.
COMPILED_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/compiled/"


@cache
def datapackage() -> dict[str, Any]:
    """The official HSDS tabular data package descriptor."""
    return json.loads(DATAPACKAGE_FILE.read_text(encoding="utf-8"))


@cache
def table_fields() -> dict[str, tuple[str, ...]]:
    """Resource name ("service") -> its columns, in the official order."""
    return {
        resource["name"]: tuple(field["name"] for field in resource["schema"]["fields"])
        for resource in datapackage()["resources"]
    }


@cache
def table_paths() -> dict[str, str]:
    """Resource name -> its CSV file name ("service" -> "services.csv")."""
    return {resource["name"]: resource["path"] for resource in datapackage()["resources"]}


@cache
def compiled_schema(name: str) -> dict[str, Any]:
    """A compiled schema ("service", "organization_list", ...) from schema/compiled/."""
    path = COMPILED_DIR / f"{name}.json"
    if not path.is_file():
        raise KeyError(f"no vendored compiled HSDS schema {name!r}")
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def spec_openapi() -> dict[str, Any]:
    """The specification's own OpenAPI document (callers must not mutate it)."""
    return json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))

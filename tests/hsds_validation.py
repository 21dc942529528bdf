"""The jsonschema validators of the vendored compiled HSDS 3.0 schemas, built once per test run
(the compiled schemas are fully dereferenced, a few megabytes each), shared by the export and the
/hsds/ API tests."""

from __future__ import annotations

from functools import cache

from jsonschema import Draft202012Validator

from search_web.opendata.spec import compiled_schema


@cache
def compiled_validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        compiled_schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER
    )

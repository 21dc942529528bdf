"""The Jinja2 environment for the pages: autoescaped templates plus the presentation filters."""

from __future__ import annotations

from pathlib import Path

import jinja2
from starlette.templating import Jinja2Templates

from search_web import present
from search_web.openapi import describe_schema

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        # A misspelt variable should fail a test, not render an empty string to a patient.
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        specialty=present.specialty_label,
        safe_url=present.safe_http_url,
        tel=present.tel_href,
        phone=present.format_phone,
        distance=present.format_distance,
        date=present.format_date,
        address=present.format_address,
        source_kind=present.source_label,
        has_point=present.has_point,
        schema_words=describe_schema,
    )
    return env


templates = Jinja2Templates(env=_environment())

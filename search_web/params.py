"""Query-string parsing for the search page and the JSON API: raw strings -> SearchRequest or SearchError."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from index.records import SPECIALTY_SLUGS
from index.search import SearchError, SearchRequest

PROCEDURES = ("microneedling",)
RADIUS_MIN, RADIUS_MAX, RADIUS_DEFAULT = 1.0, 200.0, 25.0
RADIUS_CHOICES = (5, 10, 25, 50, 100)
PER_PAGE_MAX, PER_PAGE_DEFAULT = 100, 20
# Deep pages are never what a patient wants and cost the index the most; refuse them early.
PAGE_MAX = 500
Q_MAX_CHARS = 200
NEAR_MAX_CHARS = 100

# Ids are "p-" + hex today; accept a little more, but never send arbitrary text to the index.
LISTING_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# Control characters (NUL included) carry no meaning in a search box and upset downstream parsers.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# The page form sends `procedure=any` (or nothing, with the form marker) to mean "everyone".
PROCEDURE_ANY = "any"


def _clean_text(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = " ".join(_CONTROL.sub(" ", raw).split())
    return text or None


def parse_radius(raw: str | None) -> float:
    if raw is None or not raw.strip():
        return RADIUS_DEFAULT
    message = f"radius must be a number of miles between {RADIUS_MIN:g} and {RADIUS_MAX:g}"
    try:
        radius = float(raw.strip())
    except ValueError:
        raise SearchError(message) from None
    if not math.isfinite(radius) or not RADIUS_MIN <= radius <= RADIUS_MAX:
        raise SearchError(message)
    return radius


def _parse_int(raw: str | None, *, default: int, low: int, high: int, message: str) -> int:
    if raw is None or not raw.strip():
        return default
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        raise SearchError(message)
    value = int(text)
    if not low <= value <= high:
        raise SearchError(message)
    return value


def parse_page(raw: str | None) -> int:
    return _parse_int(
        raw,
        default=1,
        low=1,
        high=PAGE_MAX,
        message=f"page must be a whole number between 1 and {PAGE_MAX}",
    )


def parse_per_page(raw: str | None) -> int:
    return _parse_int(
        raw,
        default=PER_PAGE_DEFAULT,
        low=1,
        high=PER_PAGE_MAX,
        message=f"per_page must be a whole number between 1 and {PER_PAGE_MAX}",
    )


def parse_specialty(raw: str | None) -> str | None:
    slug = _clean_text(raw)
    if slug is None:
        return None
    if slug not in SPECIALTY_SLUGS:
        raise SearchError(
            f"unknown specialty {slug!r}; expected one of {', '.join(SPECIALTY_SLUGS)}"
        )
    return slug


def parse_procedure(raw: str | None) -> str | None:
    procedure = _clean_text(raw)
    if procedure is None:
        return None
    if procedure not in PROCEDURES:
        raise SearchError(f"unknown procedure {procedure!r}; the only procedure is microneedling")
    return procedure


def parse_q(raw: str | None) -> str | None:
    if raw is not None and len(raw) > Q_MAX_CHARS:
        raise SearchError(f"q must be at most {Q_MAX_CHARS} characters")
    return _clean_text(raw)


def parse_near(raw: str | None) -> str | None:
    if raw is not None and len(raw) > NEAR_MAX_CHARS:
        raise SearchError(
            f"near must be at most {NEAR_MAX_CHARS} characters: a ZIP code or 'City, ST'"
        )
    return _clean_text(raw)


# modified_after: YYYY-MM-DD, optionally a time (the OpenAPI document publishes the same pattern).
MODIFIED_AFTER_MAX_CHARS = 40
MODIFIED_AFTER_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.+\-Z]+)?$"


def parse_modified_after(raw: str | None) -> datetime | None:
    """An ISO-8601 date or date-time -> an aware UTC datetime; naive times are taken as UTC."""
    text = _clean_text(raw)
    if text is None:
        return None
    message = (
        "modified_after must be an ISO-8601 date or date-time, "
        "e.g. 2026-11-25 or 2026-11-25T15:04:08Z"
    )
    # fromisoformat accepts week dates and other forms a sync client would not mean; insist on
    # YYYY-MM-DD first.
    if len(text) > MODIFIED_AFTER_MAX_CHARS or not re.fullmatch(MODIFIED_AFTER_PATTERN, text):
        raise SearchError(message)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(message) from None
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def parse_coordinate(raw: str | None, name: str, limit: float) -> float:
    """A latitude (limit 90) or longitude (limit 180) in decimal degrees."""
    message = f"{name} must be a number of degrees between -{limit:g} and {limit:g}"
    text = (raw or "").strip()
    if not text or len(text) > 32:
        raise SearchError(message)
    try:
        value = float(text)
    except ValueError:
        raise SearchError(message) from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise SearchError(message)
    return value


def api_request(params: Mapping[str, str]) -> SearchRequest:
    """The API's query string -> SearchRequest. An absent procedure means everyone."""
    return SearchRequest(
        near=parse_near(params.get("near")),
        radius=parse_radius(params.get("radius")),
        specialty=parse_specialty(params.get("specialty")),
        procedure=parse_procedure(params.get("procedure")),
        q=parse_q(params.get("q")),
        page=parse_page(params.get("page")),
        per_page=parse_per_page(params.get("per_page")),
    )


@dataclass
class SearchForm:
    """What the search form shows back to the patient: their own words, even when invalid."""

    near: str = ""
    radius: str = str(int(RADIUS_DEFAULT))
    specialty: str = ""
    microneedling_only: bool = True
    q: str = ""

    @property
    def is_blank(self) -> bool:
        return not (self.near or self.q or self.specialty)


def page_form(params: Mapping[str, str]) -> SearchForm:
    """The page's query string -> the form state, never raising.

    The microneedling filter is on by default: a checkbox sends nothing when unticked, so the
    form carries a hidden `form=1` marker that tells "unticked" apart from "first visit".
    """
    procedure = (params.get("procedure") or "").strip()
    microneedling_only = procedure != PROCEDURE_ANY if procedure else "form" not in params
    return SearchForm(
        near=(params.get("near") or "")[: NEAR_MAX_CHARS * 2],
        radius=(params.get("radius") or str(int(RADIUS_DEFAULT))).strip()[:20],
        specialty=(params.get("specialty") or "").strip()[:60],
        microneedling_only=microneedling_only,
        q=(params.get("q") or "")[: Q_MAX_CHARS * 2],
    )


def page_request(params: Mapping[str, str]) -> SearchRequest:
    """The page's query string -> SearchRequest, with the page's default of microneedling on."""
    procedure_raw = (params.get("procedure") or "").strip()
    if procedure_raw == PROCEDURE_ANY:
        procedure = None
    elif procedure_raw:
        procedure = parse_procedure(procedure_raw)
    else:
        procedure = None if "form" in params else "microneedling"
    return SearchRequest(
        near=parse_near(params.get("near")),
        radius=parse_radius(params.get("radius")),
        specialty=parse_specialty(params.get("specialty")),
        procedure=procedure,
        q=parse_q(params.get("q")),
        page=parse_page(params.get("page")),
        per_page=parse_per_page(params.get("per_page")),
    )

"""Pure presentation helpers for the pages: words for slugs, safe links, distances, dates, JSON-LD."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from index.geo import haversine_miles
from index.query import lay_terms, normalise_phrase
from index.records import SPECIALTY_SLUGS
from index.search import SearchRequest
from search_web.params import PER_PAGE_DEFAULT, PROCEDURE_ANY, RADIUS_CHOICES, RADIUS_MAX

SPECIALTY_LABELS: dict[str, str] = {
    "dermatology": "Dermatology",
    "mohs-surgery": "Mohs surgery",
    "plastic-surgery": "Plastic surgery",
    "facial-plastic-surgery": "Facial plastic surgery",
    "cosmetic-surgery": "Cosmetic surgery",
    "oculoplastic-surgery": "Oculoplastic (eyelid) surgery",
}
assert set(SPECIALTY_LABELS) == set(SPECIALTY_SLUGS), "every specialty slug needs words"

# schema.org's MedicalSpecialty enumeration names the closest value; absent ones are left out.
_US_PHONE = re.compile(r"^\+1(\d{3})(\d{3})(\d{4})$")


# What the home page may promise: exactly what the pipeline checks, no more.
HOME_CLAIM = (
    "Listings are dermatologists and plastic and cosmetic surgeons from the NPI Registry, CMS data "
    "and practice websites; each one says whether we confirmed its NPI (the national provider "
    "number) in the NPI Registry. When we say someone offers microneedling, we quote their own "
    "page and link to it."
)

# Lay phrases that name a skin problem (rather than another name or device for the procedure).
_CONDITION_WORDS = ("scar", "scars", "scarring")


def specialty_label(slug: str) -> str:
    return SPECIALTY_LABELS.get(slug, slug.replace("-", " ").capitalize())


SOURCE_LABELS = {
    "nppes": "NPI Registry (NPPES)",
    "cms": "CMS Doctors and Clinicians",
    "practice_site": "Practice website",
    "directory": "Directory listing",
}


def source_label(kind: str | None) -> str:
    return SOURCE_LABELS.get(kind or "", "Source")


def safe_http_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) link we may render as href, else None.

    Crawled data is untrusted: a `javascript:` or `data:` website must never become a link.
    """
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if any(ord(ch) < 0x20 or ch in "\x7f \"'<>\\`" for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def tel_href(phone: str | None) -> str | None:
    """`tel:` target for an E.164 number; anything else is not dialable from a link."""
    if not phone:
        return None
    digits = re.sub(r"[^\d+]", "", phone)
    if not re.fullmatch(r"\+\d{8,15}", digits):
        return None
    return f"tel:{digits}"


def format_phone(phone: str | None) -> str:
    if not phone:
        return ""
    match = _US_PHONE.match(phone.strip())
    if match:
        return f"({match[1]}) {match[2]}-{match[3]}"
    return phone


def format_distance(miles: float | None) -> str:
    if miles is None:
        return ""
    if miles < 0.1:
        return "under 0.1 miles"
    return f"{miles:.1f} miles"


def format_date(value: str | None) -> str:
    """'2026-11-25T15:04:08Z' -> 'Nov 25, 2026'; unparseable text is shown as given."""
    if not value:
        return ""
    text = value.strip()
    try:
        when: date = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = date.fromisoformat(text[:10])
        except ValueError:
            return text
    return f"{when:%b} {when.day}, {when.year}"


def format_address(location: dict[str, Any]) -> str:
    city_line = ", ".join(part for part in (location.get("city"), location.get("state")) if part)
    if location.get("postal_code"):
        city_line = f"{city_line} {location['postal_code']}".strip()
    return ", ".join(part for part in (location.get("street"), city_line) if part)


def nearest_location(locations: list[dict], place: dict | None) -> dict | None:
    """The location closest to the searched place; the first one when we cannot tell."""
    if not locations:
        return None
    if not place or place.get("lat") is None or place.get("lon") is None:
        return locations[0]
    located = [
        loc for loc in locations if loc.get("lat") is not None and loc.get("lon") is not None
    ]
    if not located:
        return locations[0]
    return min(
        located,
        key=lambda loc: haversine_miles((place["lat"], place["lon"]), (loc["lat"], loc["lon"])),
    )


def has_point(location: dict | None) -> bool:
    """Whether a location can go on the map: both coordinates present and plausible."""
    if not location:
        return False
    lat, lon = location.get("lat"), location.get("lon")
    return (
        isinstance(lat, int | float)
        and isinstance(lon, int | float)
        and not isinstance(lat, bool)
        and not isinstance(lon, bool)
        and math.isfinite(lat)
        and math.isfinite(lon)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
    )


def place_city(label: str) -> tuple[str, str] | None:
    """("Austin", "TX") from a place label such as "Austin, TX 78701" or "Austin, TX"."""
    match = re.fullmatch(r"\s*(.+?),\s*([A-Za-z]{2})(?:\s+\d{5})?\s*", label or "")
    return (match[1], match[2].upper()) if match else None


@dataclass(frozen=True)
class SearchLink:
    """The canonical page parameters; `href()` renders a /search link with some of them changed."""

    near: str | None = None
    radius: float = 25.0
    specialty: str | None = None
    procedure: str | None = "microneedling"
    q: str | None = None
    page: int = 1
    per_page: int = PER_PAGE_DEFAULT

    @classmethod
    def for_request(cls, req: SearchRequest, **changes: Any) -> SearchLink:
        """The link parameters of a validated search request, with some of them changed."""
        values = {name: getattr(req, name) for name in cls.__dataclass_fields__}
        return cls(**{**values, **changes})

    def href(self, **changes: Any) -> str:
        values = {**self.__dict__, **changes}
        params: list[tuple[str, str]] = []
        if values["near"]:
            params.append(("near", values["near"]))
        params.append(("radius", f"{values['radius']:g}"))
        if values["specialty"]:
            params.append(("specialty", values["specialty"]))
        params.append(("procedure", values["procedure"] or PROCEDURE_ANY))
        if values["q"]:
            params.append(("q", values["q"]))
        if values["page"] != 1:
            params.append(("page", str(values["page"])))
        if values["per_page"] != PER_PAGE_DEFAULT:
            params.append(("per_page", str(values["per_page"])))
        return "/search?" + urlencode(params)


def search_summary(link: SearchLink) -> str:
    """The search in a few words, for the compact summary above the results."""
    parts = [f"within {link.radius:g} miles" if link.near else "anywhere"]
    parts.append(specialty_label(link.specialty) if link.specialty else "any specialty")
    if link.q:
        parts.append(f"“{link.q}”")
    parts.append("offers microneedling" if link.procedure else "everyone")
    text = " · ".join(parts)
    return text[0].upper() + text[1:]


def lay_term_uses(q: str | None) -> str | None:
    """Which skin problems in the patient's words were read as "microneedling", in words:
    "acne scars" -> "acne scars", so the page can say why those results are shown."""
    if not q:
        return None
    typed = f" {normalise_phrase(q)} "
    found: list[str] = []
    for phrase in lay_terms():
        if f" {phrase} " in typed:
            typed = typed.replace(f" {phrase} ", " ")
            if any(word in _CONDITION_WORDS for word in phrase.split()):
                found.append(phrase)
    return " and ".join(found) or None


def lay_term_names(q: str | None) -> list[str]:
    """Other names and devices for microneedling in the patient's words ("skin needling", "skinpen")."""
    if not q:
        return []
    typed = f" {normalise_phrase(q)} "
    found: list[str] = []
    for phrase in lay_terms():
        if f" {phrase} " in typed:
            typed = typed.replace(f" {phrase} ", " ")
            words = phrase.split()
            if not any(w in _CONDITION_WORDS for w in words) and "".join(words) != "microneedling":
                found.append(phrase)
    return found


def nearest_summary(found: list[tuple[str, float | None]]) -> str | None:
    """(city, miles) of the nearest matches, nearest first -> "2 in Boulder, CO, 434 miles; 1 in
    Louisville, CO, 441 miles": grouped by city, each with its nearest distance."""
    groups: dict[str, list[float]] = {}
    for city, miles in found:
        if city and miles is not None:
            groups.setdefault(city, []).append(miles)
    if not groups:
        return None
    return "; ".join(
        f"{len(miles)} in {city}, {min(miles):.0f} miles" for city, miles in groups.items()
    )


MAP_LABELS = 14  # place names drawn on the offline map


def map_labels(place: dict | None, locations: list[dict], nearby: list[tuple[str, str]]) -> list:
    """[city, lat, lon] labels for the offline map: the cities of the shown locations, then nearby
    real cities (from the gazetteer), but not the searched one; at most MAP_LABELS, no repeats."""
    from index.geo import city_latlon

    wanted: list[tuple[str, str]] = []
    # The searched place has its own marker and label; its city's name would sit under it.
    searched = place_city((place or {}).get("label") or "")
    for location in locations:
        if location and location.get("city") and location.get("state"):
            wanted.append((location["city"], location["state"]))
    wanted += nearby
    labels: list = []
    seen: set[tuple[str, str]] = set()
    if searched:
        seen.add((searched[0].lower(), searched[1].upper()))
    for city, state in wanted:
        key = (city.lower(), state.upper())
        if key in seen:
            continue
        seen.add(key)
        point = city_latlon(city, state)
        if point is not None:
            labels.append([city, round(point[0], 4), round(point[1], 4)])
        if len(labels) == MAP_LABELS:
            break
    return labels


def wider_radius(radius: float) -> float | None:
    """The next radius worth suggesting when nothing was found, or None at the maximum."""
    for choice in RADIUS_CHOICES:
        if choice > radius:
            return float(choice)
    return RADIUS_MAX if radius < RADIUS_MAX else None


def zero_result_options(link: SearchLink) -> list[tuple[str, str]]:
    """Ways out of an empty result page, most useful first: (label, href)."""
    options: list[tuple[str, str]] = []
    wider = wider_radius(link.radius) if link.near else None
    if wider is not None:
        options.append((f"Search within {wider:g} miles instead", link.href(radius=wider, page=1)))
    if link.procedure:
        options.append(
            (
                "Show all nearby dermatologists and surgeons — may offer, call to ask",
                link.href(procedure=None, page=1),
            )
        )
    if link.specialty:
        options.append(("Search every specialty", link.href(specialty=None, page=1)))
    if link.q:
        options.append((f"Search without “{link.q}”", link.href(q=None, page=1)))
    return options


def page_numbers(total: int, page: int, per_page: int, window: int = 2) -> list[int | None]:
    """Pages to link, with None marking a gap: [1, None, 4, 5, 6, None, 12]."""
    last = max(1, math.ceil(total / per_page)) if per_page > 0 else 1
    shown = {1, last, *range(max(1, page - window), min(last, page + window) + 1)}
    numbers: list[int | None] = []
    previous = 0
    for number in sorted(shown):
        if number - previous > 1:
            numbers.append(None)
        numbers.append(number)
        previous = number
    return numbers

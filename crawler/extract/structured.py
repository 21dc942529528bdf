"""schema.org data (JSON-LD, microdata, RDFa via extruct) -> people, practice names, addresses, phones.

Ratings and reviews are never read: they are marketing, not facts about who offers what.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import extruct

from crawler.extract.contact import merge_addresses
from crawler.extract.html_text import parse_html
from crawler.extract.normalise import (
    collapse_ws,
    normalise_state,
    normalise_zip,
    npi_is_valid,
    phone_e164,
    specialties_from_text,
)
from crawler.extract.people import Person, person_from_name, role_from_phrase

PERSON_TYPES = frozenset({"Person", "Physician", "Dermatologist"})
PRACTICE_TYPES = frozenset(
    {
        "MedicalClinic", "MedicalBusiness", "MedicalOrganization", "Physician", "Dentist",
        "LocalBusiness", "HealthAndBeautyBusiness", "DaySpa", "BeautySalon", "Organization",
        "Hospital", "MedicalSpecialty", "Dermatology", "PlasticSurgery", "Optician",
    }
)  # fmt: skip
_IGNORED_KEYS = frozenset({"aggregateRating", "review", "reviews", "rating", "reviewRating"})
_NESTED_PEOPLE_KEYS = (
    "employee",
    "employees",
    "member",
    "members",
    "founder",
    "physician",
    "author",
    "staff",
)
_SCHEMA_PREFIX = re.compile(r"^https?://schema\.org/")


@dataclass
class StructuredData:
    """What a page's schema.org markup says about practices and people."""

    practice_names: list[str] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    addresses: list[dict] = field(default_factory=list)
    telephones: list[str] = field(default_factory=list)
    specialties: list[str] = field(default_factory=list)
    person_specialties: dict[str, list[str]] = field(default_factory=dict)  # person key -> slugs


def _short(value: str) -> str:
    return _SCHEMA_PREFIX.sub("", value)


def _from_rdfa(node: Any) -> Any:
    """RDFa (expanded JSON-LD) -> the compact shape JSON-LD and microdata already have."""
    if isinstance(node, list):
        values = [_from_rdfa(item) for item in node]
        return values[0] if len(values) == 1 else values
    if not isinstance(node, dict):
        return node
    if "@value" in node:
        return node["@value"]
    compact: dict[str, Any] = {}
    for key, value in node.items():
        if key == "@type":
            types = value if isinstance(value, list) else [value]
            compact["@type"] = [_short(t) for t in types]
        elif key.startswith("@"):
            compact[key] = value
        else:
            compact[_short(key)] = _from_rdfa(value)
    return compact


def _types(node: dict) -> set[str]:
    raw = node.get("@type") or []
    types = raw if isinstance(raw, list) else [raw]
    return {_short(str(t)) for t in types}


def _walk(node: Any) -> Iterator[dict]:
    """Every schema.org object in `node`, depth first, skipping ratings and reviews."""
    if isinstance(node, list):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, dict):
        if "@type" in node:
            yield node
        for key, value in node.items():
            if key not in _IGNORED_KEYS and (isinstance(value, (dict, list))):
                yield from _walk(value)


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, (str, int))), None)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if isinstance(value, (str, int)):
        text = collapse_ws(str(value))
        return text or None
    return None


def _texts(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [t for t in (_text(v) for v in values) if t]


def _address(value: Any) -> dict | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, dict):
        return None
    street = _text(value.get("streetAddress"))
    city = _text(value.get("addressLocality"))
    state = normalise_state(_text(value.get("addressRegion")))
    postal_code = normalise_zip(_text(value.get("postalCode")))
    if not (street or city or postal_code):
        return None
    return {
        "street": street,
        "city": city,
        "state": state,
        "postal_code": postal_code,
        "phone": None,
    }


def _npi(value: Any) -> str | None:
    """An NPI from schema.org `identifier`: a PropertyValue with propertyID "NPI", or a bare NPI."""
    values = value if isinstance(value, list) else [value]
    for entry in values:
        if isinstance(entry, dict):
            kind = str(entry.get("propertyID") or entry.get("name") or "")
            candidate = str(entry.get("value") or "").strip()
            if "npi" in kind.lower() and npi_is_valid(candidate):
                return candidate
        elif isinstance(entry, (str, int)) and npi_is_valid(str(entry).strip()):
            return str(entry).strip()
    return None


def _specialty_slugs(value: Any) -> list[str]:
    slugs: list[str] = []
    for text in _texts(value):
        # "https://schema.org/PlasticSurgery" -> "Plastic Surgery"
        words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", _short(text))
        for slug in specialties_from_text(words):
            if slug not in slugs:
                slugs.append(slug)
    return slugs


def _add_unique(target: list, value: Any) -> None:
    if value and value not in target:
        target.append(value)


def structured_from_items(items: list[dict]) -> StructuredData:
    """Read schema.org objects (already compacted) into StructuredData."""
    data = StructuredData()
    for node in _walk(items):
        types = _types(node)
        name = _text(node.get("name"))
        person: Person | None = None
        if types & PERSON_TYPES:
            if not name and (node.get("givenName") or node.get("familyName")):
                name = " ".join(
                    t for t in (_text(node.get("givenName")), _text(node.get("familyName"))) if t
                )
            if name:
                person = person_from_name(name, _texts(node.get("honorificSuffix")))
            if person and person.role == "other":
                hint = next(
                    (r for r in map(role_from_phrase, _texts(node.get("jobTitle"))) if r), None
                )
                if hint:
                    person.role_hint = person.role = hint
            if person:
                person.npi = _npi(node.get("identifier"))
            if person and "Physician" in types and not person.credentials:
                # An explicitly typed Physician with no credentials to contradict the markup.
                person.role, person.is_physician, person.typed_physician = "physician", True, True
        if person:
            existing = next((p for p in data.people if p.key == person.key), None)
            if existing:
                existing.merge(person)
            else:
                data.people.append(person)
            for slug in _specialty_slugs(node.get("medicalSpecialty")):
                _add_unique(data.person_specialties.setdefault(person.key, []), slug)
        elif types & PRACTICE_TYPES and name:
            _add_unique(data.practice_names, name)
        for slug in _specialty_slugs(node.get("medicalSpecialty")):
            _add_unique(data.specialties, slug)
        telephones = [t for t in map(phone_e164, _texts(node.get("telephone"))) if t]
        address = _address(node.get("address"))
        if address and not person:
            # A clinic's own telephone goes with its own address (one entity per location).
            address["phone"] = telephones[0] if telephones else None
        if address:
            merge_addresses(data.addresses, [address])
        for telephone in telephones:
            _add_unique(data.telephones, telephone)
        for key in _NESTED_PEOPLE_KEYS:
            value = node.get(key)
            if isinstance(value, str) and key in ("physician", "employee", "member"):
                nested = person_from_name(value)
                if nested and all(p.key != nested.key for p in data.people):
                    data.people.append(nested)
    return data


def json_ld_items(html: str) -> list[dict]:
    """Every JSON-LD object on the page; one broken script does not hide the others."""
    root = parse_html(html)
    if root is None:
        return []
    items: list[dict] = []
    for script in root.xpath("//script[contains(translate(@type,'LDJSON','ldjson'),'ld+json')]"):
        text = (script.text or "").strip()
        text = re.sub(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$", "", text)
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            continue
        items.extend(
            d
            for d in (document if isinstance(document, list) else [document])
            if isinstance(d, dict)
        )
    return items


def structured_from_html(html: str, url: str) -> StructuredData:
    """schema.org facts on a page; malformed markup yields what could be read, never an exception."""
    items: list[dict] = json_ld_items(html)
    try:
        raw = extruct.extract(
            html, base_url=url, syntaxes=["microdata", "rdfa"], uniform=True, errors="ignore"
        )
    except (ValueError, TypeError):  # extruct on an unparsable document
        raw = {}
    items += list(raw.get("microdata") or [])
    items += [_from_rdfa(node) for node in raw.get("rdfa") or []]
    return structured_from_items(items)

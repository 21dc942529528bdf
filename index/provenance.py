"""Per-field provenance of a listing: for every published field, which observation supplied it (its
source, URL, first and last seen) and which rule chose it; an admin override replaces the entry
with who decided, when and why. Pure: handed the stored observations materialise ranked.

Keys are field paths: "name", "credentials", "specialties", "npi", "npi_status", "website",
"microneedling_evidence", "last_verified", and per office "locations[0].street",
"locations[0].phone", "locations[0].practice". Values: {"source", "url", "first_seen",
"last_seen", "rule"} (source "admin" for an override).

Owns: RULES, listing_provenance, override_provenance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from index.contact_keys import street_key, zip5
from index.records import Listing, Observation

RULES = {
    "identity": "NPPES is the authority for a practitioner's name and NPI",
    "priority": "best source first (NPPES, CMS, practice website, directory), newest first",
    "website": "the practice website's own address first, then by source priority",
    "evidence": "a verbatim quote from the practice's own page",
    "registry": "the latest NPPES registry record",
    "office": "offices merged by address: the best source's value, gaps filled by the next",
    "override": "admin override",
}
LOCATION_KEYS = ("street", "phone", "practice")


def _entry(stored: Any, rule: str) -> dict[str, Any]:
    observation: Observation = stored.observation
    return {
        "source": observation.source,
        "url": observation.url,
        "first_seen": stored.first_seen,
        "last_seen": stored.last_seen,
        "rule": rule,
    }


def _first(ranked: Sequence[Any], supplies: Any, rule: str) -> dict[str, Any] | None:
    for stored in ranked:
        if supplies(stored.observation.payload):
            return _entry(stored, rule)
    return None


def _office_key(location: dict) -> tuple:
    key = (street_key(location.get("street"), None) or "", zip5(location.get("postal_code")) or "")
    if key == ("", ""):
        return ("city", (location.get("city") or "").lower(), (location.get("state") or "").upper())
    return key


def _location_sources(listing: Listing, ranked: Sequence[Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for number, location in enumerate(listing.locations):
        key = _office_key(location)
        for field in LOCATION_KEYS:
            value = location.get(field)
            if value in (None, ""):
                continue
            for stored in ranked:
                payload = stored.observation.payload
                for raw in payload.get("locations") or []:
                    supplied = raw.get(field)
                    if field == "practice":
                        supplied = supplied or payload.get("practice_name")
                    if _office_key(raw) == key and supplied == value:
                        found[f"locations[{number}].{field}"] = _entry(stored, RULES["office"])
                        break
                if f"locations[{number}].{field}" in found:
                    break
    return found


def listing_provenance(
    listing: Listing,
    ranked: Sequence[Any],
    primary: Any,
    practices: Sequence[Any] = (),
) -> dict[str, dict[str, Any]]:
    """Where each field of a just-materialised listing came from. `ranked` are the person's stored
    observations best first (materialise's order), `primary` the one the name was taken from,
    `practices` the practice observations whose evidence counts for them."""
    provenance: dict[str, dict[str, Any]] = {}
    primary_rule = RULES["identity"] if primary.observation.source == "nppes" else RULES["priority"]
    provenance["name"] = _entry(primary, primary_rule)
    for field in ("credentials", "specialties"):
        if not getattr(listing, field):
            continue
        if primary.observation.payload.get(field):
            provenance[field] = _entry(primary, primary_rule)
        else:
            entry = _first(ranked, lambda payload, f=field: payload.get(f), RULES["priority"])
            if entry:
                provenance[field] = entry
    if listing.npi:
        entry = _first(ranked, lambda payload: payload.get("npi") == listing.npi, RULES["identity"])
        if entry:
            provenance["npi"] = entry
    registry = [s for s in ranked if s.observation.source == "nppes"]
    latest = max(registry, key=lambda s: s.observation.fetched_at) if registry else None
    if latest is not None:
        if listing.npi_status:
            provenance["npi_status"] = _entry(latest, RULES["registry"])
        if listing.last_verified:
            provenance["last_verified"] = _entry(latest, RULES["registry"])
    if listing.website:
        by_site = sorted(ranked, key=lambda s: s.observation.source != "practice_site")
        entry = _first(by_site, lambda p: p.get("website") == listing.website, RULES["website"])
        if entry:
            provenance["website"] = entry
    evidence = listing.microneedling_evidence or {}
    if evidence.get("quote"):
        rule = RULES["evidence"] + (f" ({evidence['basis']})" if evidence.get("basis") else "")

        def quotes(payload: dict) -> bool:
            return any(
                item.get("quote") == evidence["quote"] and item.get("url") == evidence.get("url")
                for item in payload.get("evidence") or []
            )

        entry = _first([*ranked, *practices], quotes, rule)
        if entry:
            provenance["microneedling_evidence"] = entry
    provenance.update(_location_sources(listing, ranked))
    return provenance


def override_provenance(
    provenance: dict[str, dict[str, Any]], override: Any, field: str | None = None
) -> None:
    """An admin's override of `field` (default: the override's own field): its entry replaces the
    crawled one (for `locations`, every office field's)."""
    field = field or override.field
    if field == "locations":
        for key in [key for key in provenance if key.startswith("locations[")]:
            del provenance[key]
    reason = getattr(override, "reason", "") or ""
    provenance[field] = {
        "source": "admin",
        "url": None,
        "first_seen": override.created_at,
        "last_seen": override.created_at,
        "rule": f"{RULES['override']} by {getattr(override, 'author', None) or 'an admin'}"
        + (f": {reason}" if reason else ""),
    }

"""Per-field provenance of a listing: for every published field, which observation supplied it (its
source, URL, first and last seen) and which rule chose it; an admin override replaces the entry
with who decided, when and why. Pure: handed the stored observations materialise ranked.

Keys are field paths: "name", "credentials", "specialties", "npi", "npi_status", "website",
"microneedling_evidence", "last_verified", and per office "locations[0].street",
"locations[0].phone", "locations[0].practice". Values are compact, [where, rule]: `where` the
index of the observation in the listing's `sources` (or, for a practice's page or an admin, a
small dict), `rule` a records.PROVENANCE_RULES code (or, for an admin, a sentence);
`Listing.field_sources()` expands them for the API, the profile and the exports.

Owns: listing_provenance, override_provenance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from index.contact_keys import street_key, zip5
from index.records import PROVENANCE_RULES, Listing, Observation

LOCATION_KEYS = ("street", "phone", "practice")


class _Where:
    """Maps a stored observation to its place in the listing's sources (or a dict of its own)."""

    def __init__(self, listing: Listing) -> None:
        self._index = {
            (s.get("kind"), s.get("url"), s.get("first_seen"), s.get("last_seen")): number
            for number, s in reversed(list(enumerate(listing.sources)))
        }

    def entry(self, stored: Any, rule: str) -> list:
        observation: Observation = stored.observation
        key = (observation.source, observation.url, stored.first_seen, stored.last_seen)
        where = self._index.get(key)
        if where is None:
            where = dict(zip(("source", "url", "first_seen", "last_seen"), key, strict=True))
        return [where, rule]


def _first(ranked: Sequence[Any], supplies: Any, where: _Where, rule: str) -> list | None:
    for stored in ranked:
        if supplies(stored.observation.payload):
            return where.entry(stored, rule)
    return None


def _office_key(location: dict) -> tuple:
    key = (street_key(location.get("street"), None) or "", zip5(location.get("postal_code")) or "")
    if key == ("", ""):
        return ("city", (location.get("city") or "").lower(), (location.get("state") or "").upper())
    return key


def _location_sources(listing: Listing, ranked: Sequence[Any], where: _Where) -> dict[str, list]:
    found: dict[str, list] = {}
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
                        found[f"locations[{number}].{field}"] = where.entry(stored, "office")
                        break
                if f"locations[{number}].{field}" in found:
                    break
    return found


def listing_provenance(
    listing: Listing,
    ranked: Sequence[Any],
    primary: Any,
    practices: Sequence[Any] = (),
) -> dict[str, list]:
    """Where each field of a just-materialised listing came from. `ranked` are the person's stored
    observations best first (materialise's order), `primary` the one the name was taken from,
    `practices` the practice observations whose evidence counts for them."""
    where = _Where(listing)
    provenance: dict[str, list] = {}
    primary_rule = "identity" if primary.observation.source == "nppes" else "priority"
    provenance["name"] = where.entry(primary, primary_rule)
    for field in ("credentials", "specialties"):
        if not getattr(listing, field):
            continue
        if primary.observation.payload.get(field):
            provenance[field] = where.entry(primary, primary_rule)
        else:
            entry = _first(ranked, lambda payload, f=field: payload.get(f), where, "priority")
            if entry:
                provenance[field] = entry
    if listing.npi:
        entry = _first(ranked, lambda payload: payload.get("npi") == listing.npi, where, "identity")
        if entry:
            provenance["npi"] = entry
    registry = [s for s in ranked if s.observation.source == "nppes"]
    latest = max(registry, key=lambda s: s.observation.fetched_at) if registry else None
    if latest is not None:
        if listing.npi_status:
            provenance["npi_status"] = where.entry(latest, "registry")
        if listing.last_verified:
            provenance["last_verified"] = where.entry(latest, "registry")
    if listing.website:
        by_site = sorted(ranked, key=lambda s: s.observation.source != "practice_site")
        entry = _first(by_site, lambda p: p.get("website") == listing.website, where, "website")
        if entry:
            provenance["website"] = entry
    evidence = listing.microneedling_evidence or {}
    if evidence.get("quote"):

        def quotes(payload: dict) -> bool:
            return any(
                item.get("quote") == evidence["quote"] and item.get("url") == evidence.get("url")
                for item in payload.get("evidence") or []
            )

        entry = _first([*ranked, *practices], quotes, where, "evidence")
        if entry:
            provenance["microneedling_evidence"] = entry
    provenance.update(_location_sources(listing, ranked, where))
    return provenance


def override_provenance(
    provenance: dict[str, list], override: Any, field: str | None = None
) -> None:
    """An admin's override of `field` (default: the override's own field): its entry replaces the
    crawled one (for `locations`, every office field's)."""
    field = field or override.field
    if field == "locations":
        for key in [key for key in provenance if key.startswith("locations[")]:
            del provenance[key]
    reason = getattr(override, "reason", "") or ""
    who = getattr(override, "author", None) or "an admin"
    provenance[field] = [
        {
            "source": "admin",
            "url": None,
            "first_seen": override.created_at,
            "last_seen": override.created_at,
        },
        f"{PROVENANCE_RULES['override']} by {who}" + (f": {reason}" if reason else ""),
    ]

"""The profile's "Where each fact comes from": a listing's per-field provenance (index.provenance)
as one plain line per field, e.g. "Phone (Lakeside Dermatology) — the practice website, seen
2026-11-20". Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.records import Listing
from search_web.present import safe_http_url, source_label

FIELD_LABELS = {
    "name": "Name",
    "credentials": "Credentials",
    "specialties": "Specialties",
    "npi": "NPI",
    "npi_status": "NPI status",
    "website": "Website",
    "offers_microneedling": "Offers microneedling",
    "microneedling_evidence": "Microneedling quote",
    "last_verified": "Last verified",
    "locations": "Locations",
    "hidden": "Shown in the directory",
}
LOCATION_LABELS = {"street": "Address", "phone": "Phone", "practice": "Practice name"}
_LOCATION_FIELD = re.compile(r"^locations\[(\d+)\]\.(\w+)$")


@dataclass(frozen=True)
class ProvenanceLine:
    label: str
    source: str  # "the NPPES registry", "an admin"
    url: str | None  # safe to link, or None
    seen: str | None  # ISO date-time the value was last seen (or decided)
    rule: str


def provenance_lines(listing: Listing) -> list[ProvenanceLine]:
    lines = []
    for key, entry in listing.field_sources().items():
        match = _LOCATION_FIELD.match(key)
        if match:
            number, field = int(match.group(1)), match.group(2)
            office = listing.locations[number] if number < len(listing.locations) else {}
            where = office.get("practice") or office.get("street") or f"office {number + 1}"
            label = f"{LOCATION_LABELS.get(field, field)} ({where})"
        else:
            label = FIELD_LABELS.get(key, key.replace("_", " ").capitalize())
        kind = entry.get("source")
        lines.append(
            ProvenanceLine(
                label=label,
                source="an admin" if kind == "admin" else source_label(kind),
                url=safe_http_url(entry.get("url")),
                seen=entry.get("last_seen"),
                rule=entry.get("rule") or "",
            )
        )
    return lines

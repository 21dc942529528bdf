"""Listings -> Open Referral HSDS 3.0 rows, keyed by the official resource names and columns.

The model: a practice is an `organization`; each physical office is one `location` (with its
`address` and `phone`), shared by every practitioner who works there, whoever listed it first; a
practitioner whose own page offers microneedling (a positive verbatim quote) gives one `service`
of the practice, delivered at their offices (`service_at_location`), whose description carries the
quote and its page and whose `assured_date` is when the quote was last seen. The NPI is an
`organization_identifier` of the practice (its `identifier_type` says whose NPI it is) and an
`attribute` of the service under the documented "US National Provider Identifier" taxonomy.
Per-field provenance becomes `metadata` rows: for a service's description and assured_date, an
office's name, address and phone, an organization's website and the NPI identifier, which observation (source and URL, when
last seen) and which rule supplied it.

An office is its normalised street address (street, city, state, ZIP); without a street, the
practice name in a city. Its organization is the practice name most listings give for it (a
listing that names none joins the named practice at the same office); a practitioner with no
practice name anywhere is their own organization. Ids are UUIDv5 of those keys, so re-exports
keep them. Pure: no I/O; the caller passes listings and the base URL.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from index.records import Listing

SERVICE_NAME = "Microneedling (collagen induction therapy)"
# A fixed namespace makes every HSDS id reproducible from the data alone.
HSDS_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:skinmap:hsds:v1")
NPI_TAXONOMY = {
    "name": "US National Provider Identifier",
    "description": "The 10-digit NPI of an individual practitioner (NPI-1), assigned by CMS "
    "through NPPES; the attribute's value is the NPI.",
    "uri": "https://npiregistry.cms.hhs.gov/",
}
NPI_TERM = {
    "code": "NPI-1",
    "name": "Practitioner NPI",
    "description": "The NPI of the practitioner who delivers this service.",
}
NPI_IDENTIFIER_TYPE = "US National Provider Identifier (NPI)"


def hsds_id(*parts: str) -> str:
    return str(uuid.uuid5(HSDS_NAMESPACE, "|".join(parts)))


def norm(text: str | None) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).split())


def display_name(listing: Listing) -> str:
    return ", ".join([listing.name, *listing.credentials])


def office_key(listing: Listing, location: dict) -> str:
    """One physical office, whoever lists it: the address, else the practice in a city."""
    state = (location.get("state") or "").upper()
    if norm(location.get("street")):
        parts = [norm(location.get(key)) for key in ("street", "city", "postal_code")]
        return "office|" + "|".join([*parts, state])
    if norm(location.get("practice")):
        return f"office|{norm(location.get('practice'))}|{norm(location.get('city'))}|{state}"
    return f"office|solo|{listing.id}|{norm(location.get('city'))}|{state}"


@dataclass
class HsdsDataset:
    """The rows of every HSDS table the directory fills, in a deterministic order."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # service id -> its listing's id (the API filters on the listing's dates)
    listing_of_service: dict[str, str] = field(default_factory=dict)

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.tables.setdefault(table, [])

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows(table).append({key: value for key, value in row.items() if value is not None})

    def by_id(self, table: str) -> dict[str, dict[str, Any]]:
        return {row["id"]: row for row in self.rows(table)}


def _service_description(listing: Listing, evidence: dict) -> str:
    who = display_name(listing) + (f" (NPI {listing.npi})" if listing.npi else "")
    text = f"{who} offers microneedling. Evidence: “{evidence.get('quote')}”"
    if evidence.get("url"):
        text += f" ({evidence['url']}"
        text += f", seen {evidence['seen_at'][:10]})" if evidence.get("seen_at") else ")"
    return text


SOURCE_NAMES = {
    "nppes": "NPI Registry (NPPES)",
    "cms": "CMS Doctors and Clinicians",
    "practice_site": "practice website",
    "directory": "directory listing",
    "admin": "skinmap admin",
}


def metadata_row(
    listing: Listing, key: str, resource_id: str, resource_type: str, field_name: str, value: Any
) -> dict[str, Any] | None:
    """An HSDS `metadata` row saying which observation and rule supplied a published field, or
    None when the listing records no source for it. (The previous value is not kept by the
    directory, so it reads "not recorded".)"""
    entry = listing.field_sources().get(key)
    when = entry and (entry.get("last_seen") or entry.get("first_seen"))
    if not entry or not when or value in (None, ""):
        return None
    who = SOURCE_NAMES.get(entry.get("source") or "", entry.get("source") or "source")
    return {
        "id": hsds_id("metadata", resource_id, field_name),
        "resource_id": resource_id,
        "resource_type": resource_type,
        "last_action_date": when[:10],
        "last_action_type": entry.get("rule") or "observed",
        "field_name": field_name,
        "previous_value": "not recorded",
        "replacement_value": str(value),
        "updated_by": f"{who}: {entry['url']}" if entry.get("url") else who,
    }


def _offers(listing: Listing) -> bool:
    evidence = listing.microneedling_evidence or {}
    return listing.offers_microneedling is True and bool(evidence.get("quote"))


def build_dataset(listings: Iterable[Listing], base_url: str = "") -> HsdsDataset:
    """Every HSDS row for these listings (read once, held in memory: one small row per entity)."""
    people = list(listings)
    dataset = HsdsDataset()
    # Pass 1: which practice names each office is given, so one office gets one organization.
    office_names: dict[str, Counter[str]] = {}
    display: dict[str, str] = {}
    for listing in people:
        for location in listing.locations:
            names = office_names.setdefault(office_key(listing, location), Counter())
            if norm(location.get("practice")):
                names[norm(location["practice"])] += 1
                display.setdefault(norm(location["practice"]), location["practice"].strip())

    organizations: dict[str, dict[str, Any]] = {}
    seen_rows: set[str] = set()

    def organization(
        key: str, name: str, description: str, website: str | None, listing: Listing
    ) -> str:
        org_id = hsds_id("organization", key)
        row = organizations.get(org_id)
        if row is None:
            row = organizations[org_id] = {"id": org_id, "name": name, "description": description}
        if website and not row.get("website"):
            # The first practitioner of the practice who names a website supplies it.
            row["website"] = website
            source = metadata_row(listing, "website", org_id, "organization", "website", website)
            if source is not None:
                dataset.add("metadata", source)
        return org_id

    def once(row_id: str) -> bool:
        if row_id in seen_rows:
            return False
        seen_rows.add(row_id)
        return True

    taxonomy_id = term_id = None
    for listing in sorted(people, key=lambda person: person.id):
        own_names = [norm(loc.get("practice")) for loc in listing.locations if loc.get("practice")]
        offices: list[tuple[str, str, str]] = []  # (org id, location id, practice key)
        for location in listing.locations:
            key = office_key(listing, location)
            counted = office_names.get(key) or Counter()
            practice = min(counted, key=lambda n: (-counted[n], n)) if counted else ""
            practice = practice or (own_names[0] if own_names else "")
            state = (location.get("state") or "").upper()
            place = ", ".join(p for p in (location.get("city"), state) if p)
            if practice:
                name = display[practice]
                org_id = organization(
                    f"practice|{practice}|{state}",
                    name,
                    f"{name}, a medical practice" + (f" in {place}" if place else "") + ".",
                    listing.website,
                    listing,
                )
            else:
                name = display_name(listing)
                org_id = organization(
                    f"solo|{listing.id}",
                    name,
                    f"The practice of {name}" + (f" in {place}" if place else "") + ".",
                    listing.website,
                    listing,
                )
            loc_id = hsds_id("location", key)
            offices.append((org_id, loc_id, practice))
            if not once(loc_id):
                continue
            number = listing.locations.index(location)
            provenance_rows = [
                metadata_row(
                    listing, f"locations[{number}].practice", loc_id, "location", "name", name
                )
            ]
            dataset.add(
                "location",
                {
                    "id": loc_id,
                    "location_type": "physical",
                    "organization_id": org_id,
                    "name": name,
                    "latitude": location.get("lat"),
                    "longitude": location.get("lon"),
                },
            )
            if all(location.get(k) for k in ("street", "city", "postal_code")) and state:
                dataset.add(
                    "address",
                    {
                        "id": hsds_id("address", loc_id),
                        "location_id": loc_id,
                        "address_1": location["street"],
                        "city": location["city"],
                        "state_province": state,
                        "postal_code": location["postal_code"],
                        "country": "US",
                        "address_type": "physical",
                    },
                )
                provenance_rows.append(
                    metadata_row(
                        listing,
                        f"locations[{number}].street",
                        hsds_id("address", loc_id),
                        "address",
                        "address_1",
                        location["street"],
                    )
                )
            if location.get("phone"):
                dataset.add(
                    "phone",
                    {
                        "id": hsds_id("phone", loc_id, location["phone"]),
                        "location_id": loc_id,
                        "number": location["phone"],
                        "type": "voice",
                    },
                )
                provenance_rows.append(
                    metadata_row(
                        listing,
                        f"locations[{number}].phone",
                        hsds_id("phone", loc_id, location["phone"]),
                        "phone",
                        "number",
                        location["phone"],
                    )
                )
            for row in provenance_rows:
                if row is not None:
                    dataset.add("metadata", row)
        if not offices:
            name = display_name(listing)
            org_id = organization(
                f"solo|{listing.id}", name, f"The practice of {name}.", None, listing
            )
            offices.append((org_id, "", ""))
        if listing.npi:
            for org_id in dict.fromkeys(org for org, _, _ in offices):
                if once(f"npi|{org_id}|{listing.npi}"):
                    identifier_id = hsds_id("organization_identifier", org_id, listing.npi)
                    row = metadata_row(
                        listing,
                        "npi",
                        identifier_id,
                        "organization_identifier",
                        "identifier",
                        listing.npi,
                    )
                    if row is not None:
                        dataset.add("metadata", row)
                    dataset.add(
                        "organization_identifier",
                        {
                            "id": identifier_id,
                            "organization_id": org_id,
                            "identifier_type": f"{NPI_IDENTIFIER_TYPE} of {display_name(listing)}",
                            "identifier": listing.npi,
                        },
                    )
        if not _offers(listing):
            continue
        evidence = listing.microneedling_evidence or {}
        named = [
            office
            for office in offices
            if office[2] and office[2] == norm(evidence.get("practice"))
        ]
        chosen = named or offices
        service_id = hsds_id("service", listing.id)
        dataset.listing_of_service[service_id] = listing.id
        url = (
            f"{base_url.rstrip('/')}/practitioners/{listing.id}"
            if base_url
            else evidence.get("url")
        )
        dataset.add(
            "service",
            {
                "id": service_id,
                "organization_id": chosen[0][0],
                "name": SERVICE_NAME,
                "alternate_name": f"Microneedling with {display_name(listing)}",
                "description": _service_description(listing, evidence),
                "url": url,
                "status": "active",
                "assured_date": (evidence.get("seen_at") or listing.last_verified or "")[:10]
                or None,
                "last_modified": listing.last_seen,
            },
        )
        for key, field_name, value in (
            ("microneedling_evidence", "description", evidence.get("quote")),
            ("microneedling_evidence", "assured_date", evidence.get("seen_at")),
        ):
            row = metadata_row(listing, key, service_id, "service", field_name, value)
            if row is not None:
                dataset.add("metadata", row)
        for _, loc_id, _ in chosen:
            if loc_id and once(f"sal|{service_id}|{loc_id}"):
                dataset.add(
                    "service_at_location",
                    {
                        "id": hsds_id("service_at_location", service_id, loc_id),
                        "service_id": service_id,
                        "location_id": loc_id,
                        "description": f"{display_name(listing)} at this office.",
                    },
                )
        if listing.npi:
            if taxonomy_id is None:
                taxonomy_id = hsds_id("taxonomy", "npi")
                term_id = hsds_id("taxonomy_term", "npi-1")
                dataset.add("taxonomy", {"id": taxonomy_id, **NPI_TAXONOMY})
                dataset.add(
                    "taxonomy_term",
                    {"id": term_id, "taxonomy_id": taxonomy_id, **NPI_TERM},
                )
            dataset.add(
                "attribute",
                {
                    "id": hsds_id("attribute", service_id, "npi"),
                    "link_id": service_id,
                    "link_type": "identifier",
                    "link_entity": "service",
                    "taxonomy_term_id": term_id,
                    "value": listing.npi,
                },
            )
    for row in organizations.values():
        dataset.add("organization", row)
    return dataset

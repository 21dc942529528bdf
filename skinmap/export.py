"""Open-data export of the live directory (`skinmap export`): NDJSON, CSV, schema.org JSON-LD and HSDS.

Export reads the LIVE index generation (`index/CURRENT` -> `gen-<n>/listings.jsonl`), i.e. exactly
what the public sees; hidden listings never leave. Every writer streams: it takes an iterable of
`Listing` and writes as it goes, so memory does not grow with the number of practitioners (HSDS keeps
the ids already written, to de-duplicate shared practices, and one small row per organization).

Formats
-------
ndjson  One API `Result` (`Listing.to_result()`) per line, UTF-8.
csv     One row per practitioner-location (a listing without locations gives one row with empty
        address cells); columns in `CSV_COLUMNS`; lists joined with ";". Cells that a spreadsheet
        would run as a formula (starting with = + - @ tab or CR) get a leading single quote, except
        a cell that is exactly a signed decimal number (US longitudes are negative, E.164 phones
        start with +): spreadsheets read those as numbers, never as formulas.
jsonld  `{"@context": "https://schema.org", "@graph": [Physician, ...]}`. A Physician carries name,
        url/@id (the profile page), identifier (NPI as a PropertyValue), medicalSpecialty
        (schema.org MedicalSpecialty names), address (PostalAddress list), telephone, geo
        (GeoCoordinates list), and - only when the directory holds a positive quote -
        availableService: a MedicalProcedure "Microneedling" whose subjectOf is the WebPage the quote
        was taken from (url, text = the verbatim quote, lastReviewed = when it was seen).
hsds    Open Referral HSDS 3.0 tabular data package: a directory (or a .zip when the path ends in
        .zip) of CSV files plus `datapackage.json` describing them:

        organizations.csv        id, name, alternate_name, description, email, website, url
        services.csv             id, organization_id, name, alternate_name, description, url, email,
                                 status, assured_date, last_modified
        locations.csv            id, location_type, url, organization_id, name, description,
                                 latitude, longitude
        service_at_location.csv  id, service_id, location_id, description
        phones.csv               id, location_id, number, type, description
        addresses.csv            id, location_id, attention, address_1, address_2, city, region,
                                 state_province, postal_code, country, address_type

        Mapping: a practice (a location's practice name, within one state) is an organization; each
        distinct practice address is a location of it (location_type "physical") with one
        "physical" address (only when a street is known, since HSDS requires address_1) and its
        phone ("voice"). A practitioner with no practice name stands as their own organization.
        Each practitioner whose listing offers microneedling (a positive verbatim quote) gives one
        service "Microneedling (collagen induction therapy)" at the practice named by the evidence
        (at all their practices when the evidence names none of them), linked to that practice's
        locations through service_at_location; its description names the practitioner and cites the
        quote and page. Listings that do not offer it contribute organizations and locations only.
        `website` is HSDS 3.0's organization URL field; `url` repeats it for HSDS 2.x consumers.
        Ids are UUIDv5 under a fixed namespace, derived from listing ids and normalised practice and
        address keys, so re-exports give the same ids and consumers can sync by id. Cells get the
        same formula neutralisation as the flat CSV.

`modified_after` keeps listings whose last_seen or last_verified is at or after the given instant
(an ISO date means midnight UTC; a time without an offset is read as UTC).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from index.build import LISTINGS_FILE, current_generation, index_dir
from index.patches import PATCHES_FILE, read_patches
from index.records import Listing

FORMATS = ("ndjson", "csv", "jsonld", "hsds")

CSV_COLUMNS = (
    "id",
    "name",
    "credentials",
    "specialties",
    "npi",
    "offers_microneedling",
    "evidence_quote",
    "evidence_url",
    "evidence_seen_at",
    "practice",
    "street",
    "city",
    "state",
    "postal_code",
    "phone",
    "lat",
    "lon",
    "last_seen",
    "last_verified",
    "profile_url",
)

# Spreadsheet formula triggers (OWASP "CSV injection"): = + - @ and the tab/CR that some apps strip.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")

SERVICE_NAME = "Microneedling (collagen induction therapy)"
# A fixed namespace makes every HSDS id reproducible from the data alone.
HSDS_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:skinmap:hsds:v1")

# schema.org MedicalSpecialty enumeration members for our specialty slugs.
SCHEMA_ORG_SPECIALTY = {
    "dermatology": "Dermatology",
    "mohs-surgery": "Dermatology",
    "plastic-surgery": "PlasticSurgery",
    "facial-plastic-surgery": "PlasticSurgery",
    "cosmetic-surgery": "PlasticSurgery",
    "oculoplastic-surgery": "PlasticSurgery",
}


class ExportError(Exception):
    """An export the user can fix; the message says what to do."""


class NoIndex(ExportError):
    """No live index generation exists yet."""


class BadTimestamp(ExportError):
    """`--modified-after` is not an ISO-8601 date or date-time."""


# ---------------------------------------------------------------- reading the live generation


def live_listings_path(data_dir: Path) -> Path:
    """The listings file of the live generation; raises NoIndex when there is none."""
    generation = current_generation(data_dir)
    path = index_dir(data_dir) / generation / LISTINGS_FILE if generation else None
    if path is None or not path.is_file():
        raise NoIndex(f"no index in {data_dir} yet: run `skinmap index` first")
    return path


def read_listings(path: Path) -> Iterator[Listing]:
    """Listings from a generation's listings.jsonl, one at a time, with the admin edits published
    since the build (the generation's patches.jsonl, newest per id) applied, as the public sees
    them. Hidden ones are dropped defensively (the build and the patches already leave them out,
    but a hidden listing must never be exported)."""
    patched: dict[str, Listing | None] = {}
    patches_path = path.parent / PATCHES_FILE
    if patches_path.is_file():
        for patch in read_patches(patches_path)[0]:
            patched[patch.listing_id] = patch.listing
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            listing = Listing.from_json(line)
            if listing.id in patched:
                listing = patched.pop(listing.id)
            if listing is not None and not listing.hidden:
                yield listing
    for listing in patched.values():  # people whose id is new since the build
        if listing is not None and not listing.hidden:
            yield listing


# ---------------------------------------------------------------- incremental sync


def parse_timestamp(text: str) -> datetime:
    """An ISO-8601 date or date-time as an aware UTC datetime; raises BadTimestamp."""
    raw = (text or "").strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            moment = datetime.fromisoformat(raw + "T00:00:00")
        else:
            moment = datetime.fromisoformat(raw)
    except ValueError:
        raise BadTimestamp(
            f"--modified-after expects an ISO-8601 date or date-time such as 2026-11-01 or "
            f"2026-11-01T10:00:00Z, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _listing_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_timestamp(value)
    except BadTimestamp:
        return None


def modified_since(listing: Listing, cutoff: datetime) -> bool:
    """True when the listing was seen or verified at or after `cutoff` (an aware datetime)."""
    for value in (listing.last_seen, listing.last_verified):
        moment = _listing_time(value)
        if moment is not None and moment >= cutoff:
            return True
    return False


def filter_modified(listings: Iterable[Listing], cutoff: datetime | None) -> Iterator[Listing]:
    for listing in listings:
        if cutoff is None or modified_since(listing, cutoff):
            yield listing


# ---------------------------------------------------------------- ndjson


def write_ndjson(listings: Iterable[Listing], stream: TextIO) -> int:
    """One API Result per line; returns the number of listings written."""
    count = 0
    for listing in listings:
        stream.write(json.dumps(listing.to_result(), ensure_ascii=False) + "\n")
        count += 1
    return count


# ---------------------------------------------------------------- csv


def neutralise_cell(value: Any) -> str:
    """The cell as text, with a leading ' when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def profile_url(listing: Listing, base_url: str = "") -> str:
    return f"{base_url.rstrip('/')}/practitioners/{listing.id}"


def csv_rows(listing: Listing, base_url: str = "") -> Iterator[dict[str, str]]:
    """The flattened rows of one listing (one per location), cells already neutralised."""
    evidence = listing.microneedling_evidence or {}
    common = {
        "id": listing.id,
        "name": listing.name,
        "credentials": ";".join(listing.credentials),
        "specialties": ";".join(listing.specialties),
        "npi": listing.npi,
        "offers_microneedling": listing.offers_microneedling,
        "evidence_quote": evidence.get("quote"),
        "evidence_url": evidence.get("url"),
        "evidence_seen_at": evidence.get("seen_at"),
        "last_seen": listing.last_seen,
        "last_verified": listing.last_verified,
        "profile_url": profile_url(listing, base_url),
    }
    location_keys = ("practice", "street", "city", "state", "postal_code", "phone", "lat", "lon")
    for location in listing.locations or [{}]:
        row = dict(common)
        row.update({key: location.get(key) for key in location_keys})
        yield {column: neutralise_cell(row.get(column)) for column in CSV_COLUMNS}


def write_csv(listings: Iterable[Listing], stream: TextIO, base_url: str = "") -> int:
    """Header plus one row per practitioner-location; returns the number of listings written.
    Open file streams with newline="" (the csv module writes its own CRLF line ends)."""
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    count = 0
    for listing in listings:
        writer.writerows(csv_rows(listing, base_url))
        count += 1
    return count


# ---------------------------------------------------------------- json-ld (schema.org)


def physician_node(listing: Listing, base_url: str = "") -> dict[str, Any]:
    """One listing as a schema.org Physician."""
    url = profile_url(listing, base_url)
    node: dict[str, Any] = {"@type": "Physician", "@id": url, "name": listing.name, "url": url}
    if listing.credentials:
        node["alternateName"] = ", ".join([listing.name, *listing.credentials])
    if listing.npi:
        node["identifier"] = {"@type": "PropertyValue", "propertyID": "NPI", "value": listing.npi}
    specialties = list(
        dict.fromkeys(
            SCHEMA_ORG_SPECIALTY[slug]
            for slug in listing.specialties
            if slug in SCHEMA_ORG_SPECIALTY
        )
    )
    if specialties:
        node["medicalSpecialty"] = specialties
    addresses, phones, points = [], [], []
    for location in listing.locations:
        address = {
            "@type": "PostalAddress",
            "streetAddress": location.get("street"),
            "addressLocality": location.get("city"),
            "addressRegion": location.get("state"),
            "postalCode": location.get("postal_code"),
            "addressCountry": "US",
        }
        addresses.append({key: value for key, value in address.items() if value is not None})
        if location.get("phone") and location["phone"] not in phones:
            phones.append(location["phone"])
        if location.get("lat") is not None and location.get("lon") is not None:
            points.append(
                {
                    "@type": "GeoCoordinates",
                    "latitude": location["lat"],
                    "longitude": location["lon"],
                }
            )
    if addresses:
        node["address"] = addresses
    if phones:
        node["telephone"] = phones
    if points:
        node["geo"] = points
    if listing.website:
        node["sameAs"] = listing.website
    evidence = listing.microneedling_evidence or {}
    # Only a positive, quoted claim becomes a service; "no evidence" and "no longer offered" say nothing.
    if listing.offers_microneedling is True and evidence.get("quote"):
        page: dict[str, Any] = {"@type": "WebPage", "text": evidence["quote"]}
        if evidence.get("url"):
            page["url"] = evidence["url"]
        if evidence.get("seen_at"):
            page["lastReviewed"] = evidence["seen_at"][:10]
        node["availableService"] = {
            "@type": "MedicalProcedure",
            "name": "Microneedling",
            "alternateName": "Collagen induction therapy",
            "subjectOf": page,
        }
    return node


def write_jsonld(listings: Iterable[Listing], stream: TextIO, base_url: str = "") -> int:
    """A JSON-LD document with an @graph of Physicians, written node by node."""
    stream.write('{\n  "@context": "https://schema.org",\n  "@graph": [')
    count = 0
    for listing in listings:
        stream.write(",\n    " if count else "\n    ")
        stream.write(json.dumps(physician_node(listing, base_url), ensure_ascii=False))
        count += 1
    stream.write("\n  ]\n}\n")
    return count


# ---------------------------------------------------------------- HSDS


@dataclass(frozen=True)
class HsdsTable:
    name: str  # HSDS table (datapackage resource) name
    path: str  # file inside the package
    fields: tuple[str, ...]
    description: str
    foreign_keys: tuple[tuple[str, str], ...] = ()  # (field, referenced table); references its id


HSDS_TABLES = (
    HsdsTable(
        "organization",
        "organizations.csv",
        ("id", "name", "alternate_name", "description", "email", "website", "url"),
        "Practices: one per practice name within a state.",
    ),
    HsdsTable(
        "service",
        "services.csv",
        (
            "id",
            "organization_id",
            "name",
            "alternate_name",
            "description",
            "url",
            "email",
            "status",
            "assured_date",
            "last_modified",
        ),
        "One per practitioner and practice where a verbatim quote shows microneedling is offered.",
        (("organization_id", "organization"),),
    ),
    HsdsTable(
        "location",
        "locations.csv",
        (
            "id",
            "location_type",
            "url",
            "organization_id",
            "name",
            "description",
            "latitude",
            "longitude",
        ),
        "Practice addresses.",
        (("organization_id", "organization"),),
    ),
    HsdsTable(
        "service_at_location",
        "service_at_location.csv",
        ("id", "service_id", "location_id", "description"),
        "Where each microneedling service is delivered.",
        (("service_id", "service"), ("location_id", "location")),
    ),
    HsdsTable(
        "phone",
        "phones.csv",
        ("id", "location_id", "number", "type", "description"),
        "Practice phone numbers (E.164).",
        (("location_id", "location"),),
    ),
    HsdsTable(
        "address",
        "addresses.csv",
        (
            "id",
            "location_id",
            "attention",
            "address_1",
            "address_2",
            "city",
            "region",
            "state_province",
            "postal_code",
            "country",
            "address_type",
        ),
        "Physical addresses of the locations.",
        (("location_id", "location"),),
    ),
)
HSDS_BY_NAME = {table.name: table for table in HSDS_TABLES}
_NUMBER_FIELDS = {"latitude", "longitude"}


def hsds_id(*parts: str) -> str:
    return str(uuid.uuid5(HSDS_NAMESPACE, "|".join(parts)))


def _norm(text: str | None) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).split())


def _organization_key(listing: Listing, practice: str | None, state: str | None) -> str:
    if _norm(practice):
        return f"practice|{_norm(practice)}|{(state or '').upper()}"
    return f"solo|{listing.id}"


def _location_key(organization_key: str, location: dict) -> str:
    address = "|".join(
        _norm(location.get(key)) for key in ("street", "city", "state", "postal_code")
    )
    return f"{organization_key}|{address}"


def _display_name(listing: Listing) -> str:
    return ", ".join([listing.name, *listing.credentials])


def _service_description(listing: Listing, evidence: dict) -> str:
    who = _display_name(listing) + (f" (NPI {listing.npi})" if listing.npi else "")
    text = f'{who} offers microneedling. Evidence: "{evidence.get("quote")}"'
    if evidence.get("url"):
        text += f" ({evidence['url']}"
        text += f", seen {evidence['seen_at'][:10]})" if evidence.get("seen_at") else ")"
    return text


def hsds_rows(listings: Iterable[Listing], base_url: str = "") -> Iterator[tuple[str, dict]]:
    """(table name, row) pairs: each table's rows in a deterministic order (listings arrive in id order).

    Locations, phones and addresses shared by several practitioners are emitted once, the first
    listing that mentions them fixing their fields. Organizations are held until the end (one small
    row per practice) so a website known only to a later practitioner of the practice still fills
    the organization's website.
    """
    written: set[str] = set()
    organizations: dict[str, dict] = {}

    def organization(org_id: str, name: str, place: str, website: str | None) -> None:
        row = organizations.get(org_id)
        if row is None:
            organizations[org_id] = {
                "id": org_id,
                "name": name,
                "description": f"{name}, a medical practice"
                + (f" in {place}" if place else "")
                + ", listed in the skinmap directory.",
                "website": website,
                "url": website,
            }
        elif not row["website"] and website:
            row["website"] = row["url"] = website

    def first_time(row_id: str) -> bool:
        if row_id in written:
            return False
        written.add(row_id)
        return True

    for listing in listings:
        # organization key -> (organization id, [location ids]) for this listing
        practices: dict[str, tuple[str, list[str]]] = {}
        names: dict[str, str] = {}
        for location in listing.locations:
            org_key = _organization_key(listing, location.get("practice"), location.get("state"))
            org_id = hsds_id("organization", org_key)
            names[org_key] = _norm(location.get("practice"))
            organization(
                org_id,
                location.get("practice") or _display_name(listing),
                ", ".join(p for p in (location.get("city"), location.get("state")) if p),
                listing.website,
            )
            loc_id = hsds_id("location", _location_key(org_key, location))
            practices.setdefault(org_key, (org_id, []))[1].append(loc_id)
            if first_time(loc_id):
                yield (
                    "location",
                    {
                        "id": loc_id,
                        "location_type": "physical",
                        "organization_id": org_id,
                        "name": location.get("practice") or _display_name(listing),
                        "latitude": location.get("lat"),
                        "longitude": location.get("lon"),
                    },
                )
                if location.get("street"):
                    yield (
                        "address",
                        {
                            "id": hsds_id("address", loc_id),
                            "location_id": loc_id,
                            "address_1": location["street"],
                            "city": location.get("city"),
                            "state_province": location.get("state"),
                            "postal_code": location.get("postal_code"),
                            "country": "US",
                            "address_type": "physical",
                        },
                    )
            phone = location.get("phone")
            if phone:
                phone_id = hsds_id("phone", loc_id, phone)
                if first_time(phone_id):
                    yield (
                        "phone",
                        {"id": phone_id, "location_id": loc_id, "number": phone, "type": "voice"},
                    )

        evidence = listing.microneedling_evidence or {}
        if listing.offers_microneedling is not True or not evidence.get("quote"):
            continue
        if not practices:
            # No placeable location: the service still needs an organization to belong to.
            org_key = _organization_key(listing, evidence.get("practice"), None)
            org_id = hsds_id("organization", org_key)
            organization(
                org_id, evidence.get("practice") or _display_name(listing), "", listing.website
            )
            practices[org_key] = (org_id, [])
            names[org_key] = _norm(evidence.get("practice"))
        named = [
            key for key in practices if names[key] and names[key] == _norm(evidence.get("practice"))
        ]
        for org_key in named or list(practices):
            org_id, location_ids = practices[org_key]
            service_id = hsds_id("service", listing.id, org_key)
            yield (
                "service",
                {
                    "id": service_id,
                    "organization_id": org_id,
                    "name": SERVICE_NAME,
                    "alternate_name": f"Microneedling with {_display_name(listing)}",
                    "description": _service_description(listing, evidence),
                    "url": evidence.get("url") or profile_url(listing, base_url),
                    "status": "active",
                    "assured_date": (listing.last_verified or "")[:10] or None,
                    "last_modified": listing.last_seen,
                },
            )
            for loc_id in dict.fromkeys(location_ids):
                yield (
                    "service_at_location",
                    {
                        "id": hsds_id("service_at_location", service_id, loc_id),
                        "service_id": service_id,
                        "location_id": loc_id,
                        "description": f"{_display_name(listing)} at this location.",
                    },
                )

    for row in organizations.values():
        yield ("organization", row)


def datapackage(generation: str | None = None) -> dict[str, Any]:
    """The Frictionless tabular data package descriptor for the HSDS files."""
    resources = []
    for table in HSDS_TABLES:
        schema: dict[str, Any] = {
            "fields": [
                {
                    "name": name,
                    "type": "number" if name in _NUMBER_FIELDS else "string",
                    **({"format": "uuid"} if name == "id" or name.endswith("_id") else {}),
                }
                for name in table.fields
            ],
            "primaryKey": "id",
        }
        if table.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": field, "reference": {"resource": target, "fields": "id"}}
                for field, target in table.foreign_keys
            ]
        resources.append(
            {
                "name": table.name,
                "path": table.path,
                "description": table.description,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": schema,
            }
        )
    package: dict[str, Any] = {
        "name": "skinmap-hsds",
        "title": "skinmap: US dermatologists and plastic/cosmetic surgeons offering microneedling",
        "description": "Open Referral HSDS 3.0 tabular export of the skinmap directory. Every "
        "microneedling service cites the verbatim quote and page it was found on.",
        "profile": "tabular-data-package",
        "resources": resources,
    }
    if generation:
        package["version"] = generation
    return package


def write_hsds_directory(
    listings: Iterable[Listing], directory: Path, base_url: str = "", generation: str | None = None
) -> int:
    """Write the HSDS CSV files and datapackage.json into an existing empty directory;
    returns the number of listings read."""
    counted = _Counter(listings)
    with ExitStack() as stack:
        writers = {}
        for table in HSDS_TABLES:
            handle = stack.enter_context(
                open(directory / table.path, "w", encoding="utf-8", newline="")
            )
            writers[table.name] = csv.DictWriter(handle, fieldnames=table.fields)
            writers[table.name].writeheader()
        for table_name, row in hsds_rows(counted, base_url):
            writers[table_name].writerow(
                {name: neutralise_cell(row.get(name)) for name in HSDS_BY_NAME[table_name].fields}
            )
    (directory / "datapackage.json").write_text(
        json.dumps(datapackage(generation), indent=2) + "\n", encoding="utf-8"
    )
    return counted.count


class _Counter:
    """Passes listings through, counting them (the HSDS rows do not map 1:1 to listings)."""

    def __init__(self, listings: Iterable[Listing]) -> None:
        self._listings = listings
        self.count = 0

    def __iter__(self) -> Iterator[Listing]:
        for listing in self._listings:
            self.count += 1
            yield listing


def write_hsds(
    listings: Iterable[Listing], target: Path, base_url: str = "", generation: str | None = None
) -> int:
    """Write an HSDS package to `target`: a .zip file when the name ends in .zip, else a directory.

    The package is built beside the target and moved into place only when complete, so a reader
    never sees half an export. An existing target is replaced only when it is a previous export
    (a zip file, or a directory holding datapackage.json) or an empty directory.
    """
    target = Path(target)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    as_zip = target.suffix.lower() == ".zip"
    if target.exists():
        if as_zip and not target.is_file():
            raise ExportError(f"{target} exists and is not a file")
        if not as_zip and not (
            target.is_dir()
            and ((target / "datapackage.json").exists() or not any(target.iterdir()))
        ):
            raise ExportError(
                f"{target} exists and is not an empty directory or an earlier HSDS export; "
                "choose another --output"
            )
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        count = write_hsds_directory(listings, work, base_url, generation)
        if as_zip:
            temp_zip = parent / f".{target.name}.tmp-{os.getpid()}"
            with zipfile.ZipFile(temp_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for table in HSDS_TABLES:
                    archive.write(work / table.path, table.path)
                archive.write(work / "datapackage.json", "datapackage.json")
            os.replace(temp_zip, target)
        else:
            old = None
            if target.exists():
                old = parent / f".{target.name}.old-{os.getpid()}"
                os.replace(target, old)
            os.replace(work, target)
            if old is not None:
                shutil.rmtree(old)
    finally:
        if work.exists():
            shutil.rmtree(work)
    return count


# ---------------------------------------------------------------- CLI shell


def add_export_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `skinmap export` on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "export",
        help="export the live directory as open data (ndjson, csv, jsonld, hsds)",
        description="Export what the public sees (the live index generation, never hidden "
        "listings) as NDJSON API results, a flat CSV, schema.org JSON-LD, or an Open Referral "
        "HSDS 3.0 data package.",
    )
    parser.add_argument("--format", choices=FORMATS, default="ndjson", help="default ndjson")
    parser.add_argument(
        "--output",
        metavar="PATH",
        help="file to write (default stdout); for hsds a directory, or a .zip file (required)",
    )
    parser.add_argument(
        "--modified-after",
        metavar="ISO",
        help="only listings seen or verified at or after this date/time (e.g. 2026-11-01)",
    )
    parser.add_argument(
        "--base-url",
        default="",
        metavar="URL",
        help="site root prefixed to profile links (e.g. https://skinmap.example); default relative",
    )
    return parser


def cmd_export(args: argparse.Namespace, data_dir: Path) -> int:
    """`skinmap export`: 0 on success, 2 with a message on stderr for a user-fixable problem."""
    try:
        count, where = _export(args, Path(data_dir))
    except ExportError as error:
        print(f"skinmap: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `skinmap export | head`: the reader left; point stdout at /dev/null so the interpreter's
        # final flush does not raise again, and stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    print(f"exported {count} listings as {args.format} to {where}", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace, data_dir: Path) -> tuple[int, str]:
    fmt = getattr(args, "format", None) or "ndjson"
    if fmt not in FORMATS:
        raise ExportError(f"--format must be one of {', '.join(FORMATS)}")
    output = getattr(args, "output", None)
    base_url = getattr(args, "base_url", "") or ""
    raw_cutoff = getattr(args, "modified_after", None)
    cutoff = parse_timestamp(raw_cutoff) if raw_cutoff is not None else None
    if fmt == "hsds" and not output:
        raise ExportError(
            "--format hsds writes several files: give --output DIR or --output FILE.zip"
        )
    path = live_listings_path(data_dir)
    generation = current_generation(data_dir)
    listings = filter_modified(read_listings(path), cutoff)
    if fmt == "hsds":
        return write_hsds(listings, Path(output), base_url, generation), str(output)
    writers = {
        "ndjson": lambda stream: write_ndjson(listings, stream),
        "csv": lambda stream: write_csv(listings, stream, base_url),
        "jsonld": lambda stream: write_jsonld(listings, stream, base_url),
    }
    run = writers[fmt]
    if not output:
        return _to_stdout(run), "stdout"
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    try:
        with open(temp, "w", encoding="utf-8", newline="") as handle:
            count = run(handle)
        os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()
    return count, str(target)


def _to_stdout(run: Any) -> int:
    """Run a writer on a UTF-8 view of stdout whatever the locale, leaving stdout open."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # stdout replaced by a text-only stream (embedding, some test runners)
        return run(sys.stdout)
    stream = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    try:
        return run(stream)
    finally:
        stream.flush()
        stream.detach()  # closing the wrapper would close stdout itself

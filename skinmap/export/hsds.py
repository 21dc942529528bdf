"""HSDS: Open Referral HSDS 3.0 tabular data package: a directory (or a .zip when the path ends in
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

Owns: HSDS_TABLES, hsds_id, hsds_rows, datapackage, write_hsds (a directory or a .zip, moved into
place only when complete).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.records import Listing
from skinmap.export.flat_csv import neutralise_cell
from skinmap.export.reader import ExportError, profile_url

SERVICE_NAME = "Microneedling (collagen induction therapy)"
# A fixed namespace makes every HSDS id reproducible from the data alone.
HSDS_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:skinmap:hsds:v1")


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

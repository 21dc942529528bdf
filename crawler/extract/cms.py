"""Streaming parser for the CMS Doctors and Clinicians national file -> practitioner payloads.

Header-driven (the 2020-21 40-column layout, the intermediate one, the current 31-column one and
the lower-cased API names all work). Scope decision: a row is kept when its pri_spec OR any
sec_spec is DERMATOLOGY, PLASTIC AND RECONSTRUCTIVE SURGERY or MICROGRAPHIC DERMATOLOGIC SURGERY
(MDS). OTOLARYNGOLOGY alone is NOT kept: CMS has no "facial plastic" specialty label, so an ENT row
cannot be told apart from general ENT; facial plastic surgeons come from NPPES taxonomy codes instead.
An ENT with a sec_spec of PLASTIC AND RECONSTRUCTIVE SURGERY is kept (as plastic-surgery).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from crawler.extract.normalise import (
    display_name,
    normalise_credentials,
    normalise_state,
    normalise_zip,
    npi_is_valid,
    phone_e164,
    specialties_for_cms_label,
    tidy_name_part,
)

# canonical field -> header spellings (compared lower-cased, spaces and underscores squeezed)
_ALIASES: dict[str, tuple[str, ...]] = {
    "npi": ("npi",),
    "pac_id": ("ind_pac_id",),
    "last_name": ("lst_nm", "provider last name", "provider_last_name"),
    "first_name": ("frst_nm", "provider first name", "provider_first_name"),
    "middle_name": ("mid_nm", "provider middle name", "provider_middle_name"),
    "full_name": ("provider name", "provider_name"),
    "suffix": ("suff",),
    "credential": ("cred",),
    "pri_spec": ("pri_spec", "primary specialty", "primary_specialty"),
    "sec_spec_1": ("sec_spec_1",),
    "sec_spec_2": ("sec_spec_2",),
    "sec_spec_3": ("sec_spec_3",),
    "sec_spec_4": ("sec_spec_4",),
    "sec_spec_all": ("sec_spec_all",),
    "org_name": ("org_nm", "facility name", "facility_name"),
    "org_pac_id": ("org_pac_id",),
    "address_1": ("adr_ln_1", "address", "address line 1"),
    "address_2": ("adr_ln_2", "address line 2"),
    "city": ("cty", "city/town", "citytown", "city"),
    "state": ("st", "state"),
    "zip": ("zip", "zip code", "zip_code"),
    "phone": ("phn_numbr", "telephone number", "telephone_number"),
    "address_id": ("adrs_id",),
}
_LOOKUP = {spelling: field for field, spellings in _ALIASES.items() for spelling in spellings}


class CmsFormatError(ValueError):
    """The CSV header lacks the columns the parser needs (NPI and a primary specialty)."""


@dataclass(frozen=True)
class CmsRow:
    """One kept row: who, what specialty, and one location."""

    npi: str
    pac_id: str | None
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    suffix: str | None
    credentials: list[str]
    specialties: list[str]
    org_name: str | None
    org_pac_id: str | None
    location: dict


def _header_key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lstrip("\ufeff")).lower()


def header_map(header: list[str]) -> dict[str, int]:
    """Canonical field -> column index for a CSV header row (leading spaces and case ignored)."""
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        canonical = _LOOKUP.get(_header_key(name))
        if canonical and canonical not in columns:
            columns[canonical] = index
    if "npi" not in columns or "pri_spec" not in columns:
        raise CmsFormatError(f"no NPI or primary specialty column in header {header[:8]}...")
    return columns


def _value(row: list[str], columns: dict[str, int], field: str) -> str | None:
    index = columns.get(field)
    if index is None or index >= len(row):
        return None
    text = " ".join(row[index].split())
    return text or None


def _specialty_labels(row: list[str], columns: dict[str, int]) -> list[str]:
    labels = [_value(row, columns, "pri_spec")]
    labels += [_value(row, columns, f"sec_spec_{n}") for n in range(1, 5)]
    # sec_spec_all holds the same labels joined by "|" in newer files; commas occur inside labels.
    labels += (_value(row, columns, "sec_spec_all") or "").split("|")
    return [label for label in labels if label]


def repair_zip(raw_zip: str | None, address_id: str | None) -> str | None:
    """A 5-digit ZIP from the (possibly Excel-damaged) zip field, else from adrs_id (ST + 9-digit ZIP)."""
    if address_id:
        match = re.match(r"^[A-Z]{2}(\d{9}|\d{5})", address_id)
        if match:
            return normalise_zip(match.group(1))
    return normalise_zip(raw_zip)


def parse_row(row: list[str], columns: dict[str, int]) -> CmsRow | None:
    """A CmsRow for a target-specialty row with a valid NPI; None for anything else (incl. blank rows)."""
    npi = _value(row, columns, "npi")
    if not npi or not npi_is_valid(npi):
        return None
    specialties: list[str] = []
    for label in _specialty_labels(row, columns):
        for slug in specialties_for_cms_label(label):
            if slug not in specialties:
                specialties.append(slug)
    if not specialties:
        return None
    first = tidy_name_part(_value(row, columns, "first_name"))
    middle = tidy_name_part(_value(row, columns, "middle_name"))
    last = tidy_name_part(_value(row, columns, "last_name"))
    full_name = _value(row, columns, "full_name")
    if full_name and not (first or last):
        parts = tidy_name_part(full_name).split()
        first, last = parts[0], parts[-1] if len(parts) > 1 else None
        middle = " ".join(parts[1:-1]) or None
    org_name = tidy_name_part(_value(row, columns, "org_name"))
    street = ", ".join(
        p for p in (_value(row, columns, "address_1"), _value(row, columns, "address_2")) if p
    )
    location = {
        "practice": org_name,
        "street": tidy_name_part(street) if street else None,
        "city": tidy_name_part(_value(row, columns, "city")),
        "state": normalise_state(_value(row, columns, "state")),
        "postal_code": repair_zip(_value(row, columns, "zip"), _value(row, columns, "address_id")),
        "phone": phone_e164(_value(row, columns, "phone")),
        "lat": None,
        "lon": None,
    }
    return CmsRow(
        npi=npi,
        pac_id=_value(row, columns, "pac_id"),
        first_name=first,
        middle_name=middle,
        last_name=last,
        suffix=tidy_name_part(_value(row, columns, "suffix")),
        credentials=normalise_credentials(_value(row, columns, "credential")),
        specialties=specialties,
        org_name=org_name,
        org_pac_id=_value(row, columns, "org_pac_id"),
        location=location,
    )


def _payload(rows: list[CmsRow]) -> dict:
    first = rows[0]
    specialties: list[str] = []
    credentials: list[str] = []
    locations: list[dict] = []
    for row in rows:
        specialties += [s for s in row.specialties if s not in specialties]
        credentials += [c for c in row.credentials if c not in credentials]
        if row.location not in locations:
            locations.append(row.location)
    return {
        # How patients know the doctor ("Ana Ruiz"); the middle name stays in middle_name.
        "name": display_name(first.first_name, None, first.last_name),
        "first_name": first.first_name,
        "middle_name": first.middle_name,
        "last_name": first.last_name,
        "suffix": first.suffix,
        "credentials": credentials,
        "npi": first.npi,
        "pac_id": first.pac_id,
        "specialties": specialties,
        "taxonomy_codes": [],
        # Every kept CMS specialty is a physician specialty (Medicare enrols MD/DO under them).
        "is_physician": True,
        "role": "physician",
        "practice_name": next((r.org_name for r in rows if r.org_name), None),
        "org_pac_ids": sorted({r.org_pac_id for r in rows if r.org_pac_id}),
        "website": None,
        "profile_url": None,
        "locations": locations,
        "evidence": [],
        "status": "active",
    }


def iter_practitioners(lines: Iterable[str]) -> Iterator[dict]:
    """Practitioner payloads, one per NPI, from CSV text lines (streamed; header first).

    Only target-specialty rows are held in memory (a few tens of thousands nationally), so a
    multi-gigabyte file streams through; an NPI's rows are merged even when they are not adjacent.
    """
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return
    columns = header_map(header)
    grouped: dict[str, list[CmsRow]] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        parsed = parse_row(row, columns)
        if parsed:
            grouped.setdefault(parsed.npi, []).append(parsed)
    for rows in grouped.values():
        payload = _payload(rows)
        if payload["name"]:
            yield payload

"""CSV: one row per practitioner-location (a listing without locations gives one row with empty
address cells); columns in `CSV_COLUMNS`; lists joined with ";". Cells that a spreadsheet
would run as a formula (starting with = + - @ tab or CR) get a leading single quote, except
a cell that is exactly a signed decimal number (US longitudes are negative, E.164 phones
start with +): spreadsheets read those as numbers, never as formulas.

Owns: CSV_COLUMNS, neutralise_cell (HSDS cells use it too), csv_rows, write_csv.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from index.records import Listing
from skinmap.export.reader import profile_url

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

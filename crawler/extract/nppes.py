"""Pure parser for NPI Registry API v2.1 bodies -> practitioner (NPI-1) and practice (NPI-2) payloads.

Tolerates the 2019/2022/2026 format drift: int or string `number`, epochs in seconds or milliseconds,
`basic.gender` or `basic.sex`, missing keys, "--" placeholders. Addresses come from LOCATION entries
and practiceLocations only, never MAILING. Taxonomies are mapped on the code (desc may be null).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from crawler.extract.normalise import (
    display_name,
    normalise_credentials,
    normalise_state,
    normalise_zip,
    npi_is_valid,
    phone_e164,
    role_for_credentials,
    specialties_for_codes,
    tidy_name_part,
)

# NUCC code prefixes for other roles, used when credentials do not say.
_ROLE_BY_CODE_PREFIX = (
    ("363A", "physician_assistant"),
    ("363L", "nurse_practitioner"),
    ("163W", "nurse"),
    ("164", "nurse"),
)


class NppesApiError(ValueError):
    """The API answered with an `Errors` body (HTTP 200 and all); `messages` holds each description."""

    def __init__(self, messages: list[str], codes: list[str] | None = None):
        self.messages = messages
        self.codes = codes or []
        super().__init__("; ".join(messages) or "NPI Registry API error")


class NppesFormatError(ValueError):
    """The body is not an NPI Registry API response at all (not JSON, no results)."""


@dataclass
class NppesRecord:
    """One parsed NPI record: the observation kind, its NPI (the source key) and the payload."""

    kind: str  # "practitioner" (NPI-1) | "practice" (NPI-2)
    npi: str
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def is_target(self) -> bool:
        """True when a taxonomy code maps to a skinmap specialty."""
        return bool(self.payload.get("specialties"))


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return None if text in ("", "--") else text


def _date_from_epoch(value: Any) -> str | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    if number > 100_000_000_000:  # milliseconds (2022+) rather than seconds (2019)
        number //= 1000
    return datetime.fromtimestamp(number, tz=UTC).strftime("%Y-%m-%d")


@cache
def _zip_state(zip5: str) -> str | None:
    import zipcodes  # imported lazily: it loads its whole ZIP table on first use

    try:
        matches = zipcodes.matching(zip5)
    except (ValueError, TypeError):
        return None
    return matches[0]["state"] if matches else None


def _location(address: dict, practice: str | None) -> dict:
    street = ", ".join(
        p for p in (_clean(address.get("address_1")), _clean(address.get("address_2"))) if p
    )
    postal_code = normalise_zip(address.get("postal_code"))
    state = normalise_state(address.get("state"))
    # 2019 data has "GAS" or "ATLANTA, AL" with a 303xx ZIP: the ZIP is the better witness.
    zip_state = _zip_state(postal_code) if postal_code else None
    if zip_state and state != zip_state:
        state = zip_state
    return {
        "practice": practice,
        "street": tidy_name_part(street) if street else None,
        "city": tidy_name_part(address.get("city")),
        "state": state,
        "postal_code": postal_code,
        "phone": phone_e164(address.get("telephone_number")),
        "lat": None,
        "lon": None,
    }


def _locations(result: dict, practice: str | None) -> list[dict]:
    candidates = [
        a
        for a in result.get("addresses") or []
        if str(a.get("address_purpose", "")).upper() == "LOCATION"
    ]
    # practiceLocations: 2026 marks them LOCATION, 2019 has no purpose at all; MAILING never counts.
    candidates += [
        a
        for a in result.get("practiceLocations") or []
        if str(a.get("address_purpose") or "LOCATION").upper() == "LOCATION"
    ]
    locations: list[dict] = []
    for address in candidates:
        location = _location(address, practice)
        # 2019 has a Georgia address with country "AA": trust a US state or ZIP over the country code.
        if str(address.get("country_code") or "US").upper() != "US" and not location["state"]:
            continue
        key = (location["street"], location["postal_code"])
        if all((seen["street"], seen["postal_code"]) != key for seen in locations):
            locations.append(location)
    return locations


def _taxonomy_codes(result: dict) -> list[str]:
    taxonomies = sorted(result.get("taxonomies") or [], key=lambda t: not t.get("primary"))
    codes: list[str] = []
    for taxonomy in taxonomies:
        code = _clean(taxonomy.get("code"))
        if code and code.upper() not in codes:
            codes.append(code.upper())
    return codes


def _dates(basic: dict, result: dict) -> tuple[str | None, str | None]:
    enumeration = _clean(basic.get("enumeration_date")) or _date_from_epoch(
        result.get("created_epoch")
    )
    updated = _clean(basic.get("last_updated")) or _date_from_epoch(
        result.get("last_updated_epoch")
    )
    return enumeration, updated


def _status(basic: dict) -> str:
    if _clean(basic.get("deactivation_date")) and not _clean(basic.get("reactivation_date")):
        return "deactivated"
    return "active" if (_clean(basic.get("status")) or "A").upper() == "A" else "deactivated"


def _former_names(result: dict) -> list[dict]:
    """The registry's "Former Name" entries ({"first_name", "last_name"}): a maiden or earlier
    married name, used to join a practice site that still shows it (with a contact signal)."""
    names = []
    for other in result.get("other_names") or []:
        kind = (_clean(other.get("type")) or "").lower()
        last = tidy_name_part(other.get("last_name"))
        if last and (kind == "former name" or _clean(other.get("code")) == "1"):
            names.append({"first_name": tidy_name_part(other.get("first_name")), "last_name": last})
    return names


def _practitioner(result: dict, npi: str) -> dict:
    basic = result.get("basic") or {}
    first = tidy_name_part(basic.get("first_name"))
    middle = tidy_name_part(basic.get("middle_name"))
    last = tidy_name_part(basic.get("last_name"))
    credentials = normalise_credentials(_clean(basic.get("credential")))
    codes = _taxonomy_codes(result)
    role = role_for_credentials(credentials)
    # Allopathic & osteopathic physician taxonomies all start with "20".
    if role != "physician" and any(code.startswith("20") for code in codes):
        role = "physician"
    if role == "other":
        role = next(
            (r for code in codes for prefix, r in _ROLE_BY_CODE_PREFIX if code.startswith(prefix)),
            "other",
        )
    enumeration, updated = _dates(basic, result)
    return {
        # The display name is how patients know the doctor: "Ana Ruiz"; the middle name stays
        # in middle_name (registries add initials that websites and patients leave out).
        "name": display_name(first, None, last),
        "first_name": first,
        "middle_name": middle,
        "last_name": last,
        "suffix": _clean(basic.get("name_suffix")),
        "credentials": credentials,
        "npi": npi,
        "specialties": specialties_for_codes(codes),
        "taxonomy_codes": codes,
        "is_physician": role == "physician",
        "role": role,
        "sex": _clean(basic.get("sex") or basic.get("gender")),
        "former_names": _former_names(result),
        "practice_name": None,
        "website": None,
        "profile_url": None,
        "locations": _locations(result, None),
        "evidence": [],
        "status": _status(basic),
        "enumeration_date": enumeration,
        "last_updated": updated,
    }


def _practice(result: dict, npi: str) -> dict:
    basic = result.get("basic") or {}
    name = tidy_name_part(basic.get("organization_name")) or ""
    other_names = [
        tidy_name_part(other.get("organization_name"))
        for other in result.get("other_names") or []
        if _clean(other.get("organization_name"))
    ]
    codes = _taxonomy_codes(result)
    enumeration, updated = _dates(basic, result)
    return {
        "name": name,
        "other_names": [n for n in other_names if n],
        "website": None,
        "npi": npi,
        "taxonomy_codes": codes,
        "specialties": specialties_for_codes(codes),
        "locations": _locations(result, name or None),
        "evidence": [],
        "staff": [],
        "status": _status(basic),
        "enumeration_date": enumeration,
        "last_updated": updated,
    }


def load_body(body: str | bytes | dict) -> dict:
    """The decoded JSON object; raises NppesApiError for an `Errors` body, NppesFormatError for junk."""
    if isinstance(body, dict):
        document = body
    else:
        try:
            document = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise NppesFormatError(f"not JSON: {error}") from error
    if not isinstance(document, dict):
        raise NppesFormatError("expected a JSON object")
    if "Errors" in document:
        errors = document.get("Errors") or []
        raise NppesApiError(
            [str(e.get("description") or e) for e in errors],
            [str(e.get("number")) for e in errors if isinstance(e, dict)],
        )
    if "results" not in document:
        raise NppesFormatError("no 'results' key")
    return document


def parse_npi_response(body: str | bytes | dict) -> list[NppesRecord]:
    """Every record of an API body (NPI-1 -> practitioner, NPI-2 -> practice); invalid NPIs skipped."""
    document = load_body(body)
    records: list[NppesRecord] = []
    for result in document.get("results") or []:
        npi = _clean(result.get("number"))
        if not npi_is_valid(npi):
            continue
        if str(result.get("enumeration_type", "")).upper() == "NPI-2":
            records.append(NppesRecord("practice", npi, _practice(result, npi)))
        else:
            records.append(NppesRecord("practitioner", npi, _practitioner(result, npi)))
    return records


def result_count(body: str | bytes | dict) -> int:
    """How many results the body holds (for the spider's pager)."""
    return len(load_body(body).get("results") or [])

"""Normalisers shared by every extractor: phones, NPIs, credentials, ZIPs, names and specialty slugs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import phonenumbers

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP".split()
)
STATE_NAMES = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
    "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL",
    "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY", "LOUISIANA": "LA",
    "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA", "MICHIGAN": "MI", "MINNESOTA": "MN",
    "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY",
    "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK", "OREGON": "OR",
    "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA",
    "WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY",
    "PUERTO RICO": "PR",
}  # fmt: skip

ROLES = (
    "physician",
    "physician_assistant",
    "nurse_practitioner",
    "nurse",
    "aesthetician",
    "other",
)

# Canonical spelling of credentials after dots and spaces are removed and the text upper-cased.
_CREDENTIAL_CANON = {
    "PHD": "PhD",
    "PHARMD": "PharmD",
    "PSYD": "PsyD",
    "MBBS": "MBBS",
    "PAC": "PA-C",
    "FNPC": "FNP-C",
    "FNPBC": "FNP-BC",
    "ANPBC": "ANP-BC",
    "NPC": "NP-C",
    "APRNCNP": "APRN-CNP",
    "MSPAS": "MSPAS",
}
_PHYSICIAN = {"MD", "DO"}
_PA = {"PA", "PA-C", "MPAS", "MSPAS"}
_NP = {
    "NP",
    "NP-C",
    "FNP",
    "FNP-C",
    "FNP-BC",
    "ANP-BC",
    "APRN",
    "APRN-CNP",
    "CRNP",
    "ARNP",
    "DNP",
    "CNP",
    "AGNP",
}
_NURSE = {"RN", "BSN", "MSN", "LPN", "LVN", "CANS"}
_AESTHETICIAN = {"LE", "CME", "LME"}
_CREDENTIAL_TOKEN = re.compile(r"[A-Za-z][A-Za-z.\-]*")


def phone_e164(raw: str | None) -> str | None:
    """A US phone number as E.164 ("+15125550123"), or None when it is not a whole number.

    Spreadsheet damage ("2.12689E+12") destroys digits, so it counts as missing rather than being
    "repaired" into a wrong number.
    """
    if not raw:
        return None
    text = str(raw).strip().lstrip("#")
    if re.search(r"\d[.,]\d*E\+?\d", text, re.IGNORECASE):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01":
        return None
    try:
        number = phonenumbers.parse(digits, "US")
    except phonenumbers.NumberParseException:
        return None
    # is_possible (not is_valid) so fictional 555-01xx fixtures survive; shape was checked above.
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def npi_is_valid(npi: str | None) -> bool:
    """True when `npi` is 10 digits whose last is the Luhn check digit over "80840" + the first 9."""
    if npi is None:
        return False
    text = str(npi).strip()
    if not re.fullmatch(r"\d{10}", text):
        return False
    payload = "80840" + text[:9]
    total = 0
    # Luhn: double every second digit from the right of the payload (the check digit is excluded).
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(text[9])


def normalise_credential(token: str) -> str | None:
    """One credential in canonical form: "M.D." -> "MD", "Ph.D." -> "PhD", "pa-c" -> "PA-C"."""
    squeezed = re.sub(r"[.\s]", "", token).strip(",;-/").upper()
    if not squeezed:
        return None
    key = squeezed.replace("-", "")
    if key in _CREDENTIAL_CANON:
        return _CREDENTIAL_CANON[key]
    return squeezed


def normalise_credentials(raw: str | Iterable[str] | None) -> list[str]:
    """Credentials from "M.D., FAAD" or ["DPT", "PT"] as a de-duplicated, ordered list."""
    if not raw:
        return []
    texts = [raw] if isinstance(raw, str) else [str(item) for item in raw if item]
    parts = [part for text in texts for part in re.split(r"[,;/()]|\s+(?=[A-Za-z])", text)]
    result: list[str] = []
    for part in parts:
        credential = normalise_credential(part)
        if credential and credential not in result:
            result.append(credential)
    return result


def role_for_credentials(credentials: Iterable[str]) -> str:
    """The clinical role implied by normalised credentials (physician wins over any other)."""
    found = set(credentials)
    if found & _PHYSICIAN:
        return "physician"
    if found & _PA:
        return "physician_assistant"
    if found & _NP:
        return "nurse_practitioner"
    if found & _NURSE:
        return "nurse"
    if found & _AESTHETICIAN:
        return "aesthetician"
    return "other"


def is_known_credential(token: str) -> bool:
    """True for credentials the people extractor may accept after a name."""
    credential = normalise_credential(token)
    return credential is not None and credential in KNOWN_CREDENTIALS


KNOWN_CREDENTIALS = (
    _PHYSICIAN
    | _PA
    | _NP
    | _NURSE
    | _AESTHETICIAN
    | {"FAAD", "FACS", "FAACS", "FACMS", "FAAFPRS", "FASOPRS", "PhD", "MBA", "MPH", "MS", "FRCSC"}
)


def normalise_zip(raw: str | int | None) -> str | None:
    """A 5-digit ZIP from "78701", "78701-1234", "787011234" or spreadsheet-damaged numbers.

    Spreadsheets drop leading zeros: 8 or 7 digits were a ZIP+4 (pad to 9), 4 or 3 digits a ZIP (pad to
    5). Six digits cannot be told apart, so they are rejected.
    """
    if raw is None:
        return None
    digits = re.sub(r"\D", "", str(raw).strip())
    if not digits:
        return None
    if len(digits) in (7, 8):
        digits = digits.zfill(9)
    elif len(digits) in (3, 4):
        digits = digits.zfill(5)
    if len(digits) not in (5, 9):
        return None
    zip5 = digits[:5]
    return None if zip5 == "00000" else zip5


def normalise_state(raw: str | None) -> str | None:
    """A 2-letter USPS code from "tx", "Texas" or "GEORGIA"; None for anything else (e.g. "GAS")."""
    if not raw:
        return None
    text = re.sub(r"\s+", " ", str(raw)).strip().upper().rstrip(".")
    if text in US_STATES:
        return text
    return STATE_NAMES.get(text)


_NAME_PARTICLES = {"de", "del", "da", "van", "von", "la", "le", "di", "du"}


def tidy_name_part(raw: str | None) -> str | None:
    """Title-case an upper-case registry name ("O'NEIL-SMITH" -> "O'Neil-Smith"); None for blanks and "--"."""
    if raw is None:
        return None
    text = re.sub(r"\s+", " ", str(raw)).strip().strip(",")
    if not text or text == "--":
        return None
    if text.isupper() or text.islower():
        text = re.sub(r"\b[a-z]+", lambda m: m.group(0).capitalize(), text.lower())
        text = re.sub(
            r"\b(?:Llc|Pllc|Pc|Pa|Lp|Llp|Nw|Ne|Sw|Se|Md|Do|Ii|Iii|Iv)\b",
            lambda m: m.group(0).upper(),
            text,
        )
        text = re.sub(r"\bMc([a-z])", lambda m: "Mc" + m.group(1).upper(), text)
    return text


def display_name(first: str | None, middle: str | None, last: str | None) -> str:
    """ "Ana M. Ruiz": first, middle (an initial gets a dot) and last name joined."""
    parts = [first]
    if middle:
        parts.append(middle + "." if len(middle) == 1 else middle)
    parts.append(last)
    return " ".join(p for p in parts if p)


def name_key(name: str) -> str:
    """A normalised full name for source keys: lower case, letters and single spaces only."""
    return re.sub(r"\s+", " ", re.sub(r"[^a-z\s]", "", name.lower())).strip()


@cache
def _specialty_table() -> dict:
    with open(DATA_DIR / "specialties.json", encoding="utf-8") as handle:
        return json.load(handle)


@cache
def _specialty_patterns() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    return tuple(
        (re.compile(entry["pattern"], re.IGNORECASE), tuple(entry["slugs"]))
        for entry in _specialty_table()["text_patterns"]
    )


def _add(result: list[str], slugs: Iterable[str]) -> None:
    for slug in slugs:
        if slug not in result:
            result.append(slug)


def specialties_for_code(code: str | None) -> list[str]:
    """Specialty slugs for one NUCC taxonomy code ([] for codes outside skinmap's scope)."""
    if not code:
        return []
    code = code.strip().upper()
    table = _specialty_table()
    if code in table["codes"]:
        return list(table["codes"][code])
    for prefix, slugs in table["prefixes"].items():
        if code.startswith(prefix):
            return list(slugs)
    return []


def specialties_for_codes(codes: Iterable[str | None]) -> list[str]:
    """Specialty slugs for NUCC taxonomy codes, mapped on the code only, in first-seen order."""
    result: list[str] = []
    for code in codes:
        _add(result, specialties_for_code(code))
    return result


def specialties_from_text(text: str) -> list[str]:
    """Specialty slugs claimed in free text ("board-certified dermatologist" -> dermatology)."""
    result: list[str] = []
    for pattern, slugs in _specialty_patterns():
        if pattern.search(text):
            _add(result, slugs)
    return refine_specialties(result)


_NARROWER_PLASTIC = ("facial-plastic-surgery", "oculoplastic-surgery")


def refine_specialties(slugs: list[str]) -> list[str]:
    """Drop the generic plastic-surgery slug when a narrower plastic specialty is also claimed.

    Sites mark facial plastic and oculoplastic surgeons with schema.org "PlasticSurgery" (there is no
    narrower type); the narrower claim is the informative one.
    """
    if any(slug in slugs for slug in _NARROWER_PLASTIC):
        return [slug for slug in slugs if slug != "plastic-surgery"]
    return list(slugs)


def specialties_for_cms_label(label: str | None) -> list[str]:
    """Specialty slugs for a CMS pri_spec/sec_spec label (case and spacing insensitive)."""
    if not label:
        return []
    key = re.sub(r"\s+", " ", label).strip().upper()
    return list(_specialty_table()["cms_specialties"].get(key, []))


def collapse_ws(text: str) -> str:
    """Runs of whitespace (including non-breaking spaces) as single spaces, trimmed."""
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()

"""Contact keys (pure): the phone, ZIP, street and website forms that records are compared by.

Owns: phone_digits, zip5, street_key, site_root. Must not import: any I/O, or other index modules.
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import urlsplit


def phone_digits(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) == 10 else None


def zip5(code: str | None) -> str | None:
    digits = re.sub(r"\D", "", code or "")
    return digits[:5] if len(digits) >= 5 else None


_UNIT_WORDS = {"suite", "ste", "unit", "apt", "room", "rm", "building", "bldg", "floor", "fl"}
_DIRECTIONS = {"north": "n", "south": "s", "east": "e", "west": "w",
               "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw"}  # fmt: skip
# Street types the shipped table lacks (Publication 28 has "Commons"; "Yard" is seen in the wild).
_EXTRA_TYPES = {"commons": "cmns", "cmns": "cmns", "yard": "yd", "yd": "yd", "yards": "yds"}


@cache
def _street_words() -> dict[str, str]:
    """USPS Publication 28 street types (every spelling -> its abbreviation), lower case: "vista",
    "vis" and "vst" are all "vis"; the table ships with usaddress-scourgify (a constants module)."""
    from scourgify.address_constants import STREET_TYPE_ABBREVIATIONS

    words = {full.lower(): short.lower() for full, short in STREET_TYPE_ABBREVIATIONS.items()}
    return {**words, **_EXTRA_TYPES, **_DIRECTIONS}


def street_key(street: str | None, postal_code: str | None) -> str | None:
    """The street as compared between records: USPS street types and directions abbreviated, unit
    words dropped, so "5100 Westheimer Vista, Suite 600" and "5100 Westheimer Vis, Ste 600" (a
    practice page and NPPES writing one office) give one key."""
    if not street:
        return None
    # Unit designators are dropped so "Suite 210", "Ste. 210" and "#210" give one key.
    words = [w for w in re.sub(r"[^a-z0-9 ]+", " ", street.lower()).split() if w not in _UNIT_WORDS]
    table = _street_words()
    words = [table.get(w, w) for w in words]
    return f"{' '.join(words)}|{zip5(postal_code) or ''}"


def site_root(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url if "//" in url else f"//{url}")
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not host:
        return None
    return f"{host}:{parts.port}" if parts.port else host

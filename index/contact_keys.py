"""Contact keys (pure): the phone, ZIP, street and website forms that records are compared by.

Owns: phone_digits, zip5, street_key, site_root. Must not import: any I/O, or other index modules.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit


def phone_digits(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) == 10 else None


def zip5(code: str | None) -> str | None:
    digits = re.sub(r"\D", "", code or "")
    return digits[:5] if len(digits) >= 5 else None


_UNIT_WORDS = {"suite", "ste", "unit", "apt", "room", "rm"}


def street_key(street: str | None, postal_code: str | None) -> str | None:
    if not street:
        return None
    # Unit designators are dropped so "Suite 210", "Ste. 210" and "#210" give one key.
    words = [w for w in re.sub(r"[^a-z0-9 ]+", " ", street.lower()).split() if w not in _UNIT_WORDS]
    replacements = {
        "street": "st",
        "avenue": "ave",
        "suite": "ste",
        "road": "rd",
        "boulevard": "blvd",
        "drive": "dr",
        "lane": "ln",
        "parkway": "pkwy",
        "highway": "hwy",
    }
    words = [replacements.get(w, w) for w in words]
    return f"{' '.join(words)}|{zip5(postal_code) or ''}"


def site_root(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url if "//" in url else f"//{url}")
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not host:
        return None
    return f"{host}:{parts.port}" if parts.port else host

"""Phones (tel: links, visible numbers) and US street addresses from a page."""

from __future__ import annotations

import re
from urllib.parse import unquote

from crawler.extract.addresses import address_key, find_addresses, zip_city
from crawler.extract.html_text import parse_html, text_blocks
from crawler.extract.normalise import phone_e164

# A visible US number: optional +1, area code in parentheses or not, 3-4 digits, common separators.
_PHONE_TEXT = re.compile(
    r"(?<![\d.])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\d])"
)


def phones_from_text(text: str) -> list[str]:
    """E.164 numbers written in `text`, in order, without duplicates."""
    result: list[str] = []
    for match in _PHONE_TEXT.finditer(text):
        phone = phone_e164(match.group(0))
        if phone and phone not in result:
            result.append(phone)
    return result


def phones_from_html(html: str | bytes) -> list[str]:
    """E.164 numbers from tel: links first (the site's own choice), then visible text."""
    root = parse_html(html)
    if root is None:
        return []
    result: list[str] = []
    for href in root.xpath("//a[starts-with(translate(@href,'TEL','tel'),'tel:')]/@href"):
        phone = phone_e164(unquote(href.split(":", 1)[1]))
        if phone and phone not in result:
            result.append(phone)
    for block in text_blocks(html):
        for phone in phones_from_text("\n".join(block.lines)):
            if phone not in result:
                result.append(phone)
    return result


# How far after an address its own phone may be written ("...TX 78701<br>Phone: (512) 555-0134").
PHONE_WINDOW = 60


def addresses_from_text(text: str) -> list[dict]:
    """US street addresses ({street, city, state, postal_code, phone}) written in `text`
    (crawler/extract/addresses.py parses them).

    The ZIP is cut to 5 digits; `phone` is the number written right after the address (before any
    other address), else None. A city that is no city of its ZIP is replaced by the ZIP's own city
    (the page's spelling kept as `city_as_written`), so a wrong city is never published as is.
    """
    found = find_addresses(text)
    result: list[dict] = []
    for index, (address, end) in enumerate(found):
        next_start = len(text) if index + 1 == len(found) else found[index + 1][1]
        window = text[end : min(next_start, end + PHONE_WINDOW)]
        phones = phones_from_text(window)
        address = dict(address, phone=phones[0] if phones else None)
        checked = address.pop("city_checked")
        if not checked:
            city = zip_city(address["postal_code"])
            if city and city.upper() != (address["city"] or "").upper():
                address["city_as_written"] = address["city"]
                address["city"] = city
        if address not in result:
            result.append(address)
    return result


def addresses_from_blocks(blocks) -> list[dict]:
    """US street addresses in text blocks (crawler.extract.html_text.Block), in document order."""
    result: list[dict] = []
    for block in blocks:
        if block.tag == "img":
            continue
        merge_addresses(result, addresses_from_text("\n".join(block.lines)))
    return result


def addresses_from_html(html: str | bytes) -> list[dict]:
    """US street addresses from <address> tags, footers and text blocks, in document order."""
    return addresses_from_blocks(text_blocks(html))


def same_place(one: dict, other: dict) -> bool:
    """True when two addresses share ZIP and street line (suite and phone may differ; "Pkwy" is
    "Parkway", by USPS normalisation)."""

    def street(address: dict) -> str:
        return re.sub(r"[^a-z0-9]", "", (address.get("street") or "").lower().split(",")[0])

    if one.get("postal_code") != other.get("postal_code"):
        return False
    key = address_key(one.get("street"), one.get("postal_code"))
    if key is not None and key == address_key(other.get("street"), other.get("postal_code")):
        return True
    # "705 Clear Creek" vs "705 Clear Creek Switchback": an unknown street type pushed into the city.
    first, second = sorted((street(one), street(other)), key=len)
    return bool(first) and second.startswith(first)


def merge_addresses(known: list[dict], found: list[dict]) -> None:
    """Add `found` addresses to `known` in place; a repeat only fills in a missing phone."""
    for address in found:
        same = next((a for a in known if same_place(a, address)), None)
        if same is None:
            known.append(dict(address))
        elif not same.get("phone") and address.get("phone"):
            same["phone"] = address["phone"]

"""Phones (tel: links, visible numbers) and US street addresses from a page."""

from __future__ import annotations

import re
from urllib.parse import unquote

from crawler.extract.html_text import parse_html, text_blocks
from crawler.extract.normalise import (
    STATE_NAMES,
    US_STATES,
    normalise_state,
    normalise_zip,
    phone_e164,
)

# A visible US number: optional +1, area code in parentheses or not, 3-4 digits, common separators.
_PHONE_TEXT = re.compile(
    r"(?<![\d.])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\d])"
)
_STATE_ALTERNATION = "|".join(
    sorted([*US_STATES, *(name.title() for name in STATE_NAMES)], key=len, reverse=True)
)
_STREET_SUFFIX = (
    r"(?:St|Street|Ave|Avenue|Blvd|Boulevard|Rd|Road|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place|Pkwy|"
    r"Parkway|Hwy|Highway|Sq|Square|Ter|Terrace|Cir|Circle|Trl|Trail|Pike|Loop|Row|Plaza|Fwy|Freeway|"
    r"Expy|Expressway|Alley|Run|Path|Broadway|Center|Ctr|Commons|Crossing|Walk|Yard|Bend|Point|Pt|"
    r"Pass|Landing|Hollow|Ridge|Heights|Park|Mall|Green|Station|Gate|Harbor|Bluff|Creek|Mill|Cove|"
    r"Market|Vista|View|Glen|Grove|Hill|Hills|Court|Close|Mews|Oval|Promenade|Esplanade)\.?"
)
_UNIT = r"(?:Suite|Ste\.?|Unit|Apt\.?|Floor|Fl\.?|Bldg\.?|Building|Room|Rm\.?|#)\s*[\w-]+"
_ADDRESS = re.compile(
    rf"(?P<street>\b\d{{1,6}}[A-Za-z]?(?:\s+[NSEW]\.?)?\s+(?:[A-Za-z0-9.'-]+\s+){{0,5}}?{_STREET_SUFFIX}"
    rf"(?:\s+[NSEW]{{1,2}}\b\.?)?(?:[,\s]+{_UNIT})?)"
    rf"\s*(?:,|\n|\s)\s*(?:{_UNIT}\s*(?:,|\n)\s*)?"
    rf"(?P<city>[A-Z][A-Za-z.'-]*(?:\s+[A-Z][A-Za-z.'-]*){{0,3}})\s*,?\s+"
    rf"(?P<state>{_STATE_ALTERNATION})\.?,?\s+(?P<zip>\d{{5}}(?:-\d{{4}})?)\b"
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


# An address laid out in lines, whatever the street type: "1888 Wynkoop Yard, Suite 210\nDenver, CO 80202".
_ADDRESS_LINES = re.compile(
    rf"(?m)^(?P<street>\d{{1,6}}[A-Za-z]?\s+[A-Za-z0-9.' -]{{2,60}}?(?:,\s*{_UNIT})?)[ \t]*,?[ \t]*\n"
    rf"(?:[ \t]*{_UNIT}[ \t]*\n)?"
    rf"[ \t]*(?P<city>[A-Z][A-Za-z.'-]*(?:[ \t]+[A-Z][A-Za-z.'-]*){{0,3}})[ \t]*,?[ \t]+"
    rf"(?P<state>{_STATE_ALTERNATION})\.?,?[ \t]+(?P<zip>\d{{5}}(?:-\d{{4}})?)\b"
)
# How far after an address its own phone may be written ("...TX 78701<br>Phone: (512) 555-0134").
PHONE_WINDOW = 60


def addresses_from_text(text: str) -> list[dict]:
    """US street addresses ({street, city, state, postal_code, phone}) written in `text`.

    The ZIP is cut to 5 digits; `phone` is the number written right after the address (before any
    other address), else None.
    """
    matches = sorted(
        [*_ADDRESS.finditer(text), *_ADDRESS_LINES.finditer(text)],
        key=lambda m: (m.start(), -m.end()),
    )
    kept: list[re.Match[str]] = []
    for match in matches:  # the two patterns often find the same address: keep the first, longest
        if not kept or match.start() >= kept[-1].end():
            kept.append(match)
    result: list[dict] = []
    for index, match in enumerate(kept):
        window_end = kept[index + 1].start() if index + 1 < len(kept) else len(text)
        window = text[match.end() : min(window_end, match.end() + PHONE_WINDOW)]
        phones = phones_from_text(window)
        address = {
            "street": re.sub(r"\s+", " ", match.group("street")).strip(" ,"),
            "city": re.sub(r"\s+", " ", match.group("city")).strip(" ,"),
            "state": normalise_state(match.group("state")),
            "postal_code": normalise_zip(match.group("zip")),
            "phone": phones[0] if phones else None,
        }
        if address["state"] and address["postal_code"] and address not in result:
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
    """True when two addresses share ZIP and street line (suite and phone may differ)."""

    def street(address: dict) -> str:
        return re.sub(r"[^a-z0-9]", "", (address.get("street") or "").lower().split(",")[0])

    if one.get("postal_code") != other.get("postal_code"):
        return False
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

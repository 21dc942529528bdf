"""US postal addresses in page text, parsed by a field library rather than a pattern.

A state and ZIP ("TX 78746") anchor an address; the few lines before them are handed to
`usaddress` (a probabilistic parser trained on US addresses), which labels each token: number,
street name and type, unit, PO box, city. The city is then checked against the ZIP in the offline
`zipcodes` table: words the parser put in the city that are not part of any city of that ZIP go
back to the street ("1888 Wynkoop Yard Denver, CO" -> street "1888 Wynkoop Yard", city Denver), and
a city that is no city of its ZIP is kept but flagged (`city_checked: False`) for review.

`address_key` is the grouping key: USPS Publication 28 normalisation (`usaddress-scourgify`) of the
street line and the ZIP, so "Pkwy" and "Parkway" are one office. Pure (the ZIP table is data).
"""

from __future__ import annotations

import re
from functools import cache

import usaddress

from crawler.extract.normalise import STATE_NAMES, US_STATES, normalise_state, normalise_zip

_STATE_ALTERNATION = "|".join(
    sorted(
        [*US_STATES, *(name.title() for name in STATE_NAMES), *STATE_NAMES], key=len, reverse=True
    )
)
# The end of an address: a state and a ZIP (the anchor every US address has).
_ANCHOR = re.compile(
    rf"(?<![A-Za-z])(?P<state>{_STATE_ALTERNATION})\.?,?[ \t]+(?P<zip>\d{{5}}(?:-\d{{4}})?)(?!\d)"
)
# How far back from its state and ZIP an address may start.
MAX_ADDRESS_CHARS = 160
MAX_ADDRESS_LINES = 4
_STREET_LABELS = (
    "AddressNumberPrefix", "AddressNumber", "AddressNumberSuffix", "StreetNamePreDirectional",
    "StreetNamePreModifier", "StreetNamePreType", "StreetName", "StreetNamePostType",
    "StreetNamePostDirectional", "StreetNamePostModifier", "BuildingName", "CornerOf",
    "IntersectionSeparator", "SecondStreetName", "SecondStreetNamePostType",
)  # fmt: skip
_UNIT_LABELS = ("OccupancyType", "OccupancyIdentifier", "SubaddressType", "SubaddressIdentifier")
_BOX_LABELS = ("USPSBoxType", "USPSBoxID", "USPSBoxGroupType", "USPSBoxGroupID")
_FIRST_LABELS = {"AddressNumber", "USPSBoxType", "BuildingName", "AddressNumberPrefix"}
_UNIT_LINE = re.compile(
    r"^(?:suite|ste\.?|unit|floor|fl\.?|bldg\.?|building|room|rm\.?|#)\s*\S+$", re.I
)
_NOT_ADDRESS = re.compile(
    r"(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}|\S+@\S+|"
    r"\b(?:phone|tel|fax|call|email|hours)\b\.?:?",
    re.I,
)
_NUMBER_WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}


@cache
def _zip_cities(zip5: str) -> tuple[str, ...]:
    """The city and the acceptable city names of a ZIP, upper-cased ("" when unknown)."""
    import zipcodes  # loaded lazily: it reads its whole table on first use

    try:
        matches = zipcodes.matching(zip5)
    except (ValueError, TypeError):
        return ()
    names: list[str] = []
    for match in matches:
        names.append(match.get("city") or "")
        names.extend(match.get("acceptable_cities") or [])
    return tuple(dict.fromkeys(n.upper() for n in names if n))


def zip_city(zip5: str | None) -> str | None:
    """The ZIP's own city, as the table spells it ("Austin"), or None."""
    import zipcodes

    if not zip5:
        return None
    try:
        matches = zipcodes.matching(zip5)
    except (ValueError, TypeError):
        return None
    return matches[0].get("city") if matches else None


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" ,;")


def _window(text: str, start: int, end: int) -> tuple[str, str | None]:
    """The text an address may occupy before its anchor at `end` (never before `start`, where the
    previous address ended): a few lines, at most so many chars; and a unit written on its own
    line before the street ("Suite 210\n1888 Wynkoop Yard"), which the parser would misread."""
    before = text[max(start, end - MAX_ADDRESS_CHARS) : end]
    # what precedes a phone number or an e-mail belongs to something else (the office before)
    cut = max((m.end() for m in _NOT_ADDRESS.finditer(before)), default=0)
    lines = before[cut:].split("\n")[-MAX_ADDRESS_LINES:]
    for index in range(len(lines) - 1):
        if _UNIT_LINE.match(lines[index].strip()) and re.match(r"\s*\d", lines[index + 1]):
            return "\n".join(lines[index + 1 :]), lines[index].strip()
    return "\n".join(lines), None


def _tag(window: str, state: str, zip_code: str) -> list[tuple[str, str]] | None:
    """(token, label) pairs for an address, starting at its first street or box token."""
    try:
        tokens = usaddress.parse(f"{window} {state} {zip_code}")
    except (ValueError, TypeError):  # the parser's own failures on odd input
        return None
    first = next((i for i, (_t, label) in enumerate(tokens) if label in _FIRST_LABELS), None)
    if first is None:
        return None
    # "Address: Northgate Health Center, 10400 N. Port Washington Road": a label or a building's
    # name before the number is not the street line
    number = next(
        (i for i, (_t, label) in enumerate(tokens) if label == "AddressNumber" and i > first), None
    )
    if number is not None and tokens[first][1] == "BuildingName":
        first = number
    # "Visit our office at 410 Colorado..." ends up Recipient/LandmarkName before the number; a
    # unit written before the number ("Suite 220, 5110 Mineral Point Road") is kept, after it
    units = [(t, label) for t, label in tokens[:first] if label in _UNIT_LABELS]
    return tokens[first:] + units


def city_form(name: str) -> str:
    """A city name for comparison: "St. Louis", "SAINT LOUIS" and "St Louis" are one."""
    text = re.sub(r"[.\s]+", " ", name.upper()).strip()
    return re.sub(
        r"^(?:ST|SAINT) ",
        "SAINT ",
        re.sub(r"^(?:FT|FORT) ", "FORT ", re.sub(r"^(?:MT|MOUNT) ", "MOUNT ", text)),
    )


def _split_city(place: list[str], zip5: str | None) -> tuple[list[str], list[str]]:
    """(words that belong to the street, the city words), by the ZIP's own city names."""
    cities = {city_form(c) for c in _zip_cities(zip5)} if zip5 else set()
    words = [w.strip(",") for w in place]
    for start in range(len(words)):
        if city_form(" ".join(words[start:])) in cities:
            return words[:start], words[start:]
    return [], words


def parse_address(text: str, state: str, zip_code: str, unit: str | None = None) -> dict | None:
    """The address ending in `state zip_code` whose street lines are `text`, or None."""
    tagged = _tag(text, state, zip_code)
    if not tagged:
        return None
    by_label: dict[str, list[str]] = {}
    order: list[str] = []
    for token, label in tagged:
        by_label.setdefault(label, []).append(token)
        if label not in order:
            order.append(label)
    zip5 = normalise_zip(zip_code)
    extra, city_words = _split_city(by_label.get("PlaceName", []), zip5)
    street_tokens = [t for t, label in tagged if label in _STREET_LABELS] + extra
    box_tokens = [t for t, label in tagged if label in _BOX_LABELS]
    unit_tokens = [t for t, label in tagged if label in _UNIT_LABELS] + ([unit] if unit else [])
    if not street_tokens and not box_tokens:
        return None
    number = by_label.get("AddressNumber", [""])[0].lower()
    if street_tokens and not (
        number[:1].isdigit() or number in _NUMBER_WORDS or box_tokens or "BuildingName" in by_label
    ):
        return None
    street = _clean(" ".join(street_tokens or box_tokens))
    if unit_tokens:
        street = f"{street}, {_clean(' '.join(unit_tokens))}"
    if street_tokens and box_tokens:
        street = f"{street}, {_clean(' '.join(box_tokens))}"
    city = _clean(" ".join(city_words)) or None
    cities = _zip_cities(zip5) if zip5 else ()
    return {
        "street": street,
        "city": city,
        "state": normalise_state(state),
        "postal_code": zip5,
        "phone": None,
        "city_checked": bool(city and city_form(city) in {city_form(c) for c in cities}),
    }


def find_addresses(text: str) -> list[tuple[dict, int]]:
    """Every address written in `text`, with the offset where each ends (after its ZIP)."""
    found: list[tuple[dict, int]] = []
    previous_end = 0
    for anchor in _ANCHOR.finditer(text):
        window, unit = _window(text, previous_end, anchor.start())
        address = parse_address(window, anchor.group("state"), anchor.group("zip"), unit)
        if address is not None and address["state"] and address["postal_code"]:
            found.append((address, anchor.end()))
            previous_end = anchor.end()
    return found


@cache
def _usps_line(line: str) -> str | None:
    """A street line in USPS Publication 28 form ("2875 BEE CAVE HOLLOW RD"), or None."""
    from scourgify import normalize_address_record
    from scourgify.exceptions import AddressNormalizationError

    record = {"address_line_1": line, "address_line_2": None, "city": "X", "state": "TX",
              "postal_code": "78701"}  # fmt: skip
    try:
        return normalize_address_record(record).get("address_line_1") or None
    except AddressNormalizationError:
        return None


def address_key(street: str | None, postal_code: str | None) -> str | None:
    """One office's grouping key: the USPS-normalised street line (units dropped) and the ZIP."""
    if not street:
        return None
    line = street.split(",")[0]
    normal = _usps_line(line)
    line = normal if normal is not None else line.upper()  # a PO box, a line it cannot read
    words = re.sub(r"[^A-Z0-9 ]+", " ", line.upper()).split()
    return " ".join(words) + f"|{(postal_code or '')[:5]}"

"""Directory listing pages -> entries -> PractitionerItems (pure functions over page text): the
fields a config's selectors find, names split into parts with credentials and role, the location,
the practice website an entry links to, and the next listing page.

Owns: DirectoryEntry, ListedName, entries_from_page, next_page_url, parse_listed_name,
practice_website, entry_item. Does no I/O; must not import index, search_web or the directory
spider (site_root still comes from the practice spider module, until the extraction work gives it
a home of its own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from crawler.directories.config import ADDRESS_PARTS, DirectoryConfig, host_allowed
from crawler.extract.contact import addresses_from_text, phones_from_text
from crawler.extract.normalise import (
    collapse_ws,
    is_known_credential,
    name_key,
    normalise_credential,
    normalise_state,
    normalise_zip,
    phone_e164,
    role_for_credentials,
    specialties_from_text,
    tidy_name_part,
)
from crawler.extract.people import role_from_phrase
from crawler.items import PractitionerItem
from crawler.middlewares import canonical_url
from crawler.spiders.practice_site import site_root

_SUFFIXES = {"jr": "Jr.", "sr": "Sr.", "ii": "II", "iii": "III", "iv": "IV"}
_TITLE = re.compile(r"^(?:dr|doctor)\.?\s+", re.IGNORECASE)
# The tail of an address with no street we recognise: "[City, ]ST 12345[-6789]".
_PLACE_AT_END = re.compile(
    r"(?:(?P<city>[A-Za-z][A-Za-z .'-]*?)\s*,\s*)?(?:^|(?<=[\s,]))(?P<state>[A-Za-z]{2})\.?,?\s+"
    r"(?P<zip>\d{5})(?:-\d{4})?\s*$"
)


@dataclass
class DirectoryEntry:
    """What one listing entry says, as raw-but-trimmed text (None when the field is absent)."""

    values: dict[str, str | None] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        return self.values.get(key)


@dataclass
class ListedName:
    """A listed person's name split into parts, with credentials and the role they imply."""

    name: str
    first_name: str
    middle_name: str | None
    last_name: str
    suffix: str | None
    credentials: list[str]
    role: str
    is_physician: bool


def _node_texts(node: Selector, selector: str) -> list[str]:
    """Strings a selector yields: "::text"/"::attr()" values as they are, elements as their text."""
    texts = []
    for match in node.css(selector):
        value = match.get() if "::" in selector else match.xpath("string()").get()
        value = collapse_ws(value or "")
        if value:
            texts.append(value)
    return texts


def _field_text(node: Selector, selector: str | None, separator: str = " ") -> str | None:
    if not selector:
        return None
    return separator.join(_node_texts(node, selector)) or None


def _address_text(node: Selector, selector: str) -> str | None:
    """An address's lines ("<br>"-separated text nodes become lines, which the parser uses)."""
    lines: list[str] = []
    for match in node.css(selector):
        parts = [match.get()] if "::" in selector else match.xpath(".//text()").getall()
        lines += [collapse_ws(part) for part in parts if collapse_ws(part or "")]
    return "\n".join(lines) or None


def entries_from_page(html: str, config: DirectoryConfig) -> list[DirectoryEntry]:
    """Every entry the config's `listing` selector finds on a page, with its fields' text."""
    page = Selector(text=html)
    entries = []
    for node in page.css(config.listing):
        values: dict[str, str | None] = {}
        for key, selector in config.fields.items():
            if key == "address":
                values[key] = _address_text(node, selector)
            elif key in ("website", "profile_url"):
                values[key] = _link_value(node, selector)
            else:
                values[key] = _field_text(node, selector, ", " if key == "credentials" else " ")
        entries.append(DirectoryEntry(values=values))
    return entries


def _link_value(node: Selector, selector: str) -> str | None:
    """A link field: the selector's value, or the href of the element it matches."""
    for match in node.css(selector):
        value = match.get() if "::" in selector else match.attrib.get("href")
        if value and value.strip():
            return value.strip()
    return None


def next_page_url(html: str, page_url: str, config: DirectoryConfig) -> str | None:
    """The absolute URL of the next listing page, or None (no selector, no link, or off-host)."""
    if not config.next_page:
        return None
    page = Selector(text=html)
    href = _link_value(page, config.next_page)
    if not href:
        return None
    target = urljoin(page_url, href).split("#", 1)[0]
    if not host_allowed(target, config.allowed_hosts):
        return None
    return canonical_url(target)


def _is_credential_token(token: str) -> bool:
    # Credentials are written in capitals ("MD", "M.D.", "PA-C"); "Le" in "Kim Le" is a surname.
    letters = re.sub(r"[^A-Za-z]", "", token)
    return (
        bool(letters)
        and (letters.isupper() or letters in ("PhD", "PharmD", "PsyD"))
        and is_known_credential(token)
    )


def _is_given_names(chunk: str) -> bool:
    words = chunk.split()
    return (
        0 < len(words) <= 3
        and all(re.fullmatch(r"[A-Za-z][A-Za-z'’.-]*", word) for word in words)
        and not any(_is_credential_token(word) for word in words)
        and words[0].lower().rstrip(".") not in _SUFFIXES
        and role_from_phrase(chunk) is None
    )


def parse_listed_name(
    name_text: str | None, credentials_text: str | None = None
) -> ListedName | None:
    """A listed name ("Dr. Cara Holt, MD, FACS", "Rosa Vance RN", "HOLT, CARA M") split into parts.

    The directory says this text is a name, so unlike people.py no "Dr." or credential is required;
    a first and a last name still are. Credentials come from the name's tail and the credentials
    field (only ones skinmap knows); a spelled-out title ("Registered Nurse") gives the role when
    the credentials say nothing. "Dr." alone does not make a physician (dentists, PhDs use it too).
    """
    text = collapse_ws(name_text or "")
    if not text:
        return None
    text = _TITLE.sub("", text)
    text = re.sub(r"[()]", ",", text)
    chunks = [chunk.strip() for chunk in text.split(",") if chunk.strip()]
    if not chunks:
        return None
    tokens = chunks[0].split()
    rest = chunks[1:]
    # "Holt, Cara" / "HOLT, CARA M": a surname alone, then the given names (registry order).
    if len(tokens) == 1 and rest and _is_given_names(rest[0]):
        tokens = rest[0].split() + tokens
        rest = rest[1:]
    credentials: list[str] = []
    suffix: str | None = None
    role_hint = role_from_phrase(credentials_text or "")
    for chunk in rest:
        words = chunk.split()
        if all(_is_credential_token(word) for word in words):
            credentials += [normalise_credential(word) for word in words]
        elif len(words) == 1 and words[0].lower().rstrip(".") in _SUFFIXES:
            suffix = _SUFFIXES[words[0].lower().rstrip(".")]
        else:
            role_hint = role_hint or role_from_phrase(chunk)
    # Credentials written without a comma ("Rosa Vance RN"), peeled from the end.
    while len(tokens) > 2 and _is_credential_token(tokens[-1]):
        credentials.insert(0, normalise_credential(tokens.pop()))
    if len(tokens) > 2 and tokens[-1].lower().rstrip(".") in _SUFFIXES:
        suffix = _SUFFIXES[tokens.pop().lower().rstrip(".")]
    for token in re.split(r"[,;/]|\s+", credentials_text or ""):
        if token and _is_credential_token(token):
            credentials.append(normalise_credential(token))
    credentials = list(dict.fromkeys(c for c in credentials if c))
    tokens = [tidy_name_part(token) or token for token in tokens]
    if len(tokens) < 2 or not all(re.search(r"[A-Za-z]", token) for token in tokens):
        return None
    role = role_for_credentials(credentials)
    if role == "other" and role_hint:
        role = role_hint
    return ListedName(
        name=" ".join(tokens),
        first_name=tokens[0],
        middle_name=" ".join(tokens[1:-1]) or None,
        last_name=tokens[-1],
        suffix=suffix,
        credentials=credentials,
        role=role,
        is_physician=role == "physician",
    )


def _location(entry: DirectoryEntry) -> dict | None:
    """The entry's location (Location contract), or None when it gives no place nor phone."""
    phone_text = entry.get("phone") or ""
    phone_text = (
        phone_text.split(":", 1)[1] if phone_text.lower().startswith("tel:") else phone_text
    )
    phones = phones_from_text(phone_text)
    phone = phones[0] if phones else phone_e164(phone_text)
    location: dict[str, Any] = {
        "practice": entry.get("practice"),
        "street": None,
        "city": None,
        "state": None,
        "postal_code": None,
        "phone": phone,
        "lat": None,
        "lon": None,
    }
    address = entry.get("address")
    if address:
        found = addresses_from_text(address)
        if found:
            first = found[0]
            location.update({key: first[key] for key in ADDRESS_PARTS})
            location["phone"] = location["phone"] or first.get("phone")
        else:  # no street we recognise: keep the place from the address's last line
            place = _PLACE_AT_END.search(address.splitlines()[-1])
            if place and normalise_state(place.group("state")):
                location["city"] = place.group("city")
                location["state"] = normalise_state(place.group("state"))
                location["postal_code"] = normalise_zip(place.group("zip"))
    else:
        location["street"] = entry.get("street")
        location["city"] = entry.get("city")
        location["state"] = normalise_state(entry.get("state"))
        location["postal_code"] = normalise_zip(entry.get("postal_code"))
    if not any(location[key] for key in (*ADDRESS_PARTS, "phone")):
        return None
    return location


def practice_website(href: str | None, page_url: str, config: DirectoryConfig) -> str | None:
    """The practice's own website from an entry's link: absolute http(s) and not the directory's
    own pages (a "website" link back into the directory is a profile, not a practice site)."""
    if not href:
        return None
    url = urljoin(page_url, href).split("#", 1)[0]
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        return None
    if host_allowed(url, config.allowed_hosts):
        return None
    return canonical_url(url)


def entry_item(
    entry: DirectoryEntry,
    page_url: str,
    listing_url: str,
    config: DirectoryConfig,
    fetched_at: str,
) -> PractitionerItem | None:
    """The PractitionerItem for one entry, or None when the entry has no usable name.

    `listing_url` is the start URL of the listing the entry was found under, so an entry moving
    to another page between crawls keeps its source key.
    """
    person = parse_listed_name(entry.get("name"), entry.get("credentials"))
    if person is None:
        return None
    website = practice_website(entry.get("website"), page_url, config)
    profile = entry.get("profile_url")
    profile_url = urljoin(page_url, profile) if profile else None
    if profile_url and urlsplit(profile_url).scheme not in ("http", "https"):
        profile_url = None
    location = _location(entry)
    return PractitionerItem(
        source="directory",
        source_key=f"{canonical_url(listing_url)}#{name_key(person.name)}",
        url=page_url,
        fetched_at=fetched_at,
        name=person.name,
        first_name=person.first_name,
        middle_name=person.middle_name,
        last_name=person.last_name,
        suffix=person.suffix,
        credentials=person.credentials,
        specialties=specialties_from_text(entry.get("specialty") or ""),
        is_physician=person.is_physician,
        role=person.role,
        practice_name=entry.get("practice"),
        website=site_root(website) if website else None,
        profile_url=profile_url,
        locations=[location] if location else [],
        extra={"listed_website": website} if website else {},
    )

"""Spider "directory": read public listing pages of practitioners (a society's "find a
dermatologist", a city guide) described by a config file, so adding a directory needs no code.

Each listing entry becomes a PractitionerItem with source "directory"; the practice websites the
entries link to are written to `DATA_DIR/crawls/directory-<name>-seeds.txt` for
`skinmap crawl practices --seeds FILE`, which is where microneedling evidence comes from: a
directory entry never carries evidence of its own.

Config (JSON, or TOML when the file ends in .toml); every key is checked before the crawl starts
and a mistake raises `DirectoryConfigError` naming the key (see docs/directory-config.md):

    name           slug for the seeds file and logs: lower-case letters, digits, "-" and "_"
    start_urls     list of http(s) URLs of the listing's first pages
    allowed_hosts  optional list of hosts ("dir.example" or "dir.example:8080") that next-page links
                   may lead to; default: the start URLs' hosts (host:port)
    listing        CSS selector matching one entry on a listing page
    fields         CSS selectors inside one entry (parsel syntax: "::text", "::attr(href)"; a
                   selector without them reads the element's whole text):
                     name (required), credentials, specialty, practice,
                     address (one text) or street/city/state/postal_code (not both),
                     phone, website, profile_url
    next_page      optional CSS selector of the link to the next listing page (its href is used
                   unless the selector says "::attr(...)")
    max_pages      optional, default 20: listing pages read per start URL, the first one included
"""

from __future__ import annotations

import json
import logging
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from cssselect import SelectorError
from parsel import Selector
from scrapy import signals
from scrapy.http import TextResponse

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
from crawler.items import PractitionerItem, utc_now
from crawler.middlewares import canonical_url
from crawler.spiders.practice_site import site_root

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 20
# A bound on the bound: a typo ("max_pages": 100000) must not turn into an endless crawl.
MAX_MAX_PAGES = 1000
TOP_KEYS = ("name", "start_urls", "allowed_hosts", "listing", "fields", "next_page", "max_pages")
REQUIRED_TOP_KEYS = ("name", "start_urls", "listing", "fields")
ADDRESS_PARTS = ("street", "city", "state", "postal_code")
FIELD_KEYS = (
    "name",
    "credentials",
    "specialty",
    "practice",
    "address",
    *ADDRESS_PARTS,
    "phone",
    "website",
    "profile_url",
)
_NAME_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SUFFIXES = {"jr": "Jr.", "sr": "Sr.", "ii": "II", "iii": "III", "iv": "IV"}
_TITLE = re.compile(r"^(?:dr|doctor)\.?\s+", re.IGNORECASE)
# The tail of an address with no street we recognise: "[City, ]ST 12345[-6789]".
_PLACE_AT_END = re.compile(
    r"(?:(?P<city>[A-Za-z][A-Za-z .'-]*?)\s*,\s*)?(?:^|(?<=[\s,]))(?P<state>[A-Za-z]{2})\.?,?\s+"
    r"(?P<zip>\d{5})(?:-\d{4})?\s*$"
)


class DirectoryConfigError(ValueError):
    """A directory config that cannot be used; the message names the offending key."""


@dataclass(frozen=True)
class DirectoryConfig:
    """A validated directory config (see the module docstring for the file format)."""

    name: str
    start_urls: tuple[str, ...]
    allowed_hosts: tuple[str, ...]
    listing: str
    fields: dict[str, str]
    next_page: str | None = None
    max_pages: int = DEFAULT_MAX_PAGES


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


# ---------------------------------------------------------------- config


def _check_selector(key: str, selector: Any) -> str:
    if not isinstance(selector, str) or not selector.strip():
        raise DirectoryConfigError(f"{key}: expected a non-empty CSS selector string")
    try:
        Selector(text="<html></html>").css(selector)
    except (SelectorError, ValueError) as error:
        raise DirectoryConfigError(f"{key}: invalid CSS selector {selector!r}: {error}") from None
    return selector.strip()


def _check_http_url(key: str, url: Any) -> str:
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise DirectoryConfigError(f"{key}: expected an http(s) URL, got {url!r}")
    if not urlsplit(url).hostname:
        raise DirectoryConfigError(f"{key}: URL {url!r} has no host")
    return url


def _refuse_unknown(given: dict, known: tuple[str, ...], prefix: str, what: str) -> None:
    # Typos ("next_pgae") must fail loudly: a silently ignored key is a crawl that reads nothing.
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise DirectoryConfigError(
            f"{prefix}{unknown[0]}: unknown {what}; expected some of {', '.join(known)}"
        )


def validate_config(raw: Any) -> DirectoryConfig:
    """A DirectoryConfig from parsed JSON/TOML; raises DirectoryConfigError naming the bad key."""
    if not isinstance(raw, dict):
        raise DirectoryConfigError("the config must be an object (JSON) or a table (TOML)")
    _refuse_unknown(raw, TOP_KEYS, "", "key")
    for key in REQUIRED_TOP_KEYS:
        if key not in raw:
            raise DirectoryConfigError(f"{key}: required key is missing")

    name = raw["name"]
    if not isinstance(name, str) or not _NAME_SLUG.match(name):
        raise DirectoryConfigError(
            f"name: expected a short slug of lower-case letters, digits, '-' and '_' "
            f"(it names the seeds file), got {name!r}"
        )

    start_urls = raw["start_urls"]
    if isinstance(start_urls, str) or not isinstance(start_urls, list) or not start_urls:
        raise DirectoryConfigError("start_urls: expected a non-empty list of URLs")
    start_urls = [
        _check_http_url(f"start_urls[{index}]", url) for index, url in enumerate(start_urls)
    ]

    if "allowed_hosts" in raw:
        hosts = raw["allowed_hosts"]
        if isinstance(hosts, str) or not isinstance(hosts, list) or not hosts:
            raise DirectoryConfigError("allowed_hosts: expected a non-empty list of host names")
        for index, host in enumerate(hosts):
            if not isinstance(host, str) or not re.fullmatch(r"[A-Za-z0-9.-]+(?::\d+)?", host):
                raise DirectoryConfigError(
                    f"allowed_hosts[{index}]: expected a host name like 'dir.example' or "
                    f"'dir.example:8080', got {host!r}"
                )
        allowed = tuple(host.lower() for host in hosts)
    else:
        allowed = tuple(dict.fromkeys(urlsplit(url).netloc.lower() for url in start_urls))
    for index, url in enumerate(start_urls):
        if not host_allowed(url, allowed):
            raise DirectoryConfigError(
                f"start_urls[{index}]: host of {url!r} is not in allowed_hosts"
            )

    listing = _check_selector("listing", raw["listing"])

    fields_raw = raw["fields"]
    if not isinstance(fields_raw, dict):
        raise DirectoryConfigError("fields: expected an object of field name -> CSS selector")
    _refuse_unknown(fields_raw, FIELD_KEYS, "fields.", "field")
    if "name" not in fields_raw:
        raise DirectoryConfigError("fields.name: required field is missing")
    if "address" in fields_raw and any(part in fields_raw for part in ADDRESS_PARTS):
        part = next(part for part in ADDRESS_PARTS if part in fields_raw)
        raise DirectoryConfigError(
            f"fields.{part}: give either fields.address or the address parts, not both"
        )
    fields_checked = {
        key: _check_selector(f"fields.{key}", selector) for key, selector in fields_raw.items()
    }

    next_page = raw.get("next_page")
    if next_page is not None:
        next_page = _check_selector("next_page", next_page)

    max_pages = raw.get("max_pages", DEFAULT_MAX_PAGES)
    if (
        isinstance(max_pages, bool)
        or not isinstance(max_pages, int)
        or not 1 <= max_pages <= MAX_MAX_PAGES
    ):
        raise DirectoryConfigError(
            f"max_pages: expected a whole number from 1 to {MAX_MAX_PAGES}, got {max_pages!r}"
        )

    return DirectoryConfig(
        name=name,
        start_urls=tuple(start_urls),
        allowed_hosts=allowed,
        listing=listing,
        fields=fields_checked,
        next_page=next_page,
        max_pages=max_pages,
    )


def load_config(path: str | Path) -> DirectoryConfig:
    """Read and validate a config file (.toml as TOML, anything else as JSON)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DirectoryConfigError(f"cannot read config {path}: {error.strerror}") from None
    try:
        raw = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise DirectoryConfigError(f"config {path} is not valid: {error}") from None
    try:
        return validate_config(raw)
    except DirectoryConfigError as error:
        raise DirectoryConfigError(f"config {path}: {error}") from None


def host_allowed(url: str, allowed_hosts: tuple[str, ...]) -> bool:
    """True when `url` is http(s) and its host (or host:port) is one of `allowed_hosts`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    return parts.hostname.lower() in allowed_hosts or parts.netloc.lower() in allowed_hosts


def seeds_path(data_dir: str | Path, config_name: str) -> Path:
    """Where a directory crawl writes the practice websites it found."""
    return Path(data_dir) / "crawls" / f"directory-{config_name}-seeds.txt"


# ---------------------------------------------------------------- extraction (pure)


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


def write_seeds(path: Path, websites: Iterable[str]) -> None:
    """Write the websites one per line, once each, sorted, replacing the file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text("".join(f"{url}\n" for url in sorted(set(websites))), encoding="utf-8")
    os.replace(partial, path)


# ---------------------------------------------------------------- spider (I/O shell)


class DirectorySpider(scrapy.Spider):
    name = "directory"
    # max_pages bounds a listing; DEPTH_LIMIT (for practice sites) would cut one at page 5.
    custom_settings = {"DEPTH_LIMIT": 0}

    def __init__(self, config: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if not config:
            raise DirectoryConfigError("the directory spider needs config=FILE")
        self.config = load_config(config)
        self.start_urls = list(self.config.start_urls)
        self.websites: set[str] = set()
        self.seeds_file: Path | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        data_dir = crawler.settings.get("SKINMAP_DATA_DIR")
        if data_dir:
            spider.seeds_file = seeds_path(data_dir, spider.config.name)
        return spider

    def listing_request(self, url: str, listing_url: str, page_number: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse,
            # max_pages bounds a listing; the per-site page cap is for practice sites.
            meta={
                "skinmap_listing": listing_url,
                "skinmap_page_number": page_number,
                "skinmap_uncapped": True,
            },
        )

    async def start(self):
        self.crawler.stats.set_value("directory/websites", 0)
        for url in self.start_urls:
            yield self.listing_request(url, url, 1)

    def parse(self, response):
        if not isinstance(response, TextResponse):
            return
        stats = self.crawler.stats
        stats.inc_value("directory/pages")
        listing_url = response.meta.get("skinmap_listing", response.url)
        page_number = response.meta.get("skinmap_page_number", 1)
        fetched_at = utc_now()
        entries = entries_from_page(response.text, self.config)
        if not entries:
            self.logger.warning("no entries matched %r on %s", self.config.listing, response.url)
        for entry in entries:
            item = entry_item(entry, response.url, listing_url, self.config, fetched_at)
            if item is None:
                stats.inc_value("directory/skipped_no_name")
                continue
            stats.inc_value("directory/entries")
            website = item.extra.get("listed_website")
            if website and website not in self.websites:
                self.websites.add(website)
                # With --resume (JOBDIR), Scrapy pickles `self.state` between runs.
                if getattr(self, "state", None) is not None:
                    self.state.setdefault("websites", set()).add(website)
                stats.set_value("directory/websites", len(self.websites))
                self.logger.info("practice website %s (%s)", website, item.name)
            yield item
        following = next_page_url(response.text, response.url, self.config)
        if following is None:
            return
        if page_number >= self.config.max_pages:
            stats.inc_value("directory/max_pages_reached")
            self.logger.info("max_pages %d reached for %s", self.config.max_pages, listing_url)
            return
        yield self.listing_request(following, listing_url, page_number + 1)

    def on_closed(self, spider, reason):
        # A resumed crawl does not re-read the pages an earlier run read: keep their websites too.
        self.websites |= set((getattr(self, "state", None) or {}).get("websites", ()))
        self.crawler.stats.set_value("directory/websites", len(self.websites))
        if self.seeds_file is None:
            self.logger.info("no SKINMAP_DATA_DIR: %d websites not written", len(self.websites))
            return
        write_seeds(self.seeds_file, self.websites)
        self.logger.info(
            "%d practice websites written to %s; crawl them with "
            "`skinmap crawl practices --seeds %s`",
            len(self.websites),
            self.seeds_file,
            self.seeds_file,
        )

"""The directory config file: JSON, or TOML when the file ends in .toml; every key is checked before
the crawl starts and a mistake raises `DirectoryConfigError` naming the key (see
docs/directory-config.md):

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

Owns: DirectoryConfig, validate_config, load_config, host_allowed, seeds_path. Must not import
scrapy, index or search_web (the CLI checks a config before any crawl starts).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cssselect import SelectorError
from parsel import Selector

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

"""Reading what the public sees for an export: the live generation's listings with the admin edits
published since the build, the --modified-after filter, and the profile link every format writes.

`modified_after` keeps listings whose last_seen or last_verified is at or after the given instant
(an ISO date means midnight UTC; a time without an offset is read as UTC).

Owns: ExportError and its kinds, live_listings_path, read_listings, parse_timestamp,
filter_modified, profile_url. Imports index's generation layout; never the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from index.build import LISTINGS_FILE, current_generation, index_dir
from index.published import published_listings
from index.records import Listing


class ExportError(Exception):
    """An export the user can fix; the message says what to do."""


class NoIndex(ExportError):
    """No live index generation exists yet."""


class BadTimestamp(ExportError):
    """`--modified-after` is not an ISO-8601 date or date-time."""


def live_listings_path(data_dir: Path) -> Path:
    """The listings file of the live generation; raises NoIndex when there is none."""
    generation = current_generation(data_dir)
    path = index_dir(data_dir) / generation / LISTINGS_FILE if generation else None
    if path is None or not path.is_file():
        raise NoIndex(f"no index in {data_dir} yet: run `skinmap index` first")
    return path


def read_listings(path: Path) -> Iterator[Listing]:
    """Listings from a generation's listings.jsonl with its published admin edits, hidden ones
    dropped: what the public sees (index.published)."""
    return published_listings(path)


def parse_timestamp(text: str) -> datetime:
    """An ISO-8601 date or date-time as an aware UTC datetime; raises BadTimestamp."""
    raw = (text or "").strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            moment = datetime.fromisoformat(raw + "T00:00:00")
        else:
            moment = datetime.fromisoformat(raw)
    except ValueError:
        raise BadTimestamp(
            f"--modified-after expects an ISO-8601 date or date-time such as 2026-11-01 or "
            f"2026-11-01T10:00:00Z, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _listing_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_timestamp(value)
    except BadTimestamp:
        return None


def modified_since(listing: Listing, cutoff: datetime) -> bool:
    """True when the listing was seen or verified at or after `cutoff` (an aware datetime)."""
    for value in (listing.last_seen, listing.last_verified):
        moment = _listing_time(value)
        if moment is not None and moment >= cutoff:
            return True
    return False


def filter_modified(listings: Iterable[Listing], cutoff: datetime | None) -> Iterator[Listing]:
    for listing in listings:
        if cutoff is None or modified_since(listing, cutoff):
            yield listing


def profile_url(listing: Listing, base_url: str = "") -> str:
    return f"{base_url.rstrip('/')}/practitioners/{listing.id}"

"""The curator's view of the directory: every listing (hidden ones too) with its crawled values, its
cluster members and its overrides, and the review queue computed from them (pure functions).

Resolution runs over the store as it is (index.people.read_people, as a build does, but keeping
hidden people and the values before overrides), so a decision shows here at once, before the
background rebuild has made it public.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from index.materialise import CITY_AS_CRAWLED
from index.people import People, read_people
from index.records import Listing, Override, Report
from index.store import Store

NEW_LISTING_DAYS = 30  # a listing first seen this recently and never approved is "new"
# Fuzzy links (name + phone/street/zip/website) below this score ask for a human look; NPI links never.
LOW_CONFIDENCE_SCORE = 0.97
CERTAIN_REASONS = ("npi", "anchor", "admin-merge")

CATEGORIES: dict[str, str] = {
    "new": "New listings",
    "merges": "Low-confidence merges",
    "evidence": "Microneedling evidence to confirm",
    "changed": "Changed since last verified",
    "stale": "Stale listings",
    "addresses": "Addresses to check (city is not the ZIP's)",
    "reports": "Patient reports",
    "hidden": "Hidden listings",
}

# Admin bookkeeping stored as overrides; index.materialise ignores fields outside OVERRIDABLE_FIELDS.
APPROVED = "approved"
VERIFIED = "verified"


@dataclass
class Member:
    """One observation in a listing's cluster, and why it joined."""

    observation_id: int
    key: str
    source: str
    url: str | None
    name: str
    npi: str | None
    reason: str
    score: float
    last_seen: str

    @property
    def low_confidence(self) -> bool:
        return self.reason not in CERTAIN_REASONS and self.score < LOW_CONFIDENCE_SCORE


@dataclass
class AdminListing:
    listing: Listing  # what the public sees (after overrides), hidden listings included
    crawled: Listing  # the same person from crawled data alone
    members: list[Member]
    overrides: list[Override]  # active overrides, oldest first
    reports: list[Report] = field(default_factory=list)  # open reports

    @property
    def id(self) -> str:
        return self.listing.id

    def latest(self, name: str) -> Override | None:
        found = [o for o in self.overrides if o.field == name]
        return found[-1] if found else None


@dataclass
class Catalog:
    listings: dict[str, AdminListing]
    observation_keys: dict[str, str]  # observation key -> listing id

    def get(self, listing_id: str) -> AdminListing | None:
        return self.listings.get(listing_id)


def verification_snapshot(listing: Listing) -> dict[str, Any]:
    """The crawled values an editor vouches for when verifying; a later difference re-queues it."""
    evidence = listing.microneedling_evidence or {}
    return {
        "name": listing.name,
        "credentials": sorted(listing.credentials),
        "specialties": sorted(listing.specialties),
        "npi": listing.npi,
        "website": listing.website,
        "offers_microneedling": listing.offers_microneedling,
        "evidence_quote": evidence.get("quote"),
        "locations": sorted(
            [
                location.get("street") or "",
                location.get("postal_code") or "",
                location.get("phone") or "",
            ]
            for location in listing.locations
        ),
    }


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def member_keys(entry: AdminListing) -> list[str]:
    return sorted(member.key for member in entry.members)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def categories_for(entry: AdminListing, now: datetime) -> set[str]:
    """Which queues a listing belongs to (pure)."""
    found: set[str] = set()
    approved = entry.latest(APPROVED)
    verified = entry.latest(VERIFIED)
    first_seen = _parse_time(entry.listing.first_seen)
    if (
        approved is None
        and first_seen is not None
        and now - first_seen <= timedelta(days=NEW_LISTING_DAYS)
    ):
        found.add("new")
    approved_members = (approved.value or {}).get("members") if approved else None
    if any(m.low_confidence for m in entry.members) and approved_members != member_keys(entry):
        found.add("merges")
    snapshot = (verified.value or {}).get("snapshot") if verified else None
    current = verification_snapshot(entry.crawled)
    if entry.crawled.offers_microneedling is True and (
        snapshot is None or snapshot.get("evidence_quote") != current["evidence_quote"]
    ):
        found.add("evidence")
    if snapshot is not None and changed_fields(snapshot, current):
        found.add("changed")
    if entry.listing.stale and not entry.listing.hidden:
        found.add("stale")
    # A crawled city the gazetteer does not give for its ZIP is shown as the ZIP's city until a
    # person has looked (index.materialise); verifying the listing clears it.
    if snapshot is None and any(CITY_AS_CRAWLED in loc for loc in entry.crawled.locations):
        found.add("addresses")
    if entry.reports:
        found.add("reports")
    if entry.listing.hidden:
        found.add("hidden")
    return found


@dataclass
class QueueView:
    category: str | None
    q: str
    counts: dict[str, int]
    entries: list[tuple[AdminListing, list[str]]]  # (listing, its categories in CATEGORIES order)


def review_queue(
    catalog: Catalog, now: datetime, category: str | None = None, q: str = ""
) -> QueueView:
    """Counts per category over everything, and the entries matching the filters (pure)."""
    counts = dict.fromkeys(CATEGORIES, 0)
    rows = []
    needle = q.strip().lower()
    for entry in sorted(catalog.listings.values(), key=lambda e: (e.listing.name.lower(), e.id)):
        found = categories_for(entry, now)
        for name in found:
            counts[name] += 1
        if category and category not in found:
            continue
        if not category and not found - {"hidden"}:
            continue  # the default view is the work to do; hidden ones have their own tab
        if needle and needle not in entry.listing.name.lower() and needle != entry.id:
            continue
        rows.append((entry, [name for name in CATEGORIES if name in found]))
    return QueueView(category=category, q=q, counts=counts, entries=rows)


def build_catalog(people: People, reports: Iterable[Report]) -> Catalog:
    """Every listed person, hidden ones included, with their crawled values, members, overrides and
    open reports (pure; index.people.read_people gives `people`)."""
    reports_by_pid: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        reports_by_pid[report.practitioner_id].append(report)

    listings: dict[str, AdminListing] = {}
    keys: dict[str, str] = {}
    for person in people.people:
        cluster, crawled, listing = person.cluster, person.crawled, person.listing
        if crawled is None or listing is None:
            continue
        stored_by_id = {m.id: m for m in person.members}
        entry = AdminListing(
            listing=listing,
            crawled=crawled,
            members=[
                Member(
                    observation_id=link.observation_id,
                    key=link.key,
                    source=stored_by_id[link.observation_id].observation.source,
                    url=stored_by_id[link.observation_id].observation.url,
                    name=stored_by_id[link.observation_id].observation.payload.get("name") or "",
                    npi=stored_by_id[link.observation_id].observation.payload.get("npi"),
                    reason=link.reason,
                    score=link.score,
                    last_seen=stored_by_id[link.observation_id].last_seen,
                )
                for link in cluster.links
            ],
            overrides=person.overrides,
            reports=[r for pid in sorted(person.ids) for r in reports_by_pid.get(pid, [])],
        )
        listings[cluster.id] = entry
        for link in cluster.links:
            keys[link.key] = cluster.id
    return Catalog(listings=listings, observation_keys=keys)


def load_catalog(store: Store, now: datetime | None = None) -> Catalog:
    """The thin I/O shell around build_catalog: the store is only read."""
    return build_catalog(read_people(store, now or datetime.now(UTC)), store.reports("open"))

"""Items the spiders yield: one dataclass per observation kind, mirroring the payloads in ARCHITECTURE.md."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from index.records import Observation

_META_FIELDS = ("source", "source_key", "url", "fetched_at", "extra")


def utc_now() -> str:
    """Now as ISO-8601 UTC with a Z ("2026-11-25T15:04:08Z")."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _ObservationItem:
    source: str = ""
    source_key: str = ""
    url: str | None = None
    fetched_at: str = field(default_factory=utc_now)
    # Source-specific fields beyond the contract (pac_id, other_names...), merged into the payload.
    extra: dict[str, Any] = field(default_factory=dict)

    kind = ""

    def payload(self) -> dict[str, Any]:
        body = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _META_FIELDS}
        # Deep copy so a stored payload never aliases the item's lists.
        return copy.deepcopy({**self.extra, **body})

    def to_observation(self) -> Observation:
        return Observation(
            source=self.source,
            kind=self.kind,
            source_key=self.source_key,
            url=self.url,
            fetched_at=self.fetched_at,
            payload=self.payload(),
        )

    @classmethod
    def from_payload(cls, payload: dict[str, Any], **meta: Any):
        """An item from a payload dict; unknown keys go to `extra`."""
        names = {f.name for f in fields(cls)} - set(_META_FIELDS)
        known = {key: value for key, value in payload.items() if key in names}
        extra = {key: value for key, value in payload.items() if key not in names}
        return cls(**known, extra=extra, **meta)


@dataclass
class PractitionerItem(_ObservationItem):
    """A person who practises (kind "practitioner")."""

    name: str = ""
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    suffix: str | None = None
    credentials: list[str] = field(default_factory=list)
    npi: str | None = None
    specialties: list[str] = field(default_factory=list)
    taxonomy_codes: list[str] = field(default_factory=list)
    is_physician: bool = False
    role: str = "other"
    practice_name: str | None = None
    website: str | None = None
    profile_url: str | None = None
    locations: list[dict] = field(default_factory=list)
    evidence: list[dict] = field(default_factory=list)
    # What the source's statements say of the procedure (practice sites): "offers",
    # "does_not_offer", "mentions" or None (crawler/extract/scope.py).
    offer_status: str | None = None
    # A specialty outside the directory the source gives them ("cardiology"), when it gives no
    # target one: such a physician is not listed.
    other_specialty: str | None = None
    status: str = "active"
    enumeration_date: str | None = None
    last_updated: str | None = None

    kind = "practitioner"


@dataclass
class PracticeItem(_ObservationItem):
    """A practice, clinic or med spa (kind "practice"); staff lists people who are not listings."""

    name: str = ""
    website: str | None = None
    npi: str | None = None
    locations: list[dict] = field(default_factory=list)
    evidence: list[dict] = field(default_factory=list)
    offer_status: str | None = None  # as for PractitionerItem
    staff: list[dict] = field(default_factory=list)

    kind = "practice"

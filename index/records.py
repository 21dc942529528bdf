"""Records shared by the crawler, the store and the web: what a source saw, what the store holds
about it (stored observations, crawl runs, overrides, reports, audit entries), and what the public
sees. Plain dataclasses; imports nothing from the project."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

SOURCES = ("nppes", "cms", "practice_site", "directory")
KINDS = ("practitioner", "practice")
SPECIALTY_SLUGS = (
    "dermatology",
    "mohs-surgery",
    "plastic-surgery",
    "facial-plastic-surgery",
    "cosmetic-surgery",
    "oculoplastic-surgery",
)

# Why a field's value was published (index.provenance): a listing stores the code, the API the text.
PROVENANCE_RULES = {
    "identity": "NPPES is the authority for a practitioner's name and NPI",
    "priority": "best source first (NPPES, CMS, practice website, directory), newest first",
    "website": "the practice website's own address first, then by source priority",
    "evidence": "a verbatim quote from the practice's own page",
    "registry": "the latest NPPES registry record",
    "office": "offices merged by address: the best source's value, gaps filled by the next",
    "override": "admin override",
}

# The keys of a Location dict (docs/ARCHITECTURE.md), in display order.
LOCATION_FIELDS = ("practice", "street", "city", "state", "postal_code", "phone", "lat", "lon")


def observation_key(source: str, kind: str, source_key: str) -> str:
    """A recrawl-proof identity for an observation, used by overrides (ids are stable too, keys are portable)."""
    return f"{source}|{kind}|{source_key}"


class InvalidObservation(ValueError):
    """An observation that breaks the contract in docs/ARCHITECTURE.md; the message says which field."""


@dataclass
class Observation:
    """One source's view of one entity at one time (upserted on source, kind, source_key)."""

    source: str
    kind: str
    source_key: str
    url: str | None
    fetched_at: str
    payload: dict[str, Any]

    @property
    def key(self) -> str:
        """The observation_key ("source|kind|source_key") overrides name it by."""
        return observation_key(self.source, self.kind, self.source_key)

    def validate(self) -> None:
        if self.source not in SOURCES:
            raise InvalidObservation(f"unknown source {self.source!r}; expected one of {SOURCES}")
        if self.kind not in KINDS:
            raise InvalidObservation(f"unknown kind {self.kind!r}; expected one of {KINDS}")
        if not self.source_key:
            raise InvalidObservation("source_key is empty")
        if not self.fetched_at:
            raise InvalidObservation("fetched_at is empty")
        if not (self.payload.get("name") or "").strip():
            raise InvalidObservation("payload has no name")
        for evidence in self.payload.get("evidence") or []:
            if not (evidence.get("quote") or "").strip():
                raise InvalidObservation("evidence without a quote (no quote, no claim)")
        for slug in self.payload.get("specialties") or []:
            if slug not in SPECIALTY_SLUGS:
                raise InvalidObservation(f"unknown specialty slug {slug!r}")

    def payload_json(self) -> str:
        return json.dumps(self.payload, sort_keys=True, separators=(",", ":"))


@dataclass
class Listing:
    """A public directory entry: one per person, after resolution and admin overrides."""

    id: str
    name: str
    credentials: list[str] = field(default_factory=list)
    specialties: list[str] = field(default_factory=list)
    npi: str | None = None
    npi_status: dict | None = None
    offers_microneedling: bool | None = None
    microneedling_evidence: dict | None = None
    # With no verdict: a sentence of their site that only mentions the procedure {quote, url, seen_at}
    microneedling_mention: dict | None = None
    locations: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    website: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    last_verified: str | None = None
    hidden: bool = False
    stale: bool = False
    # Field path -> [where, rule] (index.provenance), kept small because it rides with every
    # listing: `where` is an index into `sources` or, for a practice's page or an admin, a dict
    # {"source", "url", "first_seen", "last_seen"}; `rule` a PROVENANCE_RULES code or a sentence.
    provenance: dict = field(default_factory=dict)

    def field_sources(self) -> dict[str, dict[str, Any]]:
        """Field path -> {"source", "url", "first_seen", "last_seen", "rule"} (the API's shape)."""
        expanded = {}
        for key, (where, rule) in self.provenance.items():
            if isinstance(where, int):
                if not 0 <= where < len(self.sources):
                    continue
                source = self.sources[where]
                origin = {
                    "source": source.get("kind"),
                    "url": source.get("url"),
                    "first_seen": source.get("first_seen"),
                    "last_seen": source.get("last_seen"),
                }
            else:
                origin = {k: where.get(k) for k in ("source", "url", "first_seen", "last_seen")}
            text = PROVENANCE_RULES.get(rule, rule)
            basis = (self.microneedling_evidence or {}).get("basis")
            if key == "microneedling_evidence" and rule == "evidence" and basis:
                text += f" ({basis})"
            expanded[key] = {**origin, "rule": text}
        return expanded

    def to_result(self, distance_miles: float | None = None) -> dict[str, Any]:
        """The HTTP `Result` shape of the API contract."""
        evidence = None
        if self.microneedling_evidence:
            evidence = {
                "quote": self.microneedling_evidence.get("quote"),
                "url": self.microneedling_evidence.get("url"),
                "seen_at": self.microneedling_evidence.get("seen_at"),
                "practice": self.microneedling_evidence.get("practice"),
                "price": self.microneedling_evidence.get("price"),
                "basis": self.microneedling_evidence.get("basis"),
            }
        mention = None
        if self.microneedling_mention:
            mention = {k: self.microneedling_mention.get(k) for k in ("quote", "url", "seen_at")}
        return {
            "id": self.id,
            "url": f"/practitioners/{self.id}",
            "name": self.name,
            "credentials": list(self.credentials),
            "specialties": list(self.specialties),
            "npi": self.npi,
            "npi_status": self.npi_status,
            "offers_microneedling": self.offers_microneedling,
            "microneedling_evidence": evidence,
            "microneedling_mention": mention,
            "distance_miles": None if distance_miles is None else round(distance_miles, 1),
            "locations": [
                {key: location.get(key) for key in LOCATION_FIELDS} for location in self.locations
            ],
            "sources": [
                {"kind": s.get("kind"), "url": s.get("url"), "last_seen": s.get("last_seen")}
                for s in self.sources
            ],
            "website": self.website,
            "last_seen": self.last_seen,
            "last_verified": self.last_verified,
            "stale": self.stale,
            "provenance": self.field_sources(),
        }

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Listing:
        return cls(**json.loads(text))


@dataclass
class StoredObservation:
    """An observation as the store holds it: the record plus its row id and sighting window."""

    id: int
    observation: Observation
    first_seen: str
    last_seen: str
    run_id: int | None

    @property
    def key(self) -> str:
        return self.observation.key


@dataclass
class CrawlRun:
    id: int
    source: str
    args: dict
    started_at: str
    finished_at: str | None
    status: str
    stats: dict
    errors: list


@dataclass
class Override:
    """An admin decision that outlives recrawls: a field value, `hidden`, or a `merge` / `split`."""

    id: int
    practitioner_id: str
    field: str
    value: Any
    author: str
    created_at: str
    reason: str
    active: bool


@dataclass
class Report:
    id: int
    practitioner_id: str
    kind: str
    message: str
    contact: str | None
    created_at: str
    status: str


@dataclass
class AuditEntry:
    id: int
    who: str
    at: str
    action: str
    target: str
    before: Any
    after: Any
    why: str

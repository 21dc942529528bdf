"""Shared builders for index tests: small fictional observations (555-01xx phones, .test sites)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from index.records import Observation
from index.store import Store

REALDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata"


def location(
    street: str | None = "100 Congress Ave",
    city: str | None = "Austin",
    state: str | None = "TX",
    postal_code: str | None = "78701",
    phone: str | None = "+15125550101",
    practice: str | None = "Lakeside Dermatology",
) -> dict:
    return {
        "practice": practice,
        "street": street,
        "city": city,
        "state": state,
        "postal_code": postal_code,
        "phone": phone,
        "lat": None,
        "lon": None,
    }


def evidence(
    quote: str = "Dr. Ruiz offers microneedling with SkinPen for acne scars.",
    seen_at: str = "2026-11-01T10:00:00Z",
    negated: bool = False,
    scope: str = "practitioner",
    url: str = "https://lakeside-derm.test/services/microneedling",
) -> dict:
    return {
        "procedure": "microneedling",
        "term": "SkinPen",
        "quote": quote,
        "url": url,
        "seen_at": seen_at,
        "negated": negated,
        "scope": scope,
        "price": None,
    }


def practitioner(
    name: str = "Ana Ruiz",
    source: str = "nppes",
    npi: str | None = "1234567893",
    source_key: str | None = None,
    fetched_at: str = "2026-11-01T10:00:00Z",
    locations: list[dict] | None = None,
    evidence_list: list[dict] | None = None,
    website: str | None = None,
    specialties: list[str] | None = None,
    credentials: list[str] | None = None,
    is_physician: bool = True,
    status: str = "active",
    practice_name: str | None = "Lakeside Dermatology",
) -> Observation:
    first, _, last = name.partition(" ")
    if source_key is None:
        source_key = npi if source in ("nppes", "cms") else f"{website}#{name.lower()}"
    return Observation(
        source=source,
        kind="practitioner",
        source_key=source_key,
        url=website or f"https://npiregistry.test/{npi}",
        fetched_at=fetched_at,
        payload={
            "name": name,
            "first_name": first,
            "middle_name": None,
            "last_name": last,
            "suffix": None,
            "credentials": ["MD"] if credentials is None else credentials,
            "npi": npi,
            "specialties": ["dermatology"] if specialties is None else specialties,
            "taxonomy_codes": [],
            "is_physician": is_physician,
            "role": "physician" if is_physician else "nurse_practitioner",
            "practice_name": practice_name,
            "website": website,
            "profile_url": None,
            "locations": [location()] if locations is None else locations,
            "evidence": evidence_list or [],
            "status": status,
        },
    )


@dataclass
class Stored:
    id: int
    observation: Observation
    first_seen: str
    last_seen: str


@dataclass
class FakeOverride:
    id: int
    field: str
    value: object
    created_at: str = "2026-11-20T00:00:00Z"
    active: bool = True
    practitioner_id: str = ""


def stored(observations: list[Observation]) -> list[Stored]:
    return [Stored(i, obs, obs.fetched_at, obs.fetched_at) for i, obs in enumerate(observations, 1)]


def site_obs(name: str, **kwargs) -> Observation:
    kwargs.setdefault("website", "https://lakeside-derm.test/")
    return practitioner(name=name, source="practice_site", npi=None, **kwargs)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path):
    store = Store(data_dir / "store.sqlite3")
    yield store
    store.close()

"""Per-field provenance: each published field names the observation (source, URL, first and last
seen) and the rule that supplied it; an admin override replaces it with who decided and why."""

from __future__ import annotations

from dataclasses import dataclass

from tests.index.conftest import evidence, location, practitioner, site_obs
from tests.index.test_materialise import listing_for

OFFICE = location(street="100 Congress Ave", postal_code="78701", phone=None)
OFFICE_WITH_PHONE = location(street="100 Congress Ave", postal_code="78701", phone="+15125550199")


@dataclass
class Decision:
    id: int
    field: str
    value: object
    author: str = "maria"
    reason: str = "called the office"
    created_at: str = "2026-11-22T09:00:00Z"
    active: bool = True


def people():
    return [
        practitioner(name="Ana Ruiz", locations=[OFFICE], fetched_at="2026-11-01T10:00:00Z"),
        site_obs(
            "Ana Ruiz",
            locations=[OFFICE_WITH_PHONE],
            evidence_list=[evidence()],
            fetched_at="2026-11-20T08:00:00Z",
        ),
    ]


def test_identity_comes_from_nppes_and_the_phone_and_quote_from_the_practice_site():
    listing = listing_for(people())
    provenance = listing.field_sources()
    assert provenance["name"]["source"] == "nppes" and "NPPES" in provenance["name"]["rule"]
    assert provenance["npi"]["source"] == "nppes"
    assert provenance["npi_status"]["source"] == "nppes"
    # NPPES gave the office without a phone; the practice site filled it in.
    assert listing.locations[0]["phone"] == "+15125550199"
    phone = provenance["locations[0].phone"]
    assert phone["source"] == "practice_site" and phone["url"] == "https://lakeside-derm.test/"
    assert phone["last_seen"] == "2026-11-20T08:00:00Z"
    assert provenance["locations[0].street"]["source"] == "nppes"  # the better source first
    assert provenance["microneedling_evidence"]["source"] == "practice_site"
    assert provenance["website"]["source"] == "practice_site"


def test_an_admin_override_is_recorded_as_who_decided_when_and_why():
    listing = listing_for(people(), overrides=[Decision(1, "name", "Ana M. Ruiz")])
    assert listing.name == "Ana M. Ruiz"
    entry = listing.field_sources()["name"]
    assert entry["source"] == "admin" and entry["first_seen"] == "2026-11-22T09:00:00Z"
    assert "maria" in entry["rule"] and "called the office" in entry["rule"]


def test_overriding_the_offices_replaces_every_office_field_source():
    moved = [location(street="9 Elm St", postal_code="78702", phone="+15125550111")]
    listing = listing_for(people(), overrides=[Decision(1, "locations", moved)])
    assert not [key for key in listing.field_sources() if key.startswith("locations[")]
    assert listing.field_sources()["locations"]["source"] == "admin"


def test_an_admin_saying_no_offer_drops_the_evidence_source():
    listing = listing_for(people(), overrides=[Decision(1, "offers_microneedling", False)])
    assert "microneedling_evidence" not in listing.field_sources()
    assert listing.field_sources()["offers_microneedling"]["source"] == "admin"


def test_the_stored_form_is_compact_references_into_the_sources():
    listing = listing_for(people())
    for where, rule in listing.provenance.values():
        assert isinstance(where, int) and 0 <= where < len(listing.sources)
        assert isinstance(rule, str) and " " not in rule  # a code, expanded by field_sources
    # A listing written before provenance existed, or one whose reference is out of range, says
    # nothing rather than something wrong.
    listing.provenance["name"] = [99, "identity"]
    assert "name" not in listing.field_sources()

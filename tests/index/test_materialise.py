"""The rules that turn a cluster of observations into a public Listing: which values the public
sees, the microneedling verdict and its quote, staleness, and admin overrides."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from index.materialise import CITY_AS_CRAWLED, materialise
from index.offers import decide_offers
from index.records import Observation
from index.resolve import resolve
from index.settings import SKINMAP_STALE_DAYS, configured_stale_days
from tests.index.conftest import FakeOverride, evidence, location, practitioner, site_obs, stored

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def listing_for(observations: list[Observation], overrides=(), practices=(), now=NOW):
    members = stored(observations)
    (cluster,) = resolve([(s.id, s.observation) for s in members])
    return materialise(cluster, members, overrides, now, practices)


def test_nppes_supplies_identity_and_practice_sites_supply_evidence():
    listing = listing_for(
        [
            practitioner(
                name="Ana Ruiz",
                credentials=["MD", "FAAD"],
                specialties=["dermatology", "mohs-surgery"],
            ),
            site_obs("Ana Ruiz", credentials=["MD"], specialties=[], evidence_list=[evidence()]),
        ]
    )
    assert listing.name == "Ana Ruiz"
    assert listing.credentials == ["MD", "FAAD"]
    assert listing.specialties == ["dermatology", "mohs-surgery"]
    assert listing.npi_status == {"active": True, "as_of": "2026-11-01"}
    assert listing.offers_microneedling is True
    assert listing.microneedling_evidence["quote"].startswith("Dr. Ruiz offers microneedling")
    assert listing.website == "https://lakeside-derm.test/"
    assert {s["kind"] for s in listing.sources} == {"nppes", "practice_site"}


def test_locations_are_deduplicated_by_street_and_zip_and_geocoded():
    listing = listing_for(
        [
            practitioner(locations=[location(street="100 Congress Avenue", practice=None)]),
            site_obs("Ana Ruiz", locations=[location(street="100 Congress Ave")]),
        ]
    )
    (only,) = listing.locations
    assert only["practice"] == "Lakeside Dermatology"
    assert 30.0 < only["lat"] < 30.5


def test_location_without_zip_falls_back_to_the_city_centroid():
    listing = listing_for([practitioner(locations=[location(postal_code=None, city="Houston")])])
    assert 29.5 < listing.locations[0]["lat"] < 30.1


def test_only_negated_evidence_means_not_offered_and_no_quote():
    listing = listing_for(
        [
            site_obs(
                "Ana Ruiz",
                evidence_list=[evidence(quote="We no longer offer microneedling.", negated=True)],
            )
        ]
    )
    assert listing.offers_microneedling is False
    assert listing.microneedling_evidence is None


def test_no_evidence_means_unknown():
    assert listing_for([practitioner()]).offers_microneedling is None


def test_newest_evidence_per_practice_wins():
    old_yes = evidence(seen_at="2026-01-01T00:00:00Z")
    new_no = evidence(
        quote="Microneedling is no longer available.", seen_at="2026-06-01T00:00:00Z", negated=True
    )
    entries_newer_no = [dict(old_yes, _group="a"), dict(new_no, _group="a")]
    assert decide_offers(entries_newer_no)[0] is False
    same_time_yes = evidence(seen_at="2026-06-01T00:00:00Z")
    assert decide_offers(entries_newer_no + [dict(same_time_yes, _group="a")])[0] is True


def test_any_offering_practice_makes_the_person_offer_it():
    entries = [
        dict(
            evidence(seen_at="2026-06-01T00:00:00Z", negated=True, quote="No microneedling here."),
            _group="a",
        ),
        dict(
            evidence(seen_at="2026-01-01T00:00:00Z", scope="practice", quote="We offer SkinPen."),
            _group="b",
        ),
    ]
    offers, best = decide_offers(entries)
    assert offers is True and best["quote"] == "We offer SkinPen."


def test_practitioner_scope_quote_is_preferred_over_a_newer_practice_quote():
    entries = [
        dict(
            evidence(seen_at="2026-06-01T00:00:00Z", scope="practice", quote="We offer SkinPen."),
            _group="a",
        ),
        dict(
            evidence(
                seen_at="2026-01-01T00:00:00Z",
                scope="practitioner",
                quote="Dr. Ruiz performs microneedling.",
            ),
            _group="a",
        ),
    ]
    assert decide_offers(entries)[1]["quote"] == "Dr. Ruiz performs microneedling."


def test_practice_wide_evidence_from_the_same_website_counts():
    practice = Observation(
        source="practice_site",
        kind="practice",
        source_key="https://lakeside-derm.test/",
        url="https://lakeside-derm.test/",
        fetched_at="2026-11-01T00:00:00Z",
        payload={
            "name": "Lakeside Dermatology",
            "website": "https://lakeside-derm.test/",
            "evidence": [
                evidence(scope="practice", quote="Our dermatologists offer microneedling.")
            ],
        },
    )
    # Known at that website from a directory: the practice's word is all there is about her.
    from_directory = practitioner(
        name="Ana Ruiz", source="directory", npi=None, website="https://lakeside-derm.test/"
    )
    listing = listing_for([from_directory], practices=stored([practice]))
    assert listing.offers_microneedling is True
    assert listing.microneedling_evidence["scope"] == "practice"


def test_a_site_crawl_that_decided_for_a_physician_is_not_overruled_by_its_practice_evidence():
    """The site's own crawl said what applies to her ("Dr. Ruiz no longer performs it"); the
    practice-wide offer of that same crawl does not outvote it."""
    practice = Observation(
        source="practice_site",
        kind="practice",
        source_key="https://lakeside-derm.test/",
        url="https://lakeside-derm.test/",
        fetched_at="2026-11-01T00:00:00Z",
        payload={
            "name": "Lakeside Dermatology",
            "website": "https://lakeside-derm.test/",
            "evidence": [evidence(scope="practice", quote="We offer microneedling.")],
        },
    )
    own = evidence(
        scope="practitioner", quote="Dr. Ruiz no longer performs microneedling.", negated=True
    )
    ana = site_obs("Ana Ruiz", evidence_list=[own], fetched_at="2026-11-01T00:00:00Z")
    listing = listing_for([ana], practices=stored([practice]))
    assert listing.offers_microneedling is False


def test_a_mention_is_not_an_offer_and_is_kept_as_a_mention():
    said = evidence(quote="Chances are you have heard of microneedling.")
    said.update(statement="mention", strength="none")
    listing = listing_for([site_obs("Ana Ruiz", evidence_list=[said])])
    assert listing.offers_microneedling is None and listing.microneedling_evidence is None
    assert listing.microneedling_mention["quote"] == said["quote"]
    weak = dict(said, quote="Contact us to learn more about microneedling.", statement="offer")
    weak["strength"] = "weak"
    assert listing_for([site_obs("Ana Ruiz", evidence_list=[weak])]).offers_microneedling is None


def test_a_physician_of_another_specialty_by_their_own_source_is_not_listed():
    cardiologist = site_obs("Bo Chen", specialties=[])
    cardiologist.payload["other_specialty"] = "cardiology"
    assert listing_for([cardiologist]) is None


def test_non_physicians_never_become_listings():
    assert listing_for([practitioner(is_physician=False, credentials=["NP"])]) is None
    assert listing_for([site_obs("Ana Ruiz", is_physician=False, credentials=["LE"])]) is None


def test_nppes_deactivation_hides_the_listing():
    listing = listing_for([practitioner(status="deactivated")])
    assert listing.hidden is True
    assert listing.npi_status["active"] is False


def test_listing_not_seen_for_longer_than_the_stale_window_is_stale():
    assert listing_for([practitioner(fetched_at="2025-01-01T00:00:00Z")]).stale is True
    assert listing_for([practitioner(fetched_at="2026-11-01T00:00:00Z")]).stale is False
    assert SKINMAP_STALE_DAYS == 180


def test_overrides_apply_last_and_newest_wins():
    overrides = [
        FakeOverride(1, "name", "Ana R. Ruiz", created_at="2026-11-01T00:00:00Z"),
        FakeOverride(2, "name", "Ana Ruiz Lopez", created_at="2026-11-02T00:00:00Z"),
        FakeOverride(3, "hidden", True, created_at="2026-11-02T00:00:00Z", active=False),
        FakeOverride(4, "merge", {"together": ["a", "b"]}),
    ]
    listing = listing_for([practitioner()], overrides)
    assert listing.name == "Ana Ruiz Lopez"
    assert listing.hidden is False


def test_an_override_saying_not_offered_drops_the_quote():
    listing = listing_for(
        [site_obs("Ana Ruiz", evidence_list=[evidence()])],
        [FakeOverride(1, "offers_microneedling", False)],
    )
    assert listing.offers_microneedling is False
    assert listing.microneedling_evidence is None


def test_last_verified_comes_from_the_registry_or_an_admin_never_from_a_crawled_page():
    from_site_only = listing_for([site_obs("Ana Ruiz", evidence_list=[evidence()])])
    assert from_site_only.last_verified is None
    with_registry = listing_for([practitioner(fetched_at="2026-11-01T00:00:00Z")])
    assert with_registry.last_verified == "2026-11-01T00:00:00Z"
    admin = FakeOverride(1, "verified", {"snapshot": {}}, created_at="2026-11-20T09:00:00Z")
    verified = listing_for([practitioner(fetched_at="2026-11-01T00:00:00Z")], [admin])
    assert verified.last_verified == "2026-11-20T09:00:00Z"
    retired = FakeOverride(
        2, "verified", {"snapshot": {}}, created_at="2026-11-21T09:00:00Z", active=False
    )
    assert listing_for([site_obs("Ana Ruiz")], [retired]).last_verified is None


def test_the_quote_shown_names_the_procedure_on_a_services_page_over_a_passing_brand_mention():
    team = evidence(
        "Renee is our aesthetic nurse and performs Morpheus8 treatments.",
        scope="practice",
        url="https://barton.test/team.html",
    )
    services = evidence(
        "Morpheus8 combines RF microneedling with radiofrequency energy.",
        scope="practice",
        url="https://barton.test/services.html",
    )
    listing = listing_for([site_obs("Ana Ruiz", evidence_list=[team, services])])
    assert listing.microneedling_evidence["quote"].startswith("Morpheus8 combines RF")
    # with equal strength the order the source gave decides, not the wording
    first = evidence("Zed offers SkinPen microneedling.", scope="practice")
    second = evidence("Abe offers SkinPen microneedling.", scope="practice")
    listing = listing_for([site_obs("Ana Ruiz", evidence_list=[first, second])])
    assert listing.microneedling_evidence["quote"].startswith("Zed")


def test_the_stale_threshold_is_the_skinmap_stale_days_setting(monkeypatch):
    seen = [practitioner(fetched_at="2026-09-01T00:00:00Z")]  # 85 days before NOW
    assert listing_for(seen).stale is False
    monkeypatch.setenv("SKINMAP_STALE_DAYS", "30")
    assert listing_for(seen).stale is True
    assert configured_stale_days({"SKINMAP_STALE_DAYS": "30"}) == 30
    with pytest.raises(ValueError, match="SKINMAP_STALE_DAYS"):
        configured_stale_days({"SKINMAP_STALE_DAYS": "soon"})


def test_a_city_that_is_not_its_zips_city_is_shown_as_the_zips_and_kept_for_review():
    listing = listing_for(
        [
            site_obs(
                "Ana Ruiz",
                locations=[
                    location(
                        street="2875 Bee Cave Hollow", city="Road Austin", postal_code="78746"
                    ),
                    location(street="1 Main St", city="Austin", state="CO", postal_code="78701"),
                    location(street="100 Congress Ave", city="austin", postal_code="78701"),
                ],
            )
        ]
    )
    by_street = {loc["street"]: loc for loc in listing.locations}
    wrong_city, wrong_state, fine = (
        by_street["2875 Bee Cave Hollow"],
        by_street["1 Main St"],
        by_street["100 Congress Ave"],
    )
    assert (wrong_city["city"], wrong_city["state"]) == ("Austin", "TX")
    assert wrong_city[CITY_AS_CRAWLED] == "Road Austin, TX"
    assert (wrong_state["city"], wrong_state["state"]) == ("Austin", "TX")
    assert wrong_state[CITY_AS_CRAWLED] == "Austin, CO"
    assert CITY_AS_CRAWLED not in fine  # only case differs: the same city
    assert all(set(loc) >= {"city", "state"} for loc in listing.to_result()["locations"])
    assert all(CITY_AS_CRAWLED not in loc for loc in listing.to_result()["locations"])

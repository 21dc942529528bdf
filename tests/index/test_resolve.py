"""Entity resolution and the rules that turn a cluster of observations into a public Listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.records import Observation
from index.resolve import (
    SKINMAP_STALE_DAYS,
    Constraints,
    cluster_id,
    configured_stale_days,
    constraints_from_overrides,
    decide_offers,
    materialise,
    normalise_name,
    resolve,
)
from tests.index.conftest import evidence, location, practitioner

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


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


def clusters_of(observations: list[Observation], constraints: Constraints | None = None):
    return resolve(list(enumerate(observations, 1)), constraints)


def site_obs(name: str, **kwargs) -> Observation:
    kwargs.setdefault("website", "https://lakeside-derm.test/")
    return practitioner(name=name, source="practice_site", npi=None, **kwargs)


# --- names ----------------------------------------------------------------------------------


def test_names_lose_titles_credentials_and_middle_initials():
    key = normalise_name({"name": "Dr. Ana M. Ruiz, MD, FAAD"})
    assert (key.first, key.last) == ("ana", "ruiz")


def test_nicknames_map_to_the_formal_first_name():
    assert normalise_name({"name": "Bob Stone"}).first == "robert"
    assert normalise_name({"first_name": "Liz", "last_name": "Park"}).first == "elizabeth"


def test_two_word_names_that_look_like_credentials_are_kept():
    key = normalise_name({"name": "Thanh Do"})
    assert (key.first, key.last) == ("thanh", "do")


# --- clustering -----------------------------------------------------------------------------


def test_same_npi_from_two_sources_is_one_person():
    (cluster,) = clusters_of(
        [
            practitioner(source="nppes"),
            practitioner(source="cms", fetched_at="2026-10-01T00:00:00Z"),
        ]
    )
    assert cluster.npi == "1234567893"
    assert cluster.id == cluster_id("npi:1234567893")
    assert sorted(link.reason for link in cluster.links) == ["npi", "npi"]


def test_practice_site_profile_joins_the_npi_person_by_nickname_and_phone():
    (cluster,) = clusters_of(
        [
            practitioner(name="Robert Stone", npi="1245319599"),
            site_obs("Bob Stone", locations=[location(street="9 Elm St", postal_code="78702")]),
        ]
    )
    reasons = {link.observation_id: link.reason for link in cluster.links}
    assert reasons == {1: "npi", 2: "name+phone"}


def test_same_name_without_shared_contact_details_stays_apart():
    clusters = clusters_of(
        [
            practitioner(name="Ana Ruiz"),
            site_obs(
                "Ana Ruiz",
                website="https://miami-skin.test/",
                locations=[
                    location(
                        street="1 Ocean Dr",
                        city="Miami",
                        state="FL",
                        postal_code="33139",
                        phone="+13055550188",
                    )
                ],
            ),
        ]
    )
    assert len(clusters) == 2


def test_similar_names_sharing_an_office_are_different_people():
    clusters = clusters_of([site_obs("Ana Ruiz"), site_obs("Luis Ruiz")])
    assert len(clusters) == 2


def test_an_initial_on_the_same_practice_website_joins_the_full_name():
    (cluster,) = clusters_of(
        [
            site_obs("Ana Ruiz", locations=[]),
            site_obs("A. Ruiz", source_key="x#a ruiz", locations=[]),
        ]
    )
    assert {link.reason for link in cluster.links} == {"anchor", "name+website"}


def test_same_last_name_and_initial_at_one_practice_are_different_people():
    clusters = clusters_of(
        [
            site_obs("Ana Ruiz", locations=[]),
            site_obs("Alex Ruiz", source_key="x#alex ruiz", locations=[]),
        ]
    )
    assert len(clusters) == 2


def test_two_npis_are_never_merged_even_with_identical_details():
    clusters = clusters_of([practitioner(npi="1234567893"), practitioner(npi="1245319599")])
    assert len(clusters) == 2


def test_an_npi_less_profile_matching_two_npis_joins_only_one():
    clusters = clusters_of(
        [practitioner(npi="1234567893"), practitioner(npi="1245319599"), site_obs("Ana Ruiz")]
    )
    assert sorted(len(c.links) for c in clusters) == [1, 2]


def test_admin_split_keeps_observations_apart_across_recrawls():
    observations = [practitioner(), site_obs("Ana Ruiz")]
    keys = [f"{o.source}|{o.kind}|{o.source_key}" for o in observations]
    split = constraints_from_overrides([FakeOverride(1, "split", {"apart": keys})])
    assert len(clusters_of(observations, split)) == 2
    # A recrawl changes payloads but not keys, so the split still holds.
    observations[1].payload["evidence"] = [evidence()]
    assert len(clusters_of(observations, split)) == 2


def test_admin_merge_joins_npi_less_observations_but_never_two_npis():
    a = site_obs("Ana Ruiz", website="https://one.test/", locations=[location(phone=None)])
    b = site_obs(
        "Ana Ruiz-Lopez",
        website="https://two.test/",
        locations=[location(phone=None, postal_code="10001", street="5 Fifth Ave")],
    )
    key = lambda o: f"{o.source}|{o.kind}|{o.source_key}"  # noqa: E731
    merge = Constraints(together=[(key(a), key(b))])
    assert len(clusters_of([a, b])) == 2
    (merged,) = clusters_of([a, b], merge)
    assert "admin-merge" in {link.reason for link in merged.links}

    x, y = practitioner(npi="1234567893"), practitioner(npi="1245319599")
    assert len(clusters_of([x, y], Constraints(together=[(key(x), key(y))]))) == 2


def test_cluster_ids_do_not_depend_on_input_order():
    observations = [
        practitioner(),
        site_obs("Ana Ruiz"),
        site_obs("Luis Ruiz", website="https://x.test/"),
    ]
    forward = {
        (c.id, tuple(sorted(c.observation_ids))) for c in resolve(list(enumerate(observations)))
    }
    backward = {
        (c.id, tuple(sorted(c.observation_ids)))
        for c in resolve(list(reversed(list(enumerate(observations)))))
    }
    assert forward == backward


npis = st.sampled_from(["1234567893", "1245319599", "1679576722", None, None])
first_names = st.sampled_from(["Ana", "Bob", "Robert", "Liz", "Elizabeth", "Kate"])
last_names = st.sampled_from(["Ruiz", "Stone", "Park"])
phones = st.sampled_from(["+15125550101", "+15125550102", None])


@st.composite
def observation_sets(draw):
    observations = []
    for index in range(draw(st.integers(1, 8))):
        npi = draw(npis)
        name = f"{draw(first_names)} {draw(last_names)}"
        loc = location(phone=draw(phones), postal_code=draw(st.sampled_from(["78701", "78702"])))
        if npi:
            observations.append(
                practitioner(
                    name=name,
                    npi=npi,
                    source=draw(st.sampled_from(["nppes", "cms"])),
                    locations=[loc],
                )
            )
        else:
            observations.append(
                practitioner(
                    name=name,
                    npi=None,
                    source="practice_site",
                    source_key=f"https://s{index}.test/#{name}",
                    website=draw(st.sampled_from(["https://a.test/", "https://b.test/"])),
                    locations=[loc],
                )
            )
    return observations


@settings(max_examples=80, deadline=None)
@given(observations=observation_sets())
def test_resolution_never_merges_two_npis_and_covers_every_observation(observations):
    unique = {f"{o.source}|{o.source_key}": o for o in observations}.values()
    items = list(enumerate(unique))
    clusters = resolve(items)
    seen = [obs_id for c in clusters for obs_id in c.observation_ids]
    assert sorted(seen) == sorted(obs_id for obs_id, _ in items)
    by_id = dict(items)
    for cluster in clusters:
        cluster_npis = {by_id[i].payload["npi"] for i in cluster.observation_ids} - {None}
        assert len(cluster_npis) <= 1


# --- materialise ----------------------------------------------------------------------------


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

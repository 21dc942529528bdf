"""Entity resolution: which observations are one person (the rules in index.resolve)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.resolve import Constraints, cluster_id, constraints_from_overrides, resolve
from tests.index.conftest import FakeOverride, evidence, location, practitioner, site_obs


def clusters_of(observations, constraints: Constraints | None = None):
    return resolve(list(enumerate(observations, 1)), constraints)


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

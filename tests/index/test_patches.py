"""Admin edits published without a rebuild: refresh_listings writes patches, SearchService shows them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from index.build import current_generation, index_dir, rebuild, refresh_listings
from index.patches import PATCHES_FILE, Patch, append_patches, read_patches
from index.records import Listing, Observation
from index.resolve import cluster_id
from index.search import SearchRequest, SearchService
from tests.index.conftest import evidence, location, practitioner

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ANA = cluster_id("npi:1234567893")
NINA = cluster_id("npi:1245319599")
SAM = cluster_id("npi:1548296305")
AUTHOR = "admin@skinmap.test"


def seed(store) -> None:
    run = store.start_run("nppes", {})
    store.record_observation(run, practitioner(name="Ana Ruiz", npi="1234567893"))
    store.record_observation(
        run,
        practitioner(
            name="Ana Ruiz",
            source="practice_site",
            npi=None,
            website="https://lakeside-derm.test/",
            evidence_list=[evidence()],
        ),
    )
    store.record_observation(
        run,
        practitioner(
            name="Nina Park",
            npi="1245319599",
            specialties=["plastic-surgery"],
            locations=[location(street="2 Main St", postal_code="78701", phone="+15125550102")],
        ),
    )


@pytest.fixture
def live(store, data_dir):
    seed(store)
    rebuild(data_dir, now=NOW)
    return data_dir


@pytest.fixture
def open_service():
    """SearchService factory; every service it made is closed after the test, pass or fail."""
    services: list[SearchService] = []

    def make(data_dir, **options) -> SearchService:
        services.append(SearchService(data_dir, **options))
        return services[-1]

    yield make
    for service in services:
        service.close()


def ids(page) -> list[str]:
    return [result["id"] for result in page.results]


def near_austin(service: SearchService, **extra) -> list[str]:
    return ids(service.search(SearchRequest(near="78701", **extra)))


def test_a_hidden_listing_disappears_from_a_fresh_and_an_open_service(live, store, open_service):
    already_open = open_service(live, check_interval=0)
    assert ANA in near_austin(already_open)

    store.add_override(ANA, "hidden", True, AUTHOR, "asked to be removed")
    assert refresh_listings(live, [ANA], now=NOW) == 1

    fresh = open_service(live)
    for service in (already_open, fresh):
        assert ANA not in near_austin(service)
        assert ANA not in ids(service.search(SearchRequest(q="Ruiz")))
        assert service.search(SearchRequest()).total == 1
        assert service.get(ANA) is None
        assert NINA in near_austin(service)


def test_a_field_edit_shows_in_results_filters_and_facets(live, store, open_service):
    service = open_service(live, check_interval=0)
    assert ids(service.search(SearchRequest(procedure="microneedling"))) == [ANA]

    store.add_override(NINA, "name", "Nina Park-Lee", AUTHOR, "married name")
    store.add_override(NINA, "specialties", ["dermatology"], AUTHOR, "board certified")
    store.add_override(ANA, "offers_microneedling", False, AUTHOR, "stopped offering it")
    refresh_listings(live, [NINA, ANA], now=NOW)

    page = service.search(SearchRequest(near="78701"))
    assert {r["id"]: r["name"] for r in page.results}[NINA] == "Nina Park-Lee"
    assert page.facets["specialty"] == {"dermatology": 2}
    assert service.search(SearchRequest(procedure="microneedling")).total == 0
    assert service.get(NINA).name == "Nina Park-Lee"
    # Words are matched by the text index, which catches up at the next full build: the old name
    # still finds her until then.
    assert ids(service.search(SearchRequest(q="Park"))) == [NINA]

    rebuild(live, now=NOW)
    rebuilt = open_service(live)
    assert ids(rebuilt.search(SearchRequest(q="Lee"))) == [NINA]


def test_a_person_unhidden_after_the_build_is_found_by_place_and_fetched(live, store, open_service):
    store.add_override(ANA, "hidden", True, AUTHOR, "")
    rebuild(live, now=NOW)
    service = open_service(live, check_interval=0)
    assert ANA not in near_austin(service)

    override_id = store.overrides_for(ANA)[-1].id
    store.deactivate_override(override_id, AUTHOR, "listed again")
    refresh_listings(live, [ANA], now=NOW)

    assert ANA in near_austin(service)
    assert ANA in near_austin(service, procedure="microneedling")
    assert service.get(ANA).name == "Ana Ruiz"


def test_an_unknown_id_is_patched_out_and_nothing_else_changes(live, open_service):
    assert refresh_listings(live, ["p-0000000000"], now=NOW) == 1
    service = open_service(live)
    assert service.search(SearchRequest()).total == 2


def test_refresh_without_a_live_generation_writes_nothing(store, data_dir):
    seed(store)
    assert refresh_listings(data_dir, [ANA], now=NOW) == 0
    assert current_generation(data_dir) is None


def test_patches_land_in_the_live_generation_only(live, store):
    store.add_override(ANA, "hidden", True, AUTHOR, "")
    refresh_listings(live, [ANA], now=NOW)
    rebuild(live, now=NOW)
    assert (index_dir(live) / "gen-1" / PATCHES_FILE).exists()
    assert not (index_dir(live) / "gen-2" / PATCHES_FILE).exists()


def test_a_half_written_patch_line_waits_for_its_newline(tmp_path):
    listing = Listing(
        id="p-00000000aa",
        name="Ada Stone",
        credentials=["MD"],
        specialties=["dermatology"],
        npi=None,
        offers_microneedling=None,
        microneedling_evidence=None,
        locations=[],
        sources=[],
        website=None,
        first_seen="2026-11-01T00:00:00Z",
        last_seen="2026-11-01T00:00:00Z",
    )
    append_patches(tmp_path, [Patch("p-00000000aa", listing, "2026-11-25T12:00:00Z")])
    with open(tmp_path / PATCHES_FILE, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "p-00000000bb", "listing": None})[:10])
    patches, offset = read_patches(tmp_path / PATCHES_FILE)
    assert [(p.listing_id, p.listing) for p in patches] == [("p-00000000aa", listing)]
    assert read_patches(tmp_path / PATCHES_FILE, offset) == ([], offset)


def test_the_quick_path_rematerialises_people_as_built_exactly_as_a_full_resolution(live, store):
    from index.people import people_as_built, read_people

    # a practice-wide word on Ana's site, and an admin edit, both after the build
    store.record_observation(
        store.start_run("practice_site", {}),
        Observation(
            source="practice_site",
            kind="practice",
            source_key="https://lakeside-derm.test/",
            url="https://lakeside-derm.test/",
            fetched_at="2026-11-02T10:00:00Z",
            payload={
                "name": "Lakeside Dermatology",
                "website": "https://lakeside-derm.test/",
                "locations": [],
                # newer and negated: it decides Ana's verdict only if her practice is attached
                "evidence": [
                    evidence(
                        "We no longer offer microneedling.",
                        scope="practice",
                        negated=True,
                        seen_at="2026-11-20T10:00:00Z",
                    )
                ],
                "staff": [],
            },
        ),
    )
    store.add_override(ANA, "credentials", ["MD", "FAAD"], AUTHOR)
    quick = people_as_built(store, NOW, {ANA, NINA})
    full = read_people(store, NOW, {ANA, NINA}).people
    assert quick is not None
    assert {p.cluster.id: p.listing for p in quick} == {p.cluster.id: p.listing for p in full}
    ana = next(p for p in quick if p.cluster.id == ANA).listing
    assert ana.credentials == ["MD", "FAAD"] and ana.offers_microneedling is False
    # someone the last build never clustered: the caller must resolve everyone
    assert people_as_built(store, NOW, {ANA, "p-0000000000"}) is None

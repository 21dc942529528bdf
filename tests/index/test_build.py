"""Generations: build, swap CURRENT atomically, keep a few, roll back, one build at a time."""

from __future__ import annotations

import fcntl
from datetime import UTC, datetime

import pytest

from index.build import (
    KEEP_PREVIOUS,
    BuildError,
    BuildInProgress,
    VerificationFailed,
    current_generation,
    generations,
    index_dir,
    rebuild,
    rollback,
)
from index.resolve import cluster_id
from tests.index.conftest import evidence, practitioner

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def seed(store):
    run = store.start_run("nppes", {})
    store.record_observation(run, practitioner())
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
    store.record_observation(run, practitioner(name="Nina Park", npi="1245319599"))
    store.record_observation(
        run, practitioner(name="Omar Vance", npi="1679576722", is_physician=False)
    )


def test_build_writes_a_verified_generation_and_points_current_at_it(store, data_dir):
    seed(store)
    report = rebuild(data_dir, now=NOW)

    assert report.generation == "gen-1"
    assert (
        report.listings == 2
    )  # Ana Ruiz (two sources, one person) and Nina Park; Omar is no physician
    assert report.clusters == 3
    assert current_generation(data_dir) == "gen-1"
    assert (index_dir(data_dir) / "gen-1" / "READY").exists()


def test_build_records_the_clusters_in_the_store(store, data_dir):
    seed(store)
    rebuild(data_dir, now=NOW)
    links = store.practitioner_links()
    assert len(links) == 4
    assert len(set(links.values())) == 3


def test_a_build_that_fails_before_going_live_leaves_the_stores_clusters_alone(store, data_dir):
    seed(store)
    rebuild(data_dir, now=NOW)
    before = store.practitioner_links()
    store.record_observation(
        store.start_run("nppes", {}), practitioner(name="Lena Ortiz", npi="1093817520")
    )

    def reject(path, listings):
        raise VerificationFailed("probe failed")

    with pytest.raises(VerificationFailed):
        rebuild(data_dir, now=NOW, verify=reject)
    # the live generation (gen-1) and the store's clusters still agree
    assert store.practitioner_links() == before
    rebuild(data_dir, now=NOW)
    assert len(store.practitioner_links()) == len(before) + 1


def test_rebuilding_swaps_generation_and_keeps_only_recent_ones(store, data_dir):
    seed(store)
    for _ in range(KEEP_PREVIOUS + 3):
        report = rebuild(data_dir, now=NOW)
    assert current_generation(data_dir) == report.generation == f"gen-{KEEP_PREVIOUS + 3}"
    assert len(generations(data_dir)) == KEEP_PREVIOUS + 1


def test_rollback_returns_to_the_previous_generation(store, data_dir):
    seed(store)
    rebuild(data_dir, now=NOW)
    rebuild(data_dir, now=NOW)
    assert rollback(data_dir) == "gen-1"
    assert current_generation(data_dir) == "gen-1"
    with pytest.raises(BuildError, match="no earlier"):
        rollback(data_dir)


def test_a_second_concurrent_build_fails_fast(store, data_dir):
    seed(store)
    index_dir(data_dir).mkdir(parents=True)
    with open(index_dir(data_dir) / "build.lock", "a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(BuildInProgress, match="another index build is running"):
            rebuild(data_dir, now=NOW)
    assert current_generation(data_dir) is None


def test_failed_verification_leaves_current_untouched(store, data_dir):
    seed(store)
    rebuild(data_dir, now=NOW)

    def reject(path, listings):
        raise VerificationFailed("probe failed")

    with pytest.raises(VerificationFailed):
        rebuild(data_dir, now=NOW, verify=reject)
    assert current_generation(data_dir) == "gen-1"
    assert not (index_dir(data_dir) / "gen-2").exists()


def test_leftovers_of_a_crashed_build_are_ignored_and_cleaned_up(store, data_dir):
    seed(store)
    rebuild(data_dir, now=NOW)
    (index_dir(data_dir) / "gen-2").mkdir()  # a build killed before it wrote READY
    assert generations(data_dir) == ["gen-1"]
    report = rebuild(data_dir, now=NOW)
    assert report.generation == "gen-3"
    assert not (index_dir(data_dir) / "gen-2").exists()


def test_hide_override_keeps_a_person_out_of_the_index(store, data_dir):
    seed(store)
    rebuild(data_dir, now=NOW)
    store.add_override(
        cluster_id("npi:1245319599"), "hidden", True, "admin@skinmap.test", "asked to be removed"
    )
    report = rebuild(data_dir, now=NOW)
    assert (report.listings, report.hidden) == (1, 1)


def test_empty_store_builds_an_empty_generation(data_dir, store):
    report = rebuild(data_dir, now=NOW)
    assert report.listings == 0
    assert current_generation(data_dir) == "gen-1"


def test_admin_split_and_merge_survive_a_recrawl(store, data_dir):
    seed(store)
    rebuild(data_dir, now=NOW)
    ana = cluster_id("npi:1234567893")
    site_key = "practice_site|practitioner|https://lakeside-derm.test/#ana ruiz"
    assert site_key in store.observation_keys_for(ana)

    store.split_observation(ana, site_key, "admin@skinmap.test", "different Ana Ruiz")
    assert rebuild(data_dir, now=NOW).listings == 3
    # The crawler sees both again; the split still holds.
    seed(store)
    assert rebuild(data_dir, now=NOW).listings == 3
    assert site_key not in store.observation_keys_for(ana)


def test_overrides_follow_a_person_whose_cluster_id_changes(store, data_dir):
    run = store.start_run("practices", {})
    site_only = practitioner(
        name="Ana Ruiz", source="practice_site", npi=None, website="https://lakeside-derm.test/"
    )
    store.record_observation(run, site_only)
    rebuild(data_dir, now=NOW)
    (old_id,) = set(store.practitioner_links().values())
    store.add_override(old_id, "name", "Ana Ruiz-Lopez", "admin@skinmap.test", "legal name")

    store.record_observation(run, practitioner())  # NPPES now knows her: the anchor becomes the NPI
    rebuild(data_dir, now=NOW)
    rebuild(data_dir, now=NOW)  # and the override must not be lost once the old id is forgotten
    assert [o.field for o in store.overrides_for(cluster_id("npi:1234567893"))] == ["name"]
    from index.search import SearchService  # local: the service is only needed here

    service = SearchService(data_dir)
    try:
        listing = service.get(cluster_id("npi:1234567893"))
        assert listing is not None and listing.name == "Ana Ruiz-Lopez"
    finally:
        service.close()


def test_verification_rejects_a_generation_missing_documents(store, data_dir):
    from index.build import verify_generation
    from index.records import Listing

    seed(store)
    report = rebuild(data_dir, now=NOW)
    extra = Listing(id="p-ffffffffff", name="Nobody Indexed")
    listings = [Listing(id=f"p-{i:010x}", name="x") for i in range(report.listings)] + [extra]
    with pytest.raises(VerificationFailed, match="documents"):
        verify_generation(report.path, listings)

"""modified_after inside the index search: only listings seen or verified at or after the cutoff,
with totals, paging and specialty facets over the kept ones, admin patches included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from index.build import current_generation, index_dir
from index.patches import Patch, append_patches
from index.search import SearchError, SearchRequest, SearchService
from tests.index.test_search import built, names  # noqa: F401

SINCE = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def service(built):  # noqa: F811
    service = SearchService(built)
    yield service
    service.close()


def test_only_listings_changed_since_the_cutoff_are_found(service):
    everyone = service.search(SearchRequest(per_page=100))
    recent = service.search(SearchRequest(per_page=100, modified_after=SINCE))
    assert "Lena Cho" in names(everyone)  # last seen 2025-10-01
    assert "Lena Cho" not in names(recent)
    assert recent.total == len(recent.results) == everyone.total - 1
    # Rank order is the index's own, just without the filtered listing.
    assert names(recent) == [name for name in names(everyone) if name != "Lena Cho"]


def test_totals_pages_and_facets_cover_the_kept_listings(service):
    recent = service.search(SearchRequest(per_page=100, modified_after=SINCE))
    page_two = service.search(SearchRequest(per_page=1, page=2, modified_after=SINCE))
    assert page_two.total == recent.total and names(page_two) == names(recent)[1:2]
    facets = recent.facets["specialty"]
    assert (
        sum(1 for r in recent.results if "dermatology" in r["specialties"]) == facets["dermatology"]
    )
    derm = service.search(
        SearchRequest(per_page=100, modified_after=SINCE, specialty="dermatology")
    )
    assert derm.total == facets["dermatology"] == len(derm.results)


def test_a_cutoff_after_everything_finds_nobody_and_a_naive_time_is_refused(service):
    assert service.search(SearchRequest(modified_after=datetime(2999, 1, 1, tzinfo=UTC))).total == 0
    with pytest.raises(SearchError):
        service.search(SearchRequest(modified_after=datetime(2026, 1, 1)))


def test_a_listing_patched_since_the_build_answers_from_its_patch(built, service):  # noqa: F811
    before = service.search(SearchRequest(per_page=100, modified_after=SINCE))
    [ana] = [r for r in before.results if r["name"] == "Ana Ruiz"]
    listing = service.get(ana["id"])
    listing.last_seen, listing.last_verified = "2025-01-01T00:00:00Z", None
    live = index_dir(built) / current_generation(built)
    append_patches(live, [Patch(listing_id=listing.id, listing=listing, at="2026-11-25T12:00:00Z")])
    fresh = SearchService(built)
    try:
        after = fresh.search(SearchRequest(per_page=100, modified_after=SINCE))
        assert "Ana Ruiz" not in names(after)
    finally:
        fresh.close()

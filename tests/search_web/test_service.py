"""The web's Directory: modified_after walks every page of the index's answer and filters it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from index.search import SearchPage, SearchRequest
from search_web import service
from search_web.service import Directory, modified_at


class PagedDirectory(Directory):
    """A Directory over a fixed, ranked result list, paging it the way the index does."""

    def __init__(self, results: list[dict]) -> None:
        self.results = results
        self.requests: list[SearchRequest] = []

    def search(self, request: SearchRequest) -> SearchPage:
        self.requests.append(request)
        rows = [
            r
            for r in self.results
            if not request.specialty or request.specialty in r["specialties"]
        ]
        start = (request.page - 1) * request.per_page
        return SearchPage(
            total=len(rows),
            page=request.page,
            per_page=request.per_page,
            results=rows[start : start + request.per_page],
            place={"label": "Austin, TX", "lat": 30.3, "lon": -97.7},
        )


def result(
    number: int, seen: str | None, verified: str | None = None, specialty: str = "dermatology"
):
    return {
        "id": f"p-{number:010d}",
        "specialties": [specialty],
        "last_seen": seen,
        "last_verified": verified,
    }


def test_modified_at_is_the_later_of_last_seen_and_last_verified():
    assert modified_at(result(1, "2026-01-01T00:00:00Z", "2026-03-01")) == datetime(
        2026, 3, 1, tzinfo=UTC
    )
    assert modified_at(result(1, "2026-05-01T10:00:00+02:00")) == datetime(
        2026, 5, 1, 8, tzinfo=UTC
    )
    assert modified_at(result(1, None, None)) is None
    assert modified_at(result(1, "not a date")) is None


def test_every_page_is_walked_and_rank_order_is_kept(monkeypatch):
    monkeypatch.setattr(service, "_SYNC_BATCH", 3)
    results = [
        result(n, "2026-06-01T00:00:00Z" if n % 2 else "2025-01-01T00:00:00Z") for n in range(10)
    ]
    directory = PagedDirectory(results)
    since = datetime(2026, 1, 1, tzinfo=UTC)
    page = directory.search_modified_after(SearchRequest(per_page=2, page=2), since)
    assert page.total == 5
    assert [r["id"] for r in page.results] == ["p-0000000005", "p-0000000007"]
    assert len(directory.requests) == 4  # ceil(10 / 3) internal pages
    assert page.place == {"label": "Austin, TX", "lat": 30.3, "lon": -97.7}


def test_facets_count_kept_results_before_the_specialty_filter():
    results = [
        result(1, "2026-06-01", specialty="dermatology"),
        result(2, "2026-06-01", specialty="plastic-surgery"),
        result(3, "2020-06-01", specialty="plastic-surgery"),
        result(4, None, specialty="dermatology"),
    ]
    directory = PagedDirectory(results)
    page = directory.search_modified_after(
        SearchRequest(specialty="plastic-surgery"), datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert [r["id"] for r in page.results] == ["p-0000000002"]
    assert page.facets == {"specialty": {"dermatology": 1, "plastic-surgery": 1}}
    # The index was asked without the specialty, so the facets could be counted.
    assert all(req.specialty is None for req in directory.requests)


@pytest.mark.parametrize("page_number", [1, 2])
def test_an_empty_answer_is_an_empty_page(page_number):
    directory = PagedDirectory([])
    page = directory.search_modified_after(
        replace(SearchRequest(), page=page_number), datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert page.total == 0 and page.results == [] and page.page == page_number

"""The web's handle on the index: one SearchService per app, with "not found" as an exception."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from index.coverage import StateCoverage
from index.records import Listing
from index.search import IndexUnavailable, SearchPage, SearchRequest, SearchService

__all__ = ["Directory", "IndexUnavailable", "ListingNotFound", "modified_at"]

# How many results one internal request fetches while filtering on modified_after, and the most
# pages walked: 100 x 1000 is the index's own ceiling on how far anyone can page.
_SYNC_BATCH = 100
_SYNC_MAX_PAGES = 1000


class ListingNotFound(LookupError):
    """No public listing has this id (HTTP 404)."""


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def modified_at(result: dict) -> datetime | None:
    """When a result last changed for a sync client: the later of last_seen and last_verified."""
    times = [t for t in (_parse_time(result.get(k)) for k in ("last_seen", "last_verified")) if t]
    return max(times) if times else None


class Directory:
    """Wraps the SearchService, which itself waits for the first build and follows CURRENT swaps."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._service = SearchService(self.data_dir)

    def search(self, request: SearchRequest) -> SearchPage:
        return self._service.search(request)

    def nearest(self, request: SearchRequest, limit: int = 3) -> list[dict]:
        return self._service.nearest(request, limit)

    def coverage(self) -> list[StateCoverage]:
        return self._service.coverage()[1]

    def search_modified_after(self, request: SearchRequest, since: datetime) -> SearchPage:
        """Like `search`, keeping only results modified at or after `since` (incremental sync).

        The index has no such filter, so this walks every page of the unfiltered result list in
        rank order and filters here; totals, paging and specialty facets cover the kept results.
        """
        base = replace(request, specialty=None, page=1, per_page=_SYNC_BATCH)
        first = self.search(base)
        kept: list[dict] = []
        current = first
        for number in range(1, _SYNC_MAX_PAGES + 1):
            if number > 1:
                current = self.search(replace(base, page=number))
            for result in current.results:
                when = modified_at(result)
                if when is not None and when >= since:
                    kept.append(result)
            if number * _SYNC_BATCH >= current.total:
                break
        facet_counts: dict[str, int] = {}
        for result in kept:
            for slug in result["specialties"]:
                facet_counts[slug] = facet_counts.get(slug, 0) + 1
        if request.specialty:
            kept = [r for r in kept if request.specialty in r["specialties"]]
        start = (request.page - 1) * request.per_page
        return SearchPage(
            total=len(kept),
            page=request.page,
            per_page=request.per_page,
            results=kept[start : start + request.per_page],
            place=first.place,
            suggestion=first.suggestion,
            facets={
                "specialty": dict(sorted(facet_counts.items(), key=lambda kv: (-kv[1], kv[0])))
            },
        )

    def listing(self, listing_id: str) -> Listing:
        """The public listing, or ListingNotFound for unknown and hidden ids."""
        found = self._service.get(listing_id)
        if found is None or found.hidden:
            raise ListingNotFound(f"No practitioner with id {listing_id!r}.")
        return found

    def close(self) -> None:
        self._service.close()

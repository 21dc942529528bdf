"""The web's handle on the index: one SearchService per app, with "not found" as an exception."""

from __future__ import annotations

from pathlib import Path

from index.coverage import StateCoverage
from index.records import Listing
from index.search import IndexUnavailable, SearchPage, SearchRequest, SearchService

__all__ = ["Directory", "IndexUnavailable", "ListingNotFound"]


class ListingNotFound(LookupError):
    """No public listing has this id (HTTP 404)."""


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

    def listing(self, listing_id: str) -> Listing:
        """The public listing, or ListingNotFound for unknown and hidden ids."""
        found = self._service.get(listing_id)
        if found is None or found.hidden:
            raise ListingNotFound(f"No practitioner with id {listing_id!r}.")
        return found

    def close(self) -> None:
        self._service.close()

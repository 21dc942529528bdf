"""The skinmap web app with the FTS5 + R-tree baseline behind it: the same Starlette endpoints,
only the search backend differs (for HTTP benchmarks)."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from benchmarks.fts5_baseline import BaselineSearch
from index.records import Listing
from index.search import SearchPage, SearchRequest, validate
from search_web.app import WebSettings
from search_web.app import create_app as create_web_app
from search_web.service import ListingNotFound


class BaselineDirectory:
    """Answers the web app's Directory calls from the FTS5 baseline database."""

    def __init__(self, data_dir: Path) -> None:
        self.baseline = BaselineSearch(Path(data_dir) / "baseline.sqlite3")

    def search(self, request: SearchRequest) -> SearchPage:
        request = validate(request)
        found = self.baseline.search(
            q=request.q,
            near=request.near,
            radius=request.radius,
            specialty=request.specialty,
            procedure=request.procedure,
            page=request.page,
            per_page=request.per_page,
        )
        return SearchPage(
            total=found["total"],
            page=request.page,
            per_page=request.per_page,
            results=found["results"],
            place=None,
        )

    def listing(self, listing_id: str) -> Listing:
        raise ListingNotFound(f"No practitioner with id {listing_id!r}.")

    def close(self) -> None:
        pass


def create_app() -> Starlette:
    settings = WebSettings.from_env()
    settings.directory_factory = BaselineDirectory
    return create_web_app(settings)

"""The HSDS 3.0 API, mounted at `/hsds/`: the specification's paths (`/services`, `/services/{id}`,
`/organizations`, `/service_at_locations`, ... ) and its `Page` paging, served from the live index
generation (rebuilt in memory when the generation or its published patches change).

Errors are JSON `{"error": ...}`: 400 for a bad parameter, 404 for an unknown id, 503 before the
first build. Owns: HSDS_ROUTES, LiveHsds.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from index.published import published_listings, published_path, published_version
from index.search import IndexUnavailable, SearchError
from search_web.opendata.hsds_documents import HsdsDocuments
from search_web.opendata.hsds_model import build_dataset
from search_web.opendata.hsds_openapi import (
    PAGE_MAX,
    PER_PAGE_DEFAULT,
    PER_PAGE_MAX,
    hsds_openapi_bytes,
)
from search_web.opendata.spec import HSDS_VERSION
from search_web.params import parse_modified_after
from search_web.service import ListingNotFound

PROFILE_URL = "https://docs.openreferral.org/en/v3.0/hsds/"


class LiveHsds:
    """The HSDS documents of what the public sees now, rebuilt when the live generation changes."""

    def __init__(self, data_dir: Path, base_url: str = "") -> None:
        self.data_dir = Path(data_dir)
        self.base_url = base_url
        self._lock = threading.Lock()
        self._version: tuple[str, int] | None = None
        self._documents: HsdsDocuments | None = None

    def documents(self) -> HsdsDocuments:
        version = published_version(self.data_dir)
        if version is None:
            raise IndexUnavailable("no index generation yet")
        with self._lock:
            if version != self._version or self._documents is None:
                listings = published_listings(published_path(self.data_dir, version[0]))
                self._documents = HsdsDocuments(build_dataset(listings, self.base_url))
                self._version = version
            return self._documents


def _live(request: Request) -> HsdsDocuments:
    return request.state.hsds.documents()


def _integer(request: Request, name: str, default: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= high:
        raise SearchError(f"{name} must be a whole number from 1 to {high}")
    return int(raw)


def _boolean(request: Request, name: str) -> bool:
    raw = (request.query_params.get(name) or "").lower()
    if raw in ("", "false"):
        return False
    if raw == "true":
        return True
    raise SearchError(f"{name} must be true or false")


def _text(request: Request, name: str, limit: int) -> str | None:
    raw = request.query_params.get(name)
    if raw is not None and len(raw) > limit:
        raise SearchError(f"{name} must be at most {limit} characters")
    return raw.strip().lower() or None if raw else None


def _modified_after(request: Request) -> datetime | None:
    return parse_modified_after(request.query_params.get("modified_after"))


def _modified(service: dict[str, Any], since: datetime | None) -> bool:
    if since is None:
        return True
    try:
        changed = datetime.fromisoformat(str(service.get("last_modified")).replace("Z", "+00:00"))
    except ValueError:
        return False
    changed = changed.replace(tzinfo=UTC) if changed.tzinfo is None else changed
    return changed >= since


def _matches(row: dict[str, Any], words: str | None, fields: tuple[str, ...]) -> bool:
    if not words:
        return True
    text = " ".join(str(row.get(field) or "") for field in fields).lower()
    return all(word in text for word in words.split())


def _page(request: Request, ids: list[str], render: Callable[[str], dict]) -> JSONResponse:
    """The spec's `Page` of `contents`."""
    page = _integer(request, "page", 1, PAGE_MAX)
    per_page = _integer(request, "per_page", PER_PAGE_DEFAULT, PER_PAGE_MAX)
    total = len(ids)
    pages = max(1, math.ceil(total / per_page))
    chosen = ids[(page - 1) * per_page : page * per_page]
    return JSONResponse(
        {
            "total_items": total,
            "total_pages": pages,
            "page_number": page,
            "size": len(chosen),
            "first_page": page == 1,
            "last_page": page >= pages,
            "empty": not chosen,
            "contents": [render(item_id) for item_id in chosen],
        }
    )


def about(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "version": HSDS_VERSION,
            "profile": PROFILE_URL,
            "openapi_url": str(request.url_for("hsds_openapi")),
        }
    )


def openapi(request: Request) -> Response:
    return Response(hsds_openapi_bytes(), media_type="application/json")


def services(request: Request) -> JSONResponse:
    documents = _live(request)
    words = _text(request, "search", 200)
    organization_id = _text(request, "organization_id", 100)
    since = _modified_after(request)
    ids = [
        service["id"]
        for service in documents.services.values()
        if _matches(service, words, ("name", "alternate_name", "description"))
        and (organization_id is None or service["organization_id"] == organization_id)
        and _modified(service, since)
    ]
    return _page(request, ids, documents.service_list_item)


def service(request: Request) -> JSONResponse:
    documents = _live(request)
    return JSONResponse(documents.service(_known(documents.services, request)))


def organizations(request: Request) -> JSONResponse:
    documents = _live(request)
    words = _text(request, "search", 200)
    full = _boolean(request, "full")
    ids = [
        org_id
        for org_id, row in documents.organizations.items()
        if _matches(row, words, ("name", "alternate_name", "description"))
    ]
    render = documents.organization if full else documents.organization_list_item
    return _page(request, ids, render)


def organization(request: Request) -> JSONResponse:
    documents = _live(request)
    org_id = _known(documents.organizations, request)
    return JSONResponse(
        documents.organization(org_id, full_service=_boolean(request, "full_service"))
    )


def service_at_locations(request: Request) -> JSONResponse:
    documents = _live(request)
    words = _text(request, "search", 200)
    organization_id = _text(request, "organization_id", 100)
    since = _modified_after(request)
    full = _boolean(request, "full")
    ids = []
    for link_id, link in documents.service_at_locations.items():
        offer = documents.services[link["service_id"]]
        if (
            _matches(offer, words, ("name", "alternate_name", "description"))
            and (organization_id is None or offer["organization_id"] == organization_id)
            and _modified(offer, since)
        ):
            ids.append(link_id)
    render = documents.service_at_location if full else documents.service_at_location_list_item
    return _page(request, ids, render)


def service_at_location(request: Request) -> JSONResponse:
    documents = _live(request)
    return JSONResponse(
        documents.service_at_location(_known(documents.service_at_locations, request))
    )


def _known(rows: dict[str, Any], request: Request) -> str:
    record_id = request.path_params["id"]
    if record_id not in rows:
        raise ListingNotFound(f"No record with id {record_id!r}.")
    return record_id


HSDS_ROUTES = [
    Route("/", about, name="hsds_about"),
    Route("/openapi.json", openapi, name="hsds_openapi"),
    Route("/services", services, name="hsds_services"),
    Route("/services/{id}", service, name="hsds_service"),
    Route("/organizations", organizations, name="hsds_organizations"),
    Route("/organizations/{id}", organization, name="hsds_organization"),
    Route("/service_at_locations", service_at_locations, name="hsds_service_at_locations"),
    Route("/service_at_locations/{id}", service_at_location, name="hsds_service_at_location"),
]

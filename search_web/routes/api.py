"""The public JSON API (mounted at /api): search, one practitioner, the nearest place, the OpenAPI
document and its HTML rendering. Errors are translated in app.py."""

from __future__ import annotations

from dataclasses import asdict, replace

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from index.places import nearest_zip
from search_web.openapi import openapi_document
from search_web.params import LISTING_ID, api_request, parse_coordinate, parse_modified_after
from search_web.service import Directory, ListingNotFound
from search_web.templating import templates

__all__ = ["LISTING_ID", "docs", "nearest_place", "openapi", "practitioner", "search"]


def search(request: Request) -> JSONResponse:
    directory: Directory = request.state.directory
    search_request = replace(
        api_request(request.query_params),
        # Applied inside the index search (index.modified), so totals and facets cover it.
        modified_after=parse_modified_after(request.query_params.get("modified_after")),
    )
    return JSONResponse(asdict(directory.search(search_request)))


def practitioner(request: Request) -> JSONResponse:
    directory: Directory = request.state.directory
    listing_id = request.path_params["listing_id"]
    if not LISTING_ID.match(listing_id):
        raise ListingNotFound(f"No practitioner with id {listing_id!r}.")
    return JSONResponse(directory.listing(listing_id).to_result())


async def nearest_place(request: Request) -> JSONResponse:
    """For "use my location": the browser's point -> the nearest ZIP, which fills the near box."""
    lat = parse_coordinate(request.query_params.get("lat"), "lat", 90)
    lon = parse_coordinate(request.query_params.get("lon"), "lon", 180)
    # The first call loads the ZIP gazetteer (about a second): keep it off the event loop.
    found = await run_in_threadpool(nearest_zip, lat, lon)
    if found is None:
        return JSONResponse(
            {"error": "We found no US ZIP code within 60 miles of this point."}, status_code=404
        )
    # A point does not move, so browsers and caches may keep the answer.
    return JSONResponse(found.as_dict(), headers={"Cache-Control": "public, max-age=86400"})


def openapi(request: Request) -> JSONResponse:
    return JSONResponse(openapi_document())


def docs(request: Request) -> Response:
    """The API reference as a server-rendered page, from the same document."""
    return templates.TemplateResponse(request, "api_docs.html", {"spec": openapi_document()})

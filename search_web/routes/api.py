"""The public JSON API (mounted at /api): search and one practitioner. Errors are translated in app.py."""

from __future__ import annotations

import re
from dataclasses import asdict

from starlette.requests import Request
from starlette.responses import JSONResponse

from search_web.params import api_request
from search_web.service import Directory, ListingNotFound

# Ids are "p-" + hex today; accept a little more, but never send arbitrary text to the index.
LISTING_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def search(request: Request) -> JSONResponse:
    directory: Directory = request.state.directory
    page = directory.search(api_request(request.query_params))
    return JSONResponse(asdict(page))


def practitioner(request: Request) -> JSONResponse:
    directory: Directory = request.state.directory
    listing_id = request.path_params["listing_id"]
    if not LISTING_ID.match(listing_id):
        raise ListingNotFound(f"No practitioner with id {listing_id!r}.")
    return JSONResponse(directory.listing(listing_id).to_result())

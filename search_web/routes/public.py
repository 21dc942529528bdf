"""Patient pages: search (also the home page), a practitioner's profile, the microneedling guide."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from index.build import current_generation
from index.records import SPECIALTY_SLUGS
from index.search import SearchPage, SearchRequest
from search_web import present
from search_web.params import RADIUS_CHOICES, SearchForm, page_form, page_request
from search_web.routes.api import LISTING_ID
from search_web.service import Directory, ListingNotFound
from search_web.templating import templates


def form_context(form: SearchForm) -> dict[str, Any]:
    """What every rendering of the search form needs, valid input or not."""
    return {
        "form": form,
        "radius_choices": RADIUS_CHOICES,
        "specialties": [(slug, present.specialty_label(slug)) for slug in SPECIALTY_SLUGS],
    }


def results_context(req: SearchRequest, page: SearchPage) -> dict[str, Any]:
    link = present.SearchLink(
        near=req.near,
        radius=req.radius,
        specialty=req.specialty,
        procedure=req.procedure,
        q=req.q,
        page=req.page,
        per_page=req.per_page,
    )
    cards = [
        {"result": result, "location": present.nearest_location(result["locations"], page.place)}
        for result in page.results
    ]
    specialty_facets = [
        (slug, present.specialty_label(slug), count, link.href(specialty=slug, page=1))
        for slug, count in sorted(
            (page.facets or {}).get("specialty", {}).items(), key=lambda item: (-item[1], item[0])
        )
        if count
    ]
    return {
        "page": page,
        "cards": cards,
        "link": link,
        "page_numbers": present.page_numbers(page.total, page.page, page.per_page),
        "last_page": max(1, -(-page.total // page.per_page)),
        "specialty_facets": specialty_facets,
        "suggestion_href": link.href(q=page.suggestion, page=1) if page.suggestion else None,
        "zero_options": present.zero_result_options(link) if page.total == 0 else [],
    }


def search(request: Request) -> Response:
    """`/` and `/search`: the form, and results once the patient has said what they want."""
    form = page_form(request.query_params)
    context = form_context(form)
    if form.is_blank:
        return templates.TemplateResponse(request, "search.html", {**context, "page": None})
    req = page_request(request.query_params)
    directory: Directory = request.state.directory
    found = directory.search(req)
    return templates.TemplateResponse(
        request, "search.html", {**context, **results_context(req, found)}
    )


def practitioner(request: Request) -> Response:
    directory: Directory = request.state.directory
    listing_id = request.path_params["listing_id"]
    if not LISTING_ID.match(listing_id):
        raise ListingNotFound(f"No practitioner with id {listing_id!r}.")
    listing = directory.listing(listing_id)
    page_url = str(request.url.replace(query="", fragment=""))
    return templates.TemplateResponse(
        request,
        "practitioner.html",
        {
            "listing": listing,
            "jsonld": present.physician_jsonld(listing, page_url),
            "search_href": present.SearchLink(
                near=(listing.locations[0].get("postal_code") if listing.locations else None)
            ).href(),
        },
    )


def guide(request: Request) -> Response:
    return templates.TemplateResponse(request, "guide.html", {})


def healthz(request: Request) -> JSONResponse:
    """Liveness, plus which index generation a search would use (null before the first build)."""
    directory: Directory = request.state.directory
    return JSONResponse({"status": "ok", "index": current_generation(directory.data_dir)})

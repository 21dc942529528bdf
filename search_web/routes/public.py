"""Patient pages: search (also the home page), a practitioner's profile and its "report a problem"
form, the microneedling guide."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from index.build import current_generation
from index.place_hints import place_hint
from index.places import nearby_cities
from index.records import SPECIALTY_SLUGS, Listing
from index.search import SearchError, SearchPage, SearchRequest
from index.store import StoreError
from search_web import present
from search_web.opendata.jsonld import listing_document
from search_web.params import (
    LISTING_ID,
    RADIUS_CHOICES,
    SearchForm,
    page_form,
    page_request,
    parse_radius,
)
from search_web.provenance_view import provenance_lines
from search_web.report import (
    CONTACT_MAX,
    CSRF_COOKIE,
    CSRF_FIELD,
    MESSAGE_MAX,
    REPORT_KINDS,
    ReportDesk,
    ReportForm,
    clean_report,
)
from search_web.service import Directory, ListingNotFound
from search_web.templating import templates

logger = logging.getLogger(__name__)

NEARBY_CITY_SUGGESTIONS = 4
EXACT_PARAM = "exact"  # `exact=1`: search for the words as typed, without the spelling correction
NEARBY_CITY_CANDIDATES = 12  # cities tried (each one a cheap search) to find those 4
NEAREST_SUGGESTIONS = 3  # named on an empty page when nobody is in range or in a nearby city


def radius_choices(current: str) -> list[int | float]:
    """The radius menu, plus the radius in use when a link or the API set another one (e.g. the
    200 miles of a wide search), so the form never silently shows a different radius."""
    choices: list[int | float] = list(RADIUS_CHOICES)
    try:
        radius = parse_radius(current)
    except SearchError:
        return choices
    value = int(radius) if radius.is_integer() else radius
    if value not in choices:
        choices = sorted([*choices, value])
    return choices


def form_context(form: SearchForm) -> dict[str, Any]:
    """What every rendering of the search form needs, valid input or not."""
    return {
        "form": form,
        "radius_choices": radius_choices(form.radius),
        "specialties": [(slug, present.specialty_label(slug)) for slug in SPECIALTY_SLUGS],
        "home_claim": present.HOME_CLAIM,
    }


def results_context(req: SearchRequest, page: SearchPage) -> dict[str, Any]:
    link = present.SearchLink.for_request(req)
    # Ways out of an empty page carry the corrected words, not the typo that found nobody.
    widen = replace(link, q=page.suggestion) if page.suggestion else link
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
        "zero_options": present.zero_result_options(widen) if page.total == 0 else [],
        "map_points": sum(1 for card in cards if present.has_point(card["location"])),
        "summary_text": present.search_summary(link),
        "lay_terms": present.lay_term_uses(req.q),
        "lay_names": present.lay_term_names(req.q),
        "correction": None,
    }


def _nearby_links(
    directory: Directory, req: SearchRequest, page: SearchPage
) -> list[tuple[str, int, str]]:
    """Real cities around the searched place where the same search finds someone: (city label,
    how many, link). Cities that would find nobody are left out, so no suggestion is a dead end."""
    place = page.place
    if not place or place.get("lat") is None or place.get("lon") is None:
        return []
    cities = nearby_cities(
        place["lat"],
        place["lon"],
        limit=NEARBY_CITY_CANDIDATES,
        exclude=present.place_city(place.get("label") or ""),
    )
    # A nearby city starts on page 1, with the corrected words when the typed ones found nobody.
    link = present.SearchLink.for_request(req, page=1, q=page.suggestion or req.q)
    found: list[tuple[str, int, str]] = []
    for city in cities:
        try:
            there = directory.search(
                replace(req, near=city.label, q=page.suggestion or req.q, page=1, per_page=1)
            )
        except SearchError:
            continue  # a gazetteer name the place parser reads differently: just skip it
        if there.total:
            found.append((city.label, there.total, link.href(near=city.label, page=1)))
        if len(found) == NEARBY_CITY_SUGGESTIONS:
            break
    return found


def _nearest(directory: Directory, req: SearchRequest, page: SearchPage) -> list[dict[str, Any]]:
    """When nobody is in range, nor in a nearby city: the nearest matches however far, each with
    its nearest office's city and a link to search there."""
    if not page.place:
        return []
    wanted = replace(req, q=page.suggestion or req.q, page=1)
    link = present.SearchLink.for_request(wanted, radius=float(RADIUS_CHOICES[2]))
    found = []
    for result in directory.nearest(wanted, limit=NEAREST_SUGGESTIONS):
        location = present.nearest_location(result["locations"], page.place) or {}
        city = ", ".join(p for p in (location.get("city"), location.get("state")) if p)
        found.append(
            {
                "result": result,
                "city": city,
                "href": link.href(near=city) if city else None,
            }
        )
    return found


def coverage(request: Request) -> Response:
    """`/coverage`: the states and cities where the directory has practitioners, with counts."""
    directory: Directory = request.state.directory
    states = directory.coverage()
    link = present.SearchLink(procedure=None)
    rows = [
        {
            "state": state,
            "cities": [
                (city, count, link.href(near=f"{city}, {state.state}"))
                for city, count in state.cities
            ],
        }
        for state in states
    ]
    return templates.TemplateResponse(
        request,
        "coverage.html",
        {"rows": rows, "total": sum(state.practitioners for state in states)},
    )


def search(request: Request) -> Response:
    """`/` and `/search`: the form, and results once the patient has said what they want."""
    form = page_form(request.query_params)
    context = form_context(form)
    if form.is_blank:
        return templates.TemplateResponse(request, "search.html", {**context, "page": None})
    req = page_request(request.query_params)
    hint = place_hint(req.near)
    if hint is not None:
        # "Austin" or "Austn, TX": search the place meant, and say so above the results.
        req = replace(req, near=hint.near)
        context = {**context, **form_context(replace(form, near=hint.near))}
    directory: Directory = request.state.directory
    found = directory.search(req)
    correction = None
    if found.total == 0 and found.suggestion and EXACT_PARAM not in request.query_params:
        # One confident correction (its search finds someone): show its results at once, as
        # search engines do, with a link back to exactly what was typed.
        corrected_req = replace(req, q=found.suggestion)
        corrected = directory.search(corrected_req)
        if corrected.total:
            typed = present.SearchLink.for_request(req)
            correction = {
                "shown": found.suggestion,
                "typed": req.q,
                "original_href": typed.href() + f"&{EXACT_PARAM}=1",
            }
            req, found = corrected_req, corrected
    nearby = _nearby_links(directory, req, found) if found.total == 0 else []
    nearest = _nearest(directory, req, found) if found.total == 0 and not nearby else []
    nearest_summary = present.nearest_summary(
        [(item["city"], item["result"]["distance_miles"]) for item in nearest]
    )
    return templates.TemplateResponse(
        request,
        "search.html",
        {
            **context,
            **results_context(req, found),
            "correction": correction,
            "place_hint": hint,
            "other_places": [
                (other, present.SearchLink.for_request(req, near=other, page=1).href())
                for other in (hint.others if hint else [])
            ],
            "nearby_links": nearby,
            "nearest": nearest,
            "nearest_summary": nearest_summary,
            "tile_url": _tile_url(request),
            "map_labels": _map_labels(req, found),
        },
    )


def _map_labels(req: SearchRequest, page: SearchPage) -> list:
    place = page.place
    nearby: list[tuple[str, str]] = []
    if place and place.get("lat") is not None and place.get("lon") is not None:
        cities = nearby_cities(
            place["lat"], place["lon"], miles=max(req.radius, 30.0), limit=present.MAP_LABELS
        )
        nearby = [(city.city, city.state) for city in cities]
    shown = [present.nearest_location(r["locations"], place) or {} for r in page.results]
    return present.map_labels(place, shown, nearby)


def _tile_url(request: Request) -> str | None:
    settings = getattr(request.state, "settings", None)
    return getattr(settings, "tile_url", None)


def _listing(request: Request) -> Listing:
    directory: Directory = request.state.directory
    listing_id = request.path_params["listing_id"]
    if not LISTING_ID.match(listing_id):
        raise ListingNotFound(f"No practitioner with id {listing_id!r}.")
    return directory.listing(listing_id)


def _report_context(
    desk: ReportDesk, nonce: str, form: ReportForm | None = None, errors: dict | None = None
) -> dict[str, Any]:
    return {
        "report_form": form or ReportForm(),
        "report_errors": errors or {},
        "report_kinds": list(REPORT_KINDS.items()),
        "report_token": desk.tokens.token_for(nonce),
        "csrf_field": CSRF_FIELD,
        "message_max": MESSAGE_MAX,
        "contact_max": CONTACT_MAX,
    }


def _with_nonce_cookie(request: Request, response: Response, nonce: str) -> Response:
    if request.cookies.get(CSRF_COOKIE) != nonce:
        response.set_cookie(
            CSRF_COOKIE,
            nonce,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/practitioners",
        )
    # The page carries a token tied to this browser's cookie: no shared cache may keep it.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _nonce(request: Request, desk: ReportDesk) -> str:
    existing = request.cookies.get(CSRF_COOKIE) or ""
    return existing if 16 <= len(existing) <= 64 else desk.tokens.new_nonce()


def _back_to_search(request: Request) -> str | None:
    """The search the patient came from (our own /search page, by the Referer header), so "Back to
    search" keeps every word and filter; None when they came from elsewhere."""
    referer = request.headers.get("referer") or ""
    try:
        parts = urlsplit(referer)
    except ValueError:
        return None
    if parts.netloc != request.url.netloc or parts.path not in ("/", "/search") or not parts.query:
        return None
    return f"/search?{parts.query}"


def practitioner(request: Request) -> Response:
    listing = _listing(request)
    desk: ReportDesk = request.state.reports
    nonce = _nonce(request, desk)
    # Linked-data ids are absolute: the configured public root, else this request's own.
    base = request.state.settings.base_url or str(request.base_url).rstrip("/")
    response = templates.TemplateResponse(
        request,
        "practitioner.html",
        {
            "listing": listing,
            "jsonld": listing_document(listing, base),
            "provenance": provenance_lines(listing),
            "search_href": _back_to_search(request)
            or present.SearchLink(
                near=(listing.locations[0].get("postal_code") if listing.locations else None)
            ).href(),
            **_report_context(desk, nonce),
        },
    )
    return _with_nonce_cookie(request, response, nonce)


def report_form(request: Request) -> Response:
    """The report form on a page of its own (linked from the profile; works without the profile)."""
    listing = _listing(request)
    desk: ReportDesk = request.state.reports
    nonce = _nonce(request, desk)
    response = templates.TemplateResponse(
        request, "report.html", {"listing": listing, **_report_context(desk, nonce)}
    )
    return _with_nonce_cookie(request, response, nonce)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def submit_report(request: Request) -> Response:
    listing = await run_in_threadpool(_listing, request)
    desk: ReportDesk = request.state.reports
    if not desk.limiter.allow(_client_ip(request)):
        response = templates.TemplateResponse(
            request,
            "error.html",
            {
                "status": 429,
                "title": "Too many reports",
                "message": "Thank you for helping. You have sent several reports in the last few "
                "minutes; please wait ten minutes and try again.",
            },
            status_code=429,
        )
        response.headers["Retry-After"] = "600"
        return response
    fields = await request.form()
    nonce = request.cookies.get(CSRF_COOKIE)
    if not desk.tokens.valid(str(fields.get(CSRF_FIELD) or ""), nonce):
        return templates.TemplateResponse(
            request,
            "error.html",
            {
                "status": 403,
                "title": "This form has expired",
                "message": "For your security the form works only for a while, and only with "
                "cookies on. Go back, reload the page and send it again.",
            },
            status_code=403,
        )
    form, errors = clean_report({key: str(fields.get(key) or "") for key in fields})
    if errors:
        assert nonce is not None  # checked by the token
        response = templates.TemplateResponse(
            request,
            "report.html",
            {"listing": listing, **_report_context(desk, nonce, form, errors)},
            status_code=400,
        )
        response.headers["Cache-Control"] = "private, no-store"
        return response
    try:
        report_id = await run_in_threadpool(desk.file, listing.id, form)
    except (sqlite3.Error, StoreError, OSError) as error:
        logger.error("could not store a report on %s: %s", listing.id, error)
        return templates.TemplateResponse(
            request,
            "error.html",
            {
                "status": 503,
                "title": "We could not save your report",
                "message": "Something went wrong on our side. Please try again in a few minutes.",
            },
            status_code=503,
        )
    logger.info("report %s filed on %s (%s)", report_id, listing.id, form.kind)
    # Post/redirect/get: reloading the thank-you page never files the report twice.
    return RedirectResponse(f"/practitioners/{listing.id}/report/thanks", status_code=303)


def report_thanks(request: Request) -> Response:
    listing = _listing(request)
    return templates.TemplateResponse(request, "report_thanks.html", {"listing": listing})


GUIDE_REVIEWED = "December 4, 2026"  # change when the guide's medical content is checked again


def guide(request: Request) -> Response:
    return templates.TemplateResponse(request, "guide.html", {"reviewed": GUIDE_REVIEWED})


def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico on every page without a <link rel=icon> (admin pages, JSON)."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


def healthz(request: Request) -> JSONResponse:
    """Liveness, plus which index generation a search would use (null before the first build)."""
    directory: Directory = request.state.directory
    return JSONResponse({"status": "ok", "index": current_generation(directory.data_dir)})

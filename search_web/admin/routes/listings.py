"""The review queue and one listing's pages: view, history, and every decision an editor takes on
it (approve, verify, hide, edit, merge, split off, resolve reports, bulk actions), each published
at once to the live generation.

Uses the admin's state, guards and templating; must not import another route module."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from index.build import current_generation
from index.records import SPECIALTY_SLUGS
from search_web.admin import actions
from search_web.admin.catalog import CATEGORIES, AdminListing, review_queue
from search_web.admin.middleware import editor_name, guarded, posted_form
from search_web.admin.state import admin_state
from search_web.admin.templating import error_page, redirect, render

log = logging.getLogger(__name__)


@guarded()
async def queue(request: Request) -> Response:
    category = request.query_params.get("category") or None
    if category is not None and category not in CATEGORIES:
        return error_page(request, 400, f"There is no queue called {category!r}.")
    q = request.query_params.get("q", "")[:100]
    catalog = await run_in_threadpool(admin_state(request).catalog)
    view = review_queue(catalog, datetime.now(UTC), category, q)
    return render(
        request,
        "queue.html",
        {"view": view, "total": len(catalog.listings), "actions": actions.BULK_ACTIONS},
    )


async def _entry(request: Request) -> AdminListing:
    catalog = await run_in_threadpool(admin_state(request).catalog)
    entry = catalog.get(request.path_params["listing_id"])
    if entry is None:
        raise HTTPException(404, "There is no listing with this id.")
    return entry


@guarded()
async def listing_page(request: Request) -> Response:
    entry = await _entry(request)
    return render(
        request,
        "listing.html",
        {
            "entry": entry,
            "listing": entry.listing,
            "specialty_slugs": SPECIALTY_SLUGS,
            "offers_value": _offers_choice(entry),
            "generation": current_generation(admin_state(request).data_dir),
        },
    )


def _offers_choice(entry: AdminListing) -> str:
    override = entry.latest("offers_microneedling")
    if override is None:
        return "crawled"
    return "no" if override.value is False else "unknown"


@guarded()
async def history_page(request: Request) -> Response:
    state = admin_state(request)
    listing_id = request.path_params["listing_id"]
    catalog = await run_in_threadpool(state.catalog)
    entry = catalog.get(listing_id)
    targets = {listing_id} | ({o.practitioner_id for o in entry.overrides} if entry else set())

    def load() -> tuple[list, list]:
        entries = sorted(
            (e for target in targets for e in state.store.audit_log(target)),
            key=lambda e: e.id,
            reverse=True,
        )
        overrides = [
            o
            for target in sorted(targets)
            for o in state.store.overrides_for(target, include_inactive=True)
        ]
        return entries, overrides

    audit, overrides = await run_in_threadpool(load)
    if entry is None and not audit:
        raise HTTPException(404, "There is no listing with this id.")
    return render(
        request,
        "history.html",
        {"listing_id": listing_id, "entry": entry, "audit": audit, "overrides": overrides},
    )


def _publish(request: Request, listing_ids: Iterable[str]) -> None:
    admin_state(request).rebuilder.request(listing_ids)


@guarded()
async def listing_action(request: Request) -> Response:
    form = posted_form(request)
    entry = await _entry(request)
    action = str(form.get("action") or "")
    await run_in_threadpool(
        actions.apply_listing_action,
        admin_state(request).store,
        entry,
        action,
        editor_name(request),
        str(form.get("why") or ""),
    )
    _publish(request, [entry.id])
    return redirect(request, f"/listings/{entry.id}", notice=action)


@guarded()
async def bulk_action(request: Request) -> Response:
    form = posted_form(request)
    action = str(form.get("action") or "")
    ids = [str(value) for value in form.getlist("ids")]
    if not ids:
        raise actions.ActionError("select at least one listing")
    if action not in actions.BULK_ACTIONS:
        raise actions.ActionError(f"unknown action {action!r}")
    state = admin_state(request)

    def run() -> None:
        catalog = state.catalog()
        entries = [catalog.get(listing_id) for listing_id in ids]
        missing = [listing_id for listing_id, e in zip(ids, entries, strict=True) if e is None]
        if missing:
            raise actions.ActionError(f"no listing with id {missing[0]!r}")
        for entry in entries:
            if action in actions.BULK_REPORT_ACTIONS:
                actions.close_listing_reports(
                    state.store, entry, action, editor_name(request), str(form.get("why") or "")
                )
            else:
                actions.apply_listing_action(
                    state.store, entry, action, editor_name(request), str(form.get("why") or "")
                )

    await run_in_threadpool(run)
    _publish(request, ids)
    back = str(form.get("category") or "")
    query = {"notice": "bulk"}
    if back in CATEGORIES:
        query["category"] = back
    return redirect(request, "/", **query)


@guarded()
async def edit_listing(request: Request) -> Response:
    form = posted_form(request)
    entry = await _entry(request)
    specialties = [str(v) for v in form.getlist("specialties")]
    edits = actions.parse_edit(form, specialties, entry)
    await run_in_threadpool(
        actions.apply_edit,
        admin_state(request).store,
        entry,
        edits,
        editor_name(request),
        str(form.get("why") or ""),
    )
    _publish(request, [entry.id])
    return redirect(request, f"/listings/{entry.id}", notice="edit")


@guarded()
async def merge(request: Request) -> Response:
    form = posted_form(request)
    state = admin_state(request)
    catalog = await run_in_threadpool(state.catalog)
    target = catalog.get(str(form.get("target") or ""))
    other = catalog.get(str(form.get("other") or "").strip())
    if target is None or other is None:
        raise actions.ActionError("give the id of an existing listing to merge with (p-...)")
    await run_in_threadpool(
        actions.merge_listings,
        state.store,
        target,
        other,
        editor_name(request),
        str(form.get("why") or ""),
    )
    _publish(request, [target.id, other.id])
    key = target.members[0].key
    after = await run_in_threadpool(state.catalog)
    return redirect(
        request, f"/listings/{after.observation_keys.get(key, target.id)}", notice="merge"
    )


@guarded()
async def unmerge(request: Request) -> Response:
    form = posted_form(request)
    state = admin_state(request)
    entry = await _entry(request)
    key = str(form.get("key") or "")
    remaining = next((m.key for m in entry.members if m.key != key), None)
    await run_in_threadpool(
        actions.unmerge, state.store, entry, key, editor_name(request), str(form.get("why") or "")
    )
    _publish(request, [entry.id])
    after = await run_in_threadpool(state.catalog)
    landing = after.observation_keys.get(remaining or "", entry.id)
    return redirect(request, f"/listings/{landing}", notice="unmerge")


@guarded()
async def report_action(request: Request) -> Response:
    form = posted_form(request)
    outcome = str(form.get("outcome") or "")
    try:
        report_id = int(request.path_params["report_id"])
    except ValueError:
        raise HTTPException(404, "There is no such report.") from None
    await run_in_threadpool(
        actions.resolve_report,
        admin_state(request).store,
        report_id,
        outcome,
        editor_name(request),
        str(form.get("why") or ""),
    )
    back = str(form.get("back") or "")
    if back.startswith("p-") and back[2:].isalnum():
        return redirect(request, f"/listings/{back}", notice=outcome)
    return redirect(request, "/", category="reports", notice=outcome)

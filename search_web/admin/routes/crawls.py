"""The crawl dashboard: runs, rejections and how fresh each source is; starting a crawl or a full
index rebuild in the background.

Uses the admin's state, guards and templating; must not import another route module."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from index.build import current_generation
from index.store import Store
from search_web.admin import actions
from search_web.admin.jobs import crawl_command
from search_web.admin.middleware import editor_name, guarded, posted_form
from search_web.admin.state import admin_state
from search_web.admin.templating import redirect, render


def source_freshness(store: Store) -> list[dict[str, Any]]:
    """Per source: how many records, and the newest and oldest sighting."""
    by_source: dict[str, dict[str, Any]] = {}
    for stored in store.observations():
        row = by_source.setdefault(
            stored.observation.source,
            {"source": stored.observation.source, "count": 0, "newest": None, "oldest": None},
        )
        row["count"] += 1
        if row["newest"] is None or stored.last_seen > row["newest"]:
            row["newest"] = stored.last_seen
        if row["oldest"] is None or stored.last_seen < row["oldest"]:
            row["oldest"] = stored.last_seen
    return [by_source[name] for name in sorted(by_source)]


@guarded()
async def crawls(request: Request) -> Response:
    state = admin_state(request)

    def load() -> dict[str, Any]:
        runs = list(reversed(state.store.runs()))
        rejections: dict[int, int] = {}
        for rejection in state.store.rejections():
            run_id = rejection.get("run_id")
            if run_id is not None:
                rejections[run_id] = rejections.get(run_id, 0) + 1
        return {
            "runs": runs,
            "rejections": rejections,
            "freshness": source_freshness(state.store),
        }

    data = await run_in_threadpool(load)
    return render(
        request,
        "crawls.html",
        {
            **data,
            "jobs": list(reversed(state.launcher.jobs)),
            "generation": current_generation(state.data_dir),
            "rebuilder": state.rebuilder,
            "error": None,
            "form": {},
        },
    )


@guarded()
async def start_crawl(request: Request) -> Response:
    form = posted_form(request)
    values = {
        key: str(form.get(key) or "") for key in ("start_urls", "states", "api_url", "cms_source")
    }
    try:
        command = crawl_command(str(form.get("source") or ""), values)
    except ValueError as error:
        raise actions.ActionError(str(error)) from None
    state = admin_state(request)
    job = await run_in_threadpool(state.launcher.start, "crawl", command, editor_name(request))
    await run_in_threadpool(
        state.store.audit,
        editor_name(request),
        "crawl.start",
        "crawl",
        None,
        {"argv": job.argv[3:]},
        "",
    )
    return redirect(request, "/crawls", notice="crawl")


@guarded()
async def start_index(request: Request) -> Response:
    state = admin_state(request)
    job = await run_in_threadpool(state.launcher.start, "index", ["index"], editor_name(request))
    await run_in_threadpool(
        state.store.audit,
        editor_name(request),
        "index.start",
        "index",
        None,
        {"argv": job.argv[3:]},
        "",
    )
    return redirect(request, "/crawls", notice="index")

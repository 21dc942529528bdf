"""The admin back office: `create_admin_app(settings)` builds the Starlette sub-app mounted at /admin.

Every page but the login form needs a server-side session; every POST needs the session's CSRF token
(the login form uses a double-submit cookie instead, as there is no session yet). Store and accounts
open lazily because a mounted app's lifespan does not run; `app.state.admin.close()` releases them.
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from index.accounts import (
    ABSOLUTE_TIMEOUT_SECONDS,
    IDLE_TIMEOUT_SECONDS,
    ROLES,
    AccountError,
    Accounts,
    Session,
)
from index.build import current_generation
from index.records import SPECIALTY_SLUGS
from index.store import Store, StoreError
from search_web.admin import actions
from search_web.admin.catalog import (
    CATEGORIES,
    AdminListing,
    Catalog,
    load_catalog,
    review_queue,
)
from search_web.admin.jobs import Launcher, Rebuilder, crawl_command
from search_web.security import content_security_policy

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "skinmap_admin"
LOGIN_COOKIE = "skinmap_admin_login"  # double-submit CSRF token for the login form only
CSRF_FIELD = "csrf_token"

# The admin draws no map, so its policy is the public one without a tile origin.
ADMIN_CSP = content_security_policy()
ADMIN_HEADERS = {
    "Content-Security-Policy": ADMIN_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # admin URLs name listings and filters; keep them in-house
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # pages behind a login must not sit in shared caches
}

# Short codes in the redirect URL, never free text, so a link cannot make the page say anything.
NOTICES = {
    "approve": "Approved.",
    "verify": "Verified.",
    "hide": "Hidden from the public site.",
    "unhide": "Visible on the public site again.",
    "edit": "Saved.",
    "merge": "Merged.",
    "unmerge": "Split off.",
    "resolved": "Report resolved.",
    "dismissed": "Report dismissed.",
    "bulk": "Done for the selected listings.",
    "crawl": "Crawl started in the background.",
    "index": "Index rebuild started in the background.",
    "user": "User saved.",
    "password": "Password changed; that user's sessions were ended.",
    "disabled": "User disabled; their sessions were ended.",
    "enabled": "User enabled.",
}


class AdminSecurityHeaders:
    """Security headers on every admin response, error pages included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ADMIN_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass
class AdminConfig:
    data_dir: Path
    idle_timeout: float = IDLE_TIMEOUT_SECONDS
    absolute_timeout: float = ABSOLUTE_TIMEOUT_SECONDS
    debug: bool = False

    @classmethod
    def from_settings(cls, settings: Any) -> AdminConfig:
        """Accepts the public WebSettings (or anything with `data_dir`); optional admin_* attributes."""
        return cls(
            data_dir=Path(settings.data_dir),
            idle_timeout=float(getattr(settings, "admin_idle_timeout", IDLE_TIMEOUT_SECONDS)),
            absolute_timeout=float(
                getattr(settings, "admin_absolute_timeout", ABSOLUTE_TIMEOUT_SECONDS)
            ),
            debug=bool(getattr(settings, "debug", False)),
        )


class AdminState:
    """What the admin app holds: lazily opened store and accounts, the rebuilder and job launcher."""

    def __init__(self, config: AdminConfig) -> None:
        self.config = config
        self.data_dir = config.data_dir
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._accounts: Accounts | None = None
        self._catalog_lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._catalog_key: tuple[int, int] | None = None
        self._watch: sqlite3.Connection | None = None
        self.clock: Callable[[], float] = time.time  # replaceable in tests
        self.rebuilder = Rebuilder(self.data_dir)
        self.launcher = Launcher(self.data_dir)

    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store(self.data_dir / "store.sqlite3")
            return self._store

    @property
    def accounts(self) -> Accounts:
        with self._lock:
            if self._accounts is None:
                self._accounts = Accounts.for_data_dir(self.data_dir)
            return self._accounts

    def _store_version(self) -> int:
        """SQLite's data_version on a connection of our own: it changes whenever any other
        connection (our Store, a build, a crawl process) commits, so a cached catalog is exact."""
        if self._watch is None:
            self.store  # noqa: B018 - creates and migrates the file before we watch it
            self._watch = sqlite3.connect(
                str(self.data_dir / "store.sqlite3"), check_same_thread=False
            )
        return int(self._watch.execute("PRAGMA data_version").fetchone()[0])

    def catalog(self) -> Catalog:
        """Resolution over the whole store is the costly part of every admin page, so the result
        is reused until the store changes (or a minute passes: "new" and "stale" depend on now)."""
        with self._catalog_lock:
            key = (self._store_version(), int(self.clock() // 60))
            if self._catalog is None or key != self._catalog_key:
                self._catalog = load_catalog(self.store)
                self._catalog_key = key  # read before loading, so a concurrent write reloads
            return self._catalog

    def close(self) -> None:
        self.rebuilder.close()
        self.launcher.close()
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
            if self._accounts is not None:
                self._accounts.close()
                self._accounts = None
        with self._catalog_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
            self._catalog = None


# --- rendering helpers ------------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


templates = Jinja2Templates(env=_environment())


def _state(request: Request) -> AdminState:
    return request.app.state.admin


def prefix(request: Request) -> str:
    """Where the admin app is mounted ("/admin"), so links work under any mount point."""
    return request.scope.get("root_path", "").rstrip("/")


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    session: Session | None = getattr(request.state, "admin_session", None)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    base = {
        "prefix": prefix(request),
        "user": session.user if session else None,
        "csrf_token": session.csrf_token if session else "",
        "notice": notice,
        "categories": CATEGORIES,
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def error_page(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


def redirect(request: Request, path: str, **query: str) -> RedirectResponse:
    url = prefix(request) + path
    if query:
        url += "?" + urlencode(query)
    return RedirectResponse(url, status_code=303)


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def client_ip(request: Request) -> str:
    # Behind a proxy, run uvicorn with --proxy-headers so this is the real client address.
    return request.client.host if request.client else "unknown"


def same_token(given: str, expected: str) -> bool:
    """Constant-time comparison; bytes, because compare_digest rejects non-ASCII str (a 500)."""
    return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())


Handler = Callable[[Request], Awaitable[Response]]


def guarded(role: str = "editor") -> Callable[[Handler], Handler]:
    """Session required (GET: redirect to login; POST: 403), the role checked, CSRF checked on POST."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            state = _state(request)
            session = await run_in_threadpool(
                state.accounts.session,
                request.cookies.get(SESSION_COOKIE),
                None,
                state.config.idle_timeout,
                state.config.absolute_timeout,
            )
            if session is None:
                if request.method in ("GET", "HEAD"):
                    return redirect(request, "/login")
                return error_page(request, 403, "Your session has ended. Sign in again.")
            request.state.admin_session = session
            if role == "admin" and not session.user.is_admin:
                return error_page(request, 403, "Only administrators can manage users.")
            if request.method == "POST":
                form = await request.form()
                token = str(form.get(CSRF_FIELD) or "")
                if not same_token(token, session.csrf_token):
                    log.warning("admin POST %s without a valid CSRF token", request.url.path)
                    return error_page(
                        request, 403, "This form has expired. Go back, reload the page and retry."
                    )
                request.state.admin_form = form
            return await handler(request)

        endpoint.guarded = role  # type: ignore[attr-defined]
        return endpoint

    return decorate


def _form(request: Request) -> FormData:
    return request.state.admin_form


def _who(request: Request) -> str:
    return request.state.admin_session.user.name


# --- login / logout -----------------------------------------------------------------------------------


def _login_page(
    request: Request, error: str | None = None, status_code: int = 200, username: str = ""
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {"login_token": token, "error": error, "username": username},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_is_https(request),
        path=prefix(request) or "/",
    )
    return response


async def login_form(request: Request) -> Response:
    return _login_page(request)


async def login(request: Request) -> Response:
    state = _state(request)
    form = await request.form()
    cookie_token = request.cookies.get(LOGIN_COOKIE) or ""
    form_token = str(form.get(CSRF_FIELD) or "")
    if not same_token(form_token, cookie_token):
        return error_page(request, 403, "The sign-in form expired. Reload the page and try again.")
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")
    ip = client_ip(request)
    accounts = state.accounts
    if not await run_in_threadpool(accounts.login_allowed, ip, username):
        log.warning("admin login throttled for user %r from %s", username, ip)
        response = _login_page(
            request,
            "Too many sign-in attempts. Wait a minute, then try again.",
            status_code=429,
            username=username,
        )
        response.headers["Retry-After"] = "60"
        return response
    user = await run_in_threadpool(accounts.authenticate, username, password)
    await run_in_threadpool(accounts.record_login_attempt, ip, username, user is not None)
    if user is None:
        log.info("admin login failed for user %r from %s", username, ip)
        return _login_page(
            request, "That user name and password do not match.", 401, username=username
        )
    token, _ = await run_in_threadpool(accounts.create_session, user)
    log.info("admin login: %s from %s", user.name, ip)
    response = redirect(request, "/")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_is_https(request),
        path=prefix(request) or "/",
    )
    response.delete_cookie(LOGIN_COOKIE, path=prefix(request) or "/")
    return response


@guarded()
async def logout(request: Request) -> Response:
    await run_in_threadpool(
        _state(request).accounts.end_session, request.cookies.get(SESSION_COOKIE)
    )
    response = redirect(request, "/login")
    response.delete_cookie(SESSION_COOKIE, path=prefix(request) or "/")
    return response


# --- review queue and listings ------------------------------------------------------------------------


@guarded()
async def queue(request: Request) -> Response:
    category = request.query_params.get("category") or None
    if category is not None and category not in CATEGORIES:
        return error_page(request, 400, f"There is no queue called {category!r}.")
    q = request.query_params.get("q", "")[:100]
    catalog = await run_in_threadpool(_state(request).catalog)
    view = review_queue(catalog, datetime.now(UTC), category, q)
    return render(
        request,
        "queue.html",
        {"view": view, "total": len(catalog.listings), "actions": actions.BULK_ACTIONS},
    )


async def _entry(request: Request) -> AdminListing:
    catalog = await run_in_threadpool(_state(request).catalog)
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
            "generation": current_generation(_state(request).data_dir),
        },
    )


def _offers_choice(entry: AdminListing) -> str:
    override = entry.latest("offers_microneedling")
    if override is None:
        return "crawled"
    return "no" if override.value is False else "unknown"


@guarded()
async def history_page(request: Request) -> Response:
    state = _state(request)
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
    _state(request).rebuilder.request(listing_ids)


@guarded()
async def listing_action(request: Request) -> Response:
    form = _form(request)
    entry = await _entry(request)
    action = str(form.get("action") or "")
    await run_in_threadpool(
        actions.apply_listing_action,
        _state(request).store,
        entry,
        action,
        _who(request),
        str(form.get("why") or ""),
    )
    _publish(request, [entry.id])
    return redirect(request, f"/listings/{entry.id}", notice=action)


@guarded()
async def bulk_action(request: Request) -> Response:
    form = _form(request)
    action = str(form.get("action") or "")
    ids = [str(value) for value in form.getlist("ids")]
    if not ids:
        raise actions.ActionError("select at least one listing")
    if action not in actions.BULK_ACTIONS:
        raise actions.ActionError(f"unknown action {action!r}")
    state = _state(request)

    def run() -> None:
        catalog = state.catalog()
        entries = [catalog.get(listing_id) for listing_id in ids]
        missing = [listing_id for listing_id, e in zip(ids, entries, strict=True) if e is None]
        if missing:
            raise actions.ActionError(f"no listing with id {missing[0]!r}")
        for entry in entries:
            if action in actions.BULK_REPORT_ACTIONS:
                actions.close_listing_reports(
                    state.store, entry, action, _who(request), str(form.get("why") or "")
                )
            else:
                actions.apply_listing_action(
                    state.store, entry, action, _who(request), str(form.get("why") or "")
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
    form = _form(request)
    entry = await _entry(request)
    specialties = [str(v) for v in form.getlist("specialties")]
    edits = actions.parse_edit(form, specialties, entry)
    await run_in_threadpool(
        actions.apply_edit,
        _state(request).store,
        entry,
        edits,
        _who(request),
        str(form.get("why") or ""),
    )
    _publish(request, [entry.id])
    return redirect(request, f"/listings/{entry.id}", notice="edit")


@guarded()
async def merge(request: Request) -> Response:
    form = _form(request)
    state = _state(request)
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
        _who(request),
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
    form = _form(request)
    state = _state(request)
    entry = await _entry(request)
    key = str(form.get("key") or "")
    remaining = next((m.key for m in entry.members if m.key != key), None)
    await run_in_threadpool(
        actions.unmerge, state.store, entry, key, _who(request), str(form.get("why") or "")
    )
    _publish(request, [entry.id])
    after = await run_in_threadpool(state.catalog)
    landing = after.observation_keys.get(remaining or "", entry.id)
    return redirect(request, f"/listings/{landing}", notice="unmerge")


@guarded()
async def report_action(request: Request) -> Response:
    form = _form(request)
    outcome = str(form.get("outcome") or "")
    try:
        report_id = int(request.path_params["report_id"])
    except ValueError:
        raise HTTPException(404, "There is no such report.") from None
    await run_in_threadpool(
        actions.resolve_report,
        _state(request).store,
        report_id,
        outcome,
        _who(request),
        str(form.get("why") or ""),
    )
    back = str(form.get("back") or "")
    if back.startswith("p-") and back[2:].isalnum():
        return redirect(request, f"/listings/{back}", notice=outcome)
    return redirect(request, "/", category="reports", notice=outcome)


# --- crawl dashboard ------------------------------------------------------------------------------------


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
    state = _state(request)

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
    form = _form(request)
    values = {
        key: str(form.get(key) or "") for key in ("start_urls", "states", "api_url", "cms_source")
    }
    try:
        command = crawl_command(str(form.get("source") or ""), values)
    except ValueError as error:
        raise actions.ActionError(str(error)) from None
    state = _state(request)
    job = await run_in_threadpool(state.launcher.start, "crawl", command, _who(request))
    await run_in_threadpool(
        state.store.audit, _who(request), "crawl.start", "crawl", None, {"argv": job.argv[3:]}, ""
    )
    return redirect(request, "/crawls", notice="crawl")


@guarded()
async def start_index(request: Request) -> Response:
    state = _state(request)
    job = await run_in_threadpool(state.launcher.start, "index", ["index"], _who(request))
    await run_in_threadpool(
        state.store.audit, _who(request), "index.start", "index", None, {"argv": job.argv[3:]}, ""
    )
    return redirect(request, "/crawls", notice="index")


# --- users (admins only) -------------------------------------------------------------------------------


@guarded("admin")
async def users_page(request: Request) -> Response:
    users = await run_in_threadpool(_state(request).accounts.users)
    return render(request, "users.html", {"users": users, "roles": ROLES})


@guarded("admin")
async def create_user(request: Request) -> Response:
    form = _form(request)
    state = _state(request)
    user = await run_in_threadpool(
        state.accounts.create_user,
        str(form.get("username") or ""),
        str(form.get("role") or ""),
        str(form.get("password") or ""),
    )
    await run_in_threadpool(
        state.store.audit,
        _who(request),
        "user.create",
        f"user:{user.name}",
        None,
        {"role": user.role},
        "",
    )
    return redirect(request, "/users", notice="user")


@guarded("admin")
async def change_user(request: Request) -> Response:
    form = _form(request)
    state = _state(request)
    name = request.path_params["name"]
    change = str(form.get("change") or "")
    target = await run_in_threadpool(state.accounts.get_user, name)
    if target is None:
        raise HTTPException(404, "There is no such user.")
    if change in ("disable", "role") and target.name == _who(request):
        raise AccountError("you cannot disable yourself or change your own role")
    if change == "disable":
        await run_in_threadpool(state.accounts.set_disabled, target.name, True)
        notice, after = "disabled", {"disabled": True}
    elif change == "enable":
        await run_in_threadpool(state.accounts.set_disabled, target.name, False)
        notice, after = "enabled", {"disabled": False}
    elif change == "password":
        await run_in_threadpool(
            state.accounts.set_password, target.name, str(form.get("password") or "")
        )
        notice, after = "password", {"password": "changed"}
    elif change == "role":
        role = str(form.get("role") or "")
        await run_in_threadpool(state.accounts.set_role, target.name, role)
        notice, after = "user", {"role": role}
    else:
        raise AccountError(f"unknown change {change!r}")
    await run_in_threadpool(
        state.store.audit, _who(request), f"user.{change}", f"user:{target.name}", None, after, ""
    )
    return redirect(request, "/users", notice=notice)


# --- errors and the app ----------------------------------------------------------------------------------


async def _user_error(request: Request, exc: Exception) -> Response:
    return error_page(request, 400, str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = "There is no page at this address." if exc.status_code == 404 else str(exc.detail)
    return error_page(request, exc.status_code, message)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("admin error on %s", request.url.path, exc_info=exc)
    response = error_page(request, 500, "Something went wrong. The error was logged.")
    response.headers.update(ADMIN_HEADERS)
    return response


def admin_routes() -> list[Route | Mount]:
    return [
        Route("/login", login_form, methods=["GET"], name="admin_login_form"),
        Route("/login", login, methods=["POST"], name="admin_login"),
        Route("/logout", logout, methods=["POST"], name="admin_logout"),
        Route("/", queue, methods=["GET"], name="admin_queue"),
        Route("/bulk", bulk_action, methods=["POST"], name="admin_bulk"),
        Route("/merge", merge, methods=["POST"], name="admin_merge"),
        Route("/listings/{listing_id}", listing_page, methods=["GET"], name="admin_listing"),
        Route(
            "/listings/{listing_id}/history", history_page, methods=["GET"], name="admin_history"
        ),
        Route("/listings/{listing_id}/action", listing_action, methods=["POST"]),
        Route("/listings/{listing_id}/edit", edit_listing, methods=["POST"]),
        Route("/listings/{listing_id}/unmerge", unmerge, methods=["POST"]),
        Route("/reports/{report_id}", report_action, methods=["POST"]),
        Route("/crawls", crawls, methods=["GET"], name="admin_crawls"),
        Route("/crawls/start", start_crawl, methods=["POST"]),
        Route("/index/rebuild", start_index, methods=["POST"]),
        Route("/users", users_page, methods=["GET"], name="admin_users"),
        Route("/users", create_user, methods=["POST"]),
        Route("/users/{name}", change_user, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="admin_static"),
    ]


def create_admin_app(settings: Any) -> Starlette:
    """The admin sub-app; mount it with `Mount("/admin", app=create_admin_app(settings))`."""
    config = AdminConfig.from_settings(settings)
    app = Starlette(
        debug=config.debug,
        routes=admin_routes(),
        middleware=[Middleware(AdminSecurityHeaders)],
        exception_handlers={
            actions.ActionError: _user_error,
            AccountError: _user_error,
            StoreError: _user_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.admin = AdminState(config)
    return app

"""The skinmap web app: `create_app(settings)` wires routes, the index, error pages and security headers."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from index.build import current_generation
from index.search import SearchError
from search_web.admin.app import create_admin_app
from search_web.opendata.hsds_api import HSDS_ROUTES, LiveHsds
from search_web.params import page_form
from search_web.report import CsrfTokens, RateLimiter, ReportDesk
from search_web.routes import api, public
from search_web.security import content_security_policy
from search_web.service import Directory, IndexUnavailable, ListingNotFound
from search_web.templating import STATIC_DIR, templates

logger = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = (
    "Search is not available yet: the directory's index has not been built. "
    "If you maintain this site, run `skinmap index` (it builds the index from the store)."
)


@dataclass
class WebSettings:
    data_dir: Path
    tile_url: str | None = None  # map tile template; its origin is allowed in img-src
    debug: bool = False  # Starlette debug tracebacks: for a developer's machine only
    admin: bool = True  # mount the back office (search_web.admin) at /admin
    # Signs the report form's CSRF tokens. Unset, a random key per process: forms then expire on
    # restart and, with several workers, may be refused by another worker.
    secret_key: str | None = None
    report_limiter: RateLimiter | None = None  # tests pass their own; default 5 per 10 minutes
    # What answers searches; the benchmarks swap in their FTS5 baseline behind the same routes.
    directory_factory: Callable[[Path], Directory] = Directory
    # Absolute site root for linked-data ids and HSDS service URLs ("https://skinmap.example");
    # empty: ids are relative to the request's own host.
    base_url: str = ""

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> WebSettings:
        env = os.environ if environ is None else environ
        return cls(
            data_dir=Path(env.get("SKINMAP_DATA_DIR") or "./var/data").expanduser().resolve(),
            tile_url=env.get("SKINMAP_TILE_URL") or None,
            secret_key=env.get("SKINMAP_SECRET_KEY") or None,
            base_url=(env.get("SKINMAP_BASE_URL") or "").rstrip("/"),
        )


def is_api_path(path: str) -> bool:
    """The JSON APIs (ours and the HSDS one): JSON errors, CORS open to any origin."""
    return path in ("/api", "/hsds") or path.startswith(("/api/", "/hsds/"))


def security_headers(path: str, csp: str) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
    }
    if is_api_path(path):
        # The API is public, read-only and cookie-free, so any origin may read it.
        headers["Access-Control-Allow-Origin"] = "*"
    return headers


class SecurityHeadersMiddleware:
    """Adds the security (and, under /api, CORS) headers to every response, error pages included."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"], self.csp)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    # A mounted sub-app (the admin) may set its own, stricter policy: keep it.
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _error_response(request: Request, status: int, title: str, message: str) -> Response:
    if is_api_path(request.url.path):
        return JSONResponse({"error": message}, status_code=status)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": title, "message": message},
        status_code=status,
    )


async def _search_error(request: Request, exc: Exception) -> Response:
    if request.url.path in ("/", "/search"):
        # Show the form again with the patient's own words and what to fix.
        context = public.form_context(page_form(request.query_params))
        return templates.TemplateResponse(
            request, "search.html", {**context, "page": None, "error": str(exc)}, status_code=400
        )
    return _error_response(request, 400, "Please check your search", str(exc))


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error_response(request, 404, "Not found", str(exc))


async def _index_unavailable(request: Request, exc: Exception) -> Response:
    # The detail may name server paths: it goes to the log, the public gets a fixed message.
    logger.warning("search unavailable: %s", exc)
    response = _error_response(request, 503, "Search is not available yet", UNAVAILABLE_MESSAGE)
    response.headers["Retry-After"] = "300"
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _error_response(request, 404, "Not found", "There is no page at this address.")
    return _error_response(request, exc.status_code, "Request not allowed", str(exc.detail))


def _server_error_handler(csp: str):
    async def server_error(request: Request, exc: Exception) -> Response:
        # The traceback goes to the log, never to the patient. This runs outside the header
        # middleware, so it adds the security headers itself.
        logger.error("unhandled error on %s", request.url.path, exc_info=exc)
        message = "Something went wrong on our side. Please try again in a moment."
        if is_api_path(request.url.path):
            response: Response = JSONResponse({"error": message}, status_code=500)
        else:
            response = templates.TemplateResponse(
                request,
                "error.html",
                {"status": 500, "title": "Something went wrong", "message": message},
                status_code=500,
            )
        response.headers.update(security_headers(request.url.path, csp))
        return response

    return server_error


def create_app(settings: WebSettings | None = None) -> Starlette:
    settings = settings or WebSettings.from_env()
    csp = content_security_policy(settings.tile_url)

    admin_app = create_admin_app(settings) if settings.admin else None
    reports = ReportDesk(
        store_path=settings.data_dir / "store.sqlite3",
        tokens=CsrfTokens(settings.secret_key or secrets.token_urlsafe(32)),
        limiter=settings.report_limiter or RateLimiter(),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        directory = settings.directory_factory(settings.data_dir)
        if current_generation(settings.data_dir) is None:
            logger.warning("no index in %s yet: run `skinmap index`", settings.data_dir)
        try:
            yield {
                "directory": directory,
                "settings": settings,
                "reports": reports,
                "hsds": LiveHsds(settings.data_dir, settings.base_url),
            }
        finally:
            directory.close()
            # A mounted app's lifespan never runs, so the admin's store is released here.
            if admin_app is not None:
                admin_app.state.admin.close()

    routes = [
        Route("/", public.search, name="home"),
        Route("/search", public.search, name="search"),
        Route("/practitioners/{listing_id}", public.practitioner, name="practitioner"),
        Route("/practitioners/{listing_id}/report", public.report_form, name="report_form"),
        Route(
            "/practitioners/{listing_id}/report",
            public.submit_report,
            methods=["POST"],
            name="submit_report",
        ),
        Route(
            "/practitioners/{listing_id}/report/thanks", public.report_thanks, name="report_thanks"
        ),
        Route("/guide/microneedling", public.guide, name="guide"),
        Route("/coverage", public.coverage, name="coverage"),
        Route("/favicon.ico", public.favicon, name="favicon"),
        Route("/healthz", public.healthz, name="healthz"),
        Mount(
            "/api",
            routes=[
                Route("/", api.docs, name="api_docs_index"),
                Route("/docs", api.docs, name="api_docs"),
                Route("/openapi.json", api.openapi, name="api_openapi"),
                Route("/search", api.search, name="api_search"),
                Route("/practitioners/{listing_id}", api.practitioner, name="api_practitioner"),
                Route("/places/nearest", api.nearest_place, name="api_nearest_place"),
            ],
        ),
        Mount("/hsds", routes=HSDS_ROUTES),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    if admin_app is not None:
        routes.append(Mount("/admin", app=admin_app, name="admin"))
    return Starlette(
        debug=settings.debug,
        routes=routes,
        middleware=[Middleware(SecurityHeadersMiddleware, csp=csp)],
        exception_handlers={
            SearchError: _search_error,
            ListingNotFound: _not_found,
            IndexUnavailable: _index_unavailable,
            HTTPException: _http_error,
            Exception: _server_error_handler(csp),
        },
        lifespan=lifespan,
    )

"""The admin back office: `create_admin_app(settings)` builds the Starlette sub-app mounted at /admin,
with every route listed in one place.

Every page but the login form needs a server-side session; every POST needs the session's CSRF token
(search_web.admin.middleware). Store and accounts open lazily because a mounted app's lifespan does
not run (search_web.admin.state); `app.state.admin.close()` releases them. The pages live in
search_web.admin.routes, one module per group. search_web never imports crawler.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from index.accounts import AccountError
from index.store import StoreError
from search_web.admin import actions
from search_web.admin.middleware import ADMIN_HEADERS, AdminSecurityHeaders
from search_web.admin.routes import crawls, listings, login, users
from search_web.admin.state import AdminConfig, AdminState
from search_web.admin.templating import HERE, error_page

log = logging.getLogger(__name__)


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
        Route("/login", login.login_form, methods=["GET"], name="admin_login_form"),
        Route("/login", login.login, methods=["POST"], name="admin_login"),
        Route("/logout", login.logout, methods=["POST"], name="admin_logout"),
        Route("/", listings.queue, methods=["GET"], name="admin_queue"),
        Route("/bulk", listings.bulk_action, methods=["POST"], name="admin_bulk"),
        Route("/merge", listings.merge, methods=["POST"], name="admin_merge"),
        Route(
            "/listings/{listing_id}", listings.listing_page, methods=["GET"], name="admin_listing"
        ),
        Route(
            "/listings/{listing_id}/history",
            listings.history_page,
            methods=["GET"],
            name="admin_history",
        ),
        Route("/listings/{listing_id}/action", listings.listing_action, methods=["POST"]),
        Route("/listings/{listing_id}/edit", listings.edit_listing, methods=["POST"]),
        Route("/listings/{listing_id}/unmerge", listings.unmerge, methods=["POST"]),
        Route("/reports/{report_id}", listings.report_action, methods=["POST"]),
        Route("/crawls", crawls.crawls, methods=["GET"], name="admin_crawls"),
        Route("/crawls/start", crawls.start_crawl, methods=["POST"]),
        Route("/index/rebuild", crawls.start_index, methods=["POST"]),
        Route("/users", users.users_page, methods=["GET"], name="admin_users"),
        Route("/users", users.create_user, methods=["POST"]),
        Route("/users/{name}", users.change_user, methods=["POST"]),
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

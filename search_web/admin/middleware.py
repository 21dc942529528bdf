"""The admin's guards: security headers on every response, and `guarded`, which requires a
server-side session (with the role) on every page but the login form and the session's CSRF token
on every POST (the login form uses a double-submit cookie instead, as there is no session yet).

Owns: AdminSecurityHeaders, ADMIN_HEADERS, the cookie names, guarded, posted_form, editor_name.
Must not import the route modules.
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search_web.admin.state import admin_state
from search_web.admin.templating import error_page, redirect
from search_web.security import content_security_policy

log = logging.getLogger(__name__)

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


def same_token(given: str, expected: str) -> bool:
    """Constant-time comparison; bytes, because compare_digest rejects non-ASCII str (a 500)."""
    return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())


Handler = Callable[[Request], Awaitable[Response]]


def guarded(role: str = "editor") -> Callable[[Handler], Handler]:
    """Session required (GET: redirect to login; POST: 403), the role checked, CSRF checked on POST."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            state = admin_state(request)
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


def posted_form(request: Request) -> FormData:
    return request.state.admin_form


def editor_name(request: Request) -> str:
    return request.state.admin_session.user.name

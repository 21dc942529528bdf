"""Signing in and out: the login form (double-submit CSRF cookie), throttled password checks, and
the session cookie.

Uses the admin's state, guards and templating; must not import another route module."""

from __future__ import annotations

import logging
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from search_web.admin.middleware import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    guarded,
    same_token,
)
from search_web.admin.state import admin_state
from search_web.admin.templating import error_page, prefix, redirect, render

log = logging.getLogger(__name__)


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def client_ip(request: Request) -> str:
    # Behind a proxy, run uvicorn with --proxy-headers so this is the real client address.
    return request.client.host if request.client else "unknown"


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
        secure=is_https(request),
        path=prefix(request) or "/",
    )
    return response


async def login_form(request: Request) -> Response:
    return _login_page(request)


async def login(request: Request) -> Response:
    state = admin_state(request)
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
        secure=is_https(request),
        path=prefix(request) or "/",
    )
    response.delete_cookie(LOGIN_COOKIE, path=prefix(request) or "/")
    return response


@guarded()
async def logout(request: Request) -> Response:
    await run_in_threadpool(
        admin_state(request).accounts.end_session, request.cookies.get(SESSION_COOKIE)
    )
    response = redirect(request, "/login")
    response.delete_cookie(SESSION_COOKIE, path=prefix(request) or "/")
    return response

"""Rendering admin pages: the Jinja environment, the base context every page gets (mount prefix,
user, CSRF token, notice), error pages and redirects under the mount point.

Owns: templates, NOTICES, render, error_page, redirect, prefix. Must not import the middleware or
the route modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from index.accounts import Session
from search_web.admin.catalog import CATEGORIES

HERE = Path(__file__).resolve().parent

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


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


templates = Jinja2Templates(env=_environment())


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

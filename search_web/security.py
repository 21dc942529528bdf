"""The Content-Security-Policy shared by the public site and the admin: no inline script or style."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_CSP_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$")


def content_security_policy(tile_url: str | None = None) -> str:
    """No inline script or style anywhere; JSON-LD data blocks are never executed, so they pass."""
    img_src = "'self' data:"
    if tile_url:
        parts = urlsplit(tile_url)
        # "{s}.tile.example.org" style subdomain templates become a CSP wildcard; anything that
        # could smuggle another directive (spaces, semicolons, quotes) is ignored.
        host = parts.netloc.replace("{s}", "*")
        if parts.scheme in ("http", "https") and _CSP_HOST.match(host):
            img_src += f" {parts.scheme}://{host}"
    return "; ".join(
        (
            "default-src 'self'",
            f"img-src {img_src}",
            "style-src 'self'",
            "script-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )

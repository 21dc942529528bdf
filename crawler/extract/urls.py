"""URL hygiene for crawling: the canonical form of a URL, the site it belongs to, and the shapes of
crawler traps (calendars, session ids, sort and filter parameters, endless paths). Pure.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

from w3lib.url import canonicalize_url, url_query_cleaner

MAX_URL_LENGTH = 300
MAX_PATH_DEPTH = 10
_SESSION_PARAMS = frozenset(
    {"sid", "sessionid", "session_id", "phpsessid", "jsessionid", "sessid", "s_id"}
)
_SORT_FILTER_PARAMS = frozenset(
    {"sort", "sortby", "sort_by", "order", "orderby", "order_by", "dir", "filter", "filters", "view",
     "replytocom", "share", "print", "format", "lang_switch", "layout", "display"}
)  # fmt: skip
_DATE_PARAMS = frozenset(
    {"date", "day", "month", "year", "week", "ical", "tribe-bar-date", "eventdate"}
)
_TRACKING_PARAMS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "fbclid",
)
_DATE_PATH = re.compile(
    r"/(?:19|20)\d{2}[/-]\d{1,2}(?:[/-]\d{1,2})?/?$|/(?:19|20)\d{2}-\d{2}-\d{2}(?:/|$)"
)
_CALENDAR_PATH = re.compile(r"/(?:calendar|events?-calendar|ical)(?:/|$|\.)", re.I)


def canonical_url(url: str) -> str:
    """The URL with tracking parameters removed, query sorted and fragment dropped (w3lib)."""
    cleaned = url_query_cleaner(url, _TRACKING_PARAMS, remove=True, keep_fragments=False)
    return canonicalize_url(cleaned, keep_fragments=False)


def trap_reason(url: str) -> str | None:
    """Why `url` looks like a crawler trap ("calendar", "session_id", ...), or None when it is fine."""
    if len(url) > MAX_URL_LENGTH:
        return "too_long"
    parts = urlsplit(url)
    path = parts.path
    if ";jsessionid=" in path.lower():
        return "session_id"
    params = {key.lower() for key, _value in parse_qsl(parts.query, keep_blank_values=True)}
    if params & _SESSION_PARAMS:
        return "session_id"
    if params & _SORT_FILTER_PARAMS:
        return "sort_filter"
    if params & _DATE_PARAMS or _CALENDAR_PATH.search(path) or _DATE_PATH.search(path):
        return "calendar"
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) > MAX_PATH_DEPTH:
        return "deep_path"
    if segments and Counter(segments).most_common(1)[0][1] >= 3:
        return "repeating_path"
    return None


def site_of(url: str) -> str:
    """scheme://host:port — what "same site" means to skinmap."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{parts.hostname}:{port}"

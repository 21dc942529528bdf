"""Crawl hygiene: canonical URLs, crawler-trap filtering and a per-site page cap.

The decisions are pure functions (`canonical_url`, `trap_reason`); the middleware classes are thin
shells that apply them and count what they dropped in the crawl stats.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from crawler.extract.urls import canonical_url, site_of, trap_reason


def use_offline_public_suffixes() -> None:
    """Point Scrapy's cookie middleware at tldextract's bundled suffix list.

    Cookies are off in crawler.settings, but `-s COOKIES_ENABLED=True` would make tldextract fetch
    the public-suffix list from the internet on first use; crawls must never reach past loopback
    unless they are told a real URL.
    """
    from scrapy.downloadermiddlewares import cookies
    from tldextract import TLDExtract

    cookies._split_domain = TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )


use_offline_public_suffixes()


class UrlHygieneMiddleware(BaseSpiderMiddleware):
    """Spider middleware: canonicalise every followed URL and drop likely traps before scheduling."""

    def get_processed_request(self, request: Request, response) -> Request | None:
        if request.url.startswith("data:"):
            return request
        reason = trap_reason(request.url)
        if reason:
            self.crawler.stats.inc_value(f"skinmap/trap/{reason}")
            return None
        canonical = canonical_url(request.url)
        return request if canonical == request.url else request.replace(url=canonical)


class PageCapMiddleware:
    """Downloader middleware: at most SKINMAP_MAX_PAGES_PER_SITE downloads per scheme+host+port."""

    def __init__(self, crawler, cap: int):
        self.crawler = crawler
        self.cap = cap
        self.pages: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler):
        cap = crawler.settings.getint("SKINMAP_MAX_PAGES_PER_SITE")
        if cap <= 0:
            raise NotConfigured("SKINMAP_MAX_PAGES_PER_SITE is 0: no page cap")
        return cls(crawler, cap)

    def process_request(self, request: Request) -> None:
        if not request.url.startswith(("http://", "https://")) or request.url.endswith(
            "/robots.txt"
        ):
            return None
        # API pagination is not a site crawl; a retry is the same page. A redirect copies the meta
        # but has a new URL, so it counts: endless redirect chains hit the cap too.
        if (
            request.meta.get("skinmap_uncapped")
            or request.meta.get("skinmap_counted") == request.url
        ):
            return None
        site = site_of(request.url)
        if self.pages[site] >= self.cap:
            self.crawler.stats.inc_value("skinmap/page_cap_dropped")
            raise IgnoreRequest(f"page cap {self.cap} reached for {site}")
        self.pages[site] += 1
        request.meta["skinmap_counted"] = request.url
        return None


def backoff_delay(
    current: float, base: float, ceiling: float, retry_after: float | None = None
) -> float:
    """The next per-site delay after a retryable failure: double it (at least `base`), honour a
    server's Retry-After, never above `ceiling`."""
    proposed = max(current * 2, base)
    if retry_after is not None:
        proposed = max(proposed, retry_after)
    return min(proposed, ceiling)


def parse_retry_after(value: bytes | str | None) -> float | None:
    """Seconds from a Retry-After header given in seconds (HTTP dates are ignored)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return float(text) if text.strip().isdigit() else None


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, plus exponential backoff: each retry slows that site's download slot down."""

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("SKINMAP_RETRY_BACKOFF_BASE")
        self.ceiling = settings.getfloat("SKINMAP_RETRY_BACKOFF_MAX")

    def process_response(self, request: Request, response):
        self._retry_after = parse_retry_after(response.headers.get(b"Retry-After"))
        return super().process_response(request, response)

    def _retry(self, request: Request, reason):
        retry = super()._retry(request, reason)
        if retry is not None:
            self._slow_down(request, getattr(self, "_retry_after", None))
        self._retry_after = None
        return retry

    def _slow_down(self, request: Request, retry_after: float | None) -> None:
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is None:
            return
        slot.delay = backoff_delay(slot.delay, self.base, self.ceiling, retry_after)
        self.crawler.stats.inc_value("skinmap/retry_backoff")


DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


def robots_unreachable(status: int) -> bool:
    """RFC 9309 2.3.1.4: a robots.txt answering 5xx (or 429) is unreachable: crawl nothing."""
    return status >= 500 or status == 429


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt handling with two fixes.

    1. An unreachable robots.txt means complete disallow (RFC 9309), where Scrapy allows everything.
    2. Scrapy 2.19 hands every request but the first two that wait for a host's robots.txt the
       parser `None` (= allowed): each waiter awaits the same Deferred through `asFuture`, whose
       callback returns None and so replaces the result for the next waiter. A resumed crawl, or
       any crawl with several start URLs on one host, then fetches disallowed pages. We read the
       settled parser from `_parsers` instead of trusting what the Deferred handed us.
    """

    async def robot_parser(self, request):
        parser = await super().robot_parser(request)
        settled = self._parsers.get(urlsplit(request.url).netloc, parser)
        return parser if isinstance(settled, Deferred) else settled

    async def _parse_robots(self, response, netloc, request):
        if robots_unreachable(response.status):
            self._stats.inc_value("skinmap/robots_unreachable")
            response = response.replace(body=DISALLOW_ALL)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc, netloc):
        if isinstance(exc, IgnoreRequest):
            super()._robots_error(exc, netloc)
            return
        # Timeouts and refused connections: unreachable too, so nothing on this host is crawled.
        # Requests already waiting on the Deferred get the same disallow-all parser.
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._stats.inc_value("skinmap/robots_unreachable")
        parser = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        waiting.callback(parser)

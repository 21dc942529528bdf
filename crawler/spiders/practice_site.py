"""Spider "practices": crawl practice websites (same scheme+host+port only) and emit one practice and
its physicians per site, with microneedling evidence quoted from the site's own pages.

Aggregation: each page is read into `PageFacts` (pure) and folded into a per-site `SiteState`.
Nothing is emitted per page, because who works where and who offers what is only known once the
site has been read. Every request the spider makes is counted per site and carries an errback, so
each one ends in exactly one callback: the page (parse) or its failure (robots.txt refusal, page
cap, HTTP error, timeout: errback). When a site's count reaches zero it is complete: its items are
emitted and its state is freed, so memory follows the sites in flight, not the whole crawl. Links
past DEPTH_LIMIT are not requested (DepthMiddleware would drop them without any callback). As a
safety net, the `spider_idle` handler emits any site still unemitted through one `data:` request.

Resume (`SKINMAP_PAGE_JOURNAL`, set by `crawler.run` for --resume): every page's facts and links are
appended to a JSON-lines journal as soon as the page is read. A resumed crawl (even after SIGKILL)
reloads the facts, fetches only the pages no journal line covers, and emits complete sites. Scrapy's
own JOBDIR is not used for this spider: after SIGKILL it remembers requests as seen that were never
fetched, and it cannot restore the in-memory site aggregates.

Distributed (`SKINMAP_REDIS_URL`, `skinmap crawl practices --redis URL`): processes share a queue of
whole sites with leased claims, a page duplicate filter and an item stream in Redis (see
crawler/distributed.py and crawler/spiders/sharing.py), so a site's pages are all read, and its
items emitted, by the one process that holds it. The journal is not used then.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import TextResponse

from crawler.extract.links import (
    is_home_page,
    link_priority,
    page_key,
    page_links,
    same_site,
    site_root,
)
from crawler.extract.naming import choose_practice_name, practice_name_from_title
from crawler.extract.page import PageFacts, read_page_facts
from crawler.extract.site import SiteState, read_page, site_items, strongest_evidence
from crawler.items import utc_now
from crawler.spiders.sharing import SharedSitesMixin

# The spider's page and site readers live in crawler/extract (pure); these names are the spider's
# vocabulary and stay importable from here.
__all__ = [
    "PageFacts",
    "PracticeSiteSpider",
    "SiteState",
    "choose_practice_name",
    "is_home_page",
    "link_priority",
    "load_journal",
    "page_key",
    "page_links",
    "practice_name_from_title",
    "read_page",
    "read_page_facts",
    "read_seeds",
    "same_site",
    "site_items",
    "site_root",
    "strongest_evidence",
]


def read_seeds(path: str | Path | None) -> list[str]:
    """Start URLs from a seeds file: one per line, blank lines and # comments ignored."""
    if not path:
        return []
    urls = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            urls.append(line)
    return urls


def load_journal(path: Path) -> list[PageFacts]:
    """Page facts journaled by an earlier, unfinished run (a torn last line is ignored)."""
    if not path.exists():
        return []
    facts = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            try:
                facts.append(PageFacts(**json.loads(line)))
            except (json.JSONDecodeError, TypeError):
                continue  # the line being written when the process was killed
    return facts


class PracticeSiteSpider(SharedSitesMixin, scrapy.Spider):
    name = "practices"

    def __init__(self, start_urls=None, seeds: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(start_urls, str):
            start_urls = [u for u in re.split(r"[\s,]+", start_urls) if u]
        urls = list(start_urls or []) + read_seeds(seeds)
        self.start_urls = [u for u in dict.fromkeys(urls) if u.startswith(("http://", "https://"))]
        self.sites: dict[str, SiteState] = {}
        self.pending: Counter[str] = Counter()  # requests of a site not yet answered or failed
        self.requested: set[str] = set()
        self.read: set[str] = set()
        self.journal_path: Path | None = None
        self.journal = None
        self.depth_limit = 0
        self.page_cache = None  # crawler.pagecache: validators and facts of pages seen before

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        journal = crawler.settings.get("SKINMAP_PAGE_JOURNAL")
        spider.journal_path = Path(journal) if journal else None
        spider.depth_limit = crawler.settings.getint("DEPTH_LIMIT")
        if crawler.settings.get("SKINMAP_REDIS_URL"):
            spider.connect_shared(crawler)
        spider.open_page_cache(crawler.settings)
        return spider

    def request(self, url: str, root: str, priority: int = 0) -> scrapy.Request | None:
        """A request for a page not yet requested nor read in this crawl (or the journal)."""
        url = page_key(url)
        if url in self.requested or url in self.read:
            return None
        if self.shared is not None and not self.first_sighting(url, root):
            self.crawler.stats.inc_value("skinmap/redis/pages_seen_elsewhere")
            return None
        self.requested.add(url)
        self.pending[root] += 1
        meta: dict = {"skinmap_root": root}
        cached = self.cached_page(url)
        if cached is not None:  # ask "changed since?"; a 304 reaches parse() with these facts
            meta.update(skinmap_cached=cached, handle_httpstatus_list=[304])
        # Our own dedupe replaces Scrapy's: a resumed crawl must re-ask what a killed one only queued.
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.failed,
            priority=priority,
            dont_filter=True,
            headers=cached.headers() if cached is not None else None,
            meta=meta,
        )

    async def start(self):
        if self.shared is not None:
            for request in self.start_shared():
                yield request
            return
        for url in self.start_urls:
            self.sites.setdefault(site_root(url), SiteState(root=site_root(url)))
        frontier: list[tuple[str, str, int]] = []
        if self.journal_path is not None:
            for facts in load_journal(self.journal_path):
                if page_key(facts.url) in self.read or facts.root not in self.sites:
                    continue
                self.read.add(page_key(facts.url))
                self.sites[facts.root].add(facts)
                frontier.extend((url, facts.root, priority) for url, priority in facts.links)
            self.crawler.stats.set_value("skinmap/journal_pages", len(self.read))
            self.journal_path.parent.mkdir(parents=True, exist_ok=True)
            self.journal = open(self.journal_path, "a", encoding="utf-8")  # noqa: SIM115 - closed on close
        # Build (and so count) every request first: Scrapy pulls start requests lazily, and a site
        # whose count touched zero between two pulls would be emitted before its other pages.
        requests = [self.request(url, site_root(url), priority=100) for url in self.start_urls]
        requests += [self.request(url, root, priority) for url, root, priority in frontier]
        for root in list(self.sites):
            if self.pending[root] <= 0:  # read in full before a kill: nothing left to fetch
                for item in self.emit(root):
                    yield item
        for request in requests:
            if request is not None:
                yield request

    def parse(self, response):
        root = response.meta.get("skinmap_root") or site_root(response.url)
        yield from self.read_response(response, root)
        yield from self.answered(root)

    def failed(self, failure):
        """Errback: robots.txt refusals, page-cap drops, HTTP errors and network failures."""
        root = failure.request.meta.get("skinmap_root") or site_root(failure.request.url)
        yield from self.answered(root)

    def read_response(self, response, root: str):
        if response.status == 304:  # unchanged since the last crawl: what it said then
            cached = response.meta.get("skinmap_cached")
            state = self.page_state(response, root)
            if cached is None or state is None:
                return
            self.crawler.stats.inc_value("skinmap/unchanged_pages")
            yield from self.fold(state, response, PageFacts(**cached.facts))
            return
        if not isinstance(response, TextResponse) or b"html" not in (
            response.headers.get(b"Content-Type") or b"text/html"
        ):
            return
        state = self.page_state(response, root)
        if state is None:
            return
        facts = read_page_facts(response.text, response.url, root, utc_now())
        self.remember(response, facts)
        yield from self.fold(state, response, facts)

    def page_state(self, response, root: str) -> SiteState | None:
        """The site state a page is read into, or None when it must not be (already read,
        redirected off the site, or arriving after its site was emitted)."""
        state = self.sites.get(root)
        if state is None or site_root(response.url) != root:  # redirected to another site
            self.crawler.stats.inc_value("skinmap/offsite_redirect")
            return None
        url = page_key(response.url)
        if url in self.read:  # reached again through a redirect or as index.html
            return None
        if state.emitted:  # cannot happen while every request is counted; never overwrite
            self.crawler.stats.inc_value("skinmap/page_after_emit")
            self.logger.warning("page %s arrived after its site was emitted", response.url)
            return None
        self.read.add(url)
        return state

    def fold(self, state: SiteState, response, facts: PageFacts):
        """Add a page's facts to its site and request the links it gives."""
        state.add(facts)
        if self.journal is not None:
            self.journal.write(json.dumps(asdict(facts), separators=(",", ":")) + "\n")
            self.journal.flush()
        # Links past DEPTH_LIMIT would be dropped by DepthMiddleware without a callback we could
        # count, so they are not requested at all.
        if self.depth_limit and response.meta.get("depth", 0) + 1 > self.depth_limit:
            self.crawler.stats.inc_value("skinmap/depth_limited_pages")
            return
        for target, priority in facts.links:
            request = self.request(target, root=state.root, priority=priority)
            if request is not None:
                yield request

    def answered(self, root: str):
        """One request of `root` is done; when none is left, the site is complete: emit it."""
        self.pending[root] -= 1
        if self.pending[root] <= 0:
            yield from self.emit(root)
            if self.shared is not None:
                self.site_answered(root)

    def emit(self, root: str, at_idle: bool = False):
        state = self.sites.get(root)
        if state is None or state.emitted or not state.pages:
            return
        if at_idle:  # the safety net caught a site whose request count went wrong
            self.crawler.stats.inc_value("skinmap/sites_emitted_at_idle")
        items = site_items(state, utc_now())
        if self.shared is not None:
            self.expect_items(root, items)
        # Keep only the marker: a finished site's people and quotes need no memory any more.
        self.sites[root] = SiteState(root=root, pages=state.pages, emitted=True)
        self.crawler.stats.inc_value("skinmap/sites_emitted")
        yield from items

    def on_idle(self):
        # Safety net: a site whose count went wrong is emitted when the whole crawl is idle.
        if any(not state.emitted and state.pages for state in self.sites.values()):
            self.crawler.engine.crawl(
                scrapy.Request("data:,flush", callback=self.flush, dont_filter=True, priority=-100)
            )
            raise DontCloseSpider("emitting per-site items")
        if self.shared is not None:
            self.shared_idle()

    def flush(self, response):
        for root in list(self.sites):
            yield from self.emit(root, at_idle=True)

    def on_closed(self, spider, reason):
        if self.shared is not None:
            # Interrupted: unfinished sites go back to the queue, to be crawled whole elsewhere.
            self.shared_closed(reason)
        if self.page_cache is not None:
            self.page_cache.close()
        if self.journal is not None:
            self.journal.close()
            self.journal = None
            # A finished crawl is complete: the next --resume starts afresh instead of replaying it.
            if reason == "finished" and self.journal_path is not None:
                self.journal_path.unlink(missing_ok=True)

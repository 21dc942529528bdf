"""The distributed half of the "practices" spider (and its page cache for conditional requests) (`--redis URL`, crawler/distributed.py): claim
sites with leases and renew them, mark a site done only once all its items are in the item
stream, re-queue the sites of dead workers, obey pause/resume/cancel, and ride out a Redis outage.

A site's items settle one by one (item_scraped: pushed; item_dropped: rejected by validation;
item_error: not pushed). When all have settled the site is done and the next one is claimed; a
site with an item that could not be pushed is abandoned: its lease runs out and it is crawled
again (by any worker), so nothing is lost and the ingest drops the repeated deliveries.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from crawler.distributed import SharedCrawl, SiteTask, is_outage, site_tasks
from crawler.extract.links import page_key, site_root
from crawler.extract.site import SiteState
from crawler.item_stream import RedisDown, wait_seconds

STARTED_AT = "skinmap/redis/started_at"


class SharedSitesMixin:
    """Mixed into PracticeSiteSpider; everything here runs only when `self.shared` is set."""

    shared: SharedCrawl | None = None

    def connect_shared(self, crawler) -> None:
        self.shared = SharedCrawl.from_settings(crawler.settings)
        self.redis_url = crawler.settings.get("SKINMAP_REDIS_URL")
        self.wait_s = wait_seconds(crawler.settings.get("SKINMAP_REDIS_WAIT_S"))
        self.unsettled: Counter[str] = Counter()  # root -> its items not yet pushed nor dropped
        self.item_sites: dict[int, str] = {}  # id(item) -> root, while the item is in the pipelines
        self.control_state = "running"
        self.outage_since: float | None = None
        self.heartbeat = None  # a LoopingCall, made once the reactor runs (in start_shared)
        crawler.signals.connect(self.item_settled, signal=signals.item_scraped)
        crawler.signals.connect(self.item_settled, signal=signals.item_dropped)
        crawler.signals.connect(self.item_failed, signal=signals.item_error)

    # --- claiming ---------------------------------------------------------------------------------

    def start_shared(self) -> list[scrapy.Request]:
        """Queue our start sites (once across processes), start the heartbeat, claim some."""
        queued = self.shared.seed(self.shared_tasks())
        self.crawler.stats.set_value("skinmap/redis/sites_seeded", queued)
        self.crawler.stats.set_value(STARTED_AT, time.time())
        self.control_state = self.shared.control()  # a paused run claims nothing, even at start
        from twisted.internet.task import LoopingCall  # needs the installed reactor

        self.heartbeat = LoopingCall(self.beat)
        self.heartbeat.start(max(0.5, self.shared.lease_s / 3), now=False)
        return self.claim_sites(self.shared.sites_in_flight)

    def claim_sites(self, wanted: int) -> list[scrapy.Request]:
        """Claim up to `wanted` sites from the shared queue; the requests that start them.

        Every request of a site is built (and so counted) before any is returned, as in start().
        Nothing is claimed while the run is paused or cancelled.
        """
        requests: list[scrapy.Request] = []
        claimed = 0
        while claimed < wanted and self.control_state == "running":
            task = self.shared.claim()
            if task is None:
                break
            self.crawler.stats.inc_value("skinmap/redis/sites_claimed")
            built = self.task_requests(task)
            if built:
                requests += built
                claimed += 1
            else:  # nothing left to fetch on it: it is done
                self.shared.finish(task.root)
        return requests

    def first_sighting(self, url: str, root: str) -> bool:
        """The shared page filter; while Redis is away the page is fetched anyway (the site is
        ours alone, so at worst a page is fetched again if the site is re-crawled later)."""
        try:
            return self.shared.first_sighting(url, root)
        except Exception as error:
            if not is_outage(error):
                raise
            self.redis_outage(error)
            self.crawler.stats.inc_value("skinmap/redis/pages_unfiltered")
            return True

    def shared_tasks(self) -> list[SiteTask]:
        """The units of work this spider seeds (the practice spider: one per site)."""
        return site_tasks(self.start_urls, site_root)

    def task_requests(self, task: SiteTask) -> list[scrapy.Request]:
        """The requests that start a claimed task, each counted in `self.pending[task.root]`."""
        self.sites.setdefault(task.root, SiteState(root=task.root))
        built = [self.request(url, task.root, priority=100) for url in task.start_urls]
        return [request for request in built if request is not None]

    # --- conditional requests (crawler/pagecache.py) --------------------------------------------

    def open_page_cache(self, settings) -> None:
        from crawler.pagecache import RedisPageCache, SqlitePageCache

        if not settings.getbool("SKINMAP_CONDITIONAL_REQUESTS", True):
            return
        if self.shared is not None:
            self.page_cache = RedisPageCache(
                self.shared.server, settings.get("SKINMAP_PAGE_CACHE_KEY")
            )
        elif settings.get("SKINMAP_DATA_DIR"):
            path = Path(settings.get("SKINMAP_DATA_DIR")) / "crawls" / "pages.sqlite3"
            self.page_cache = SqlitePageCache(path)

    def cached_page(self, url: str):
        if self.page_cache is None:
            return None
        try:
            return self.page_cache.get(url)
        except Exception as error:
            if not is_outage(error):
                raise
            return None  # Redis away: ask unconditionally

    def remember(self, response, facts) -> None:
        """Keep a page's facts with its validators, when it gave any."""
        from dataclasses import asdict

        from crawler.pagecache import CachedPage

        etag = response.headers.get(b"ETag")
        last_modified = response.headers.get(b"Last-Modified")
        if self.page_cache is None or not (etag or last_modified):
            return
        page = CachedPage(
            etag.decode("latin-1") if etag else None,
            last_modified.decode("latin-1") if last_modified else None,
            asdict(facts),
        )
        try:
            self.page_cache.put(page_key(response.url), page)
        except Exception as error:
            if not is_outage(error):
                raise

    # --- handing items over ---------------------------------------------------------------------

    def expect_items(self, root: str, items: list) -> None:
        """The site's items are about to be yielded: the site is done when all have settled."""
        self.unsettled[root] += len(items)
        for item in items:
            self.item_sites[id(item)] = root

    def site_answered(self, root: str) -> None:
        """Every request of the site has ended; done now if its items have all settled."""
        if not self.unsettled.get(root):
            self.site_delivered(root)

    def site_delivered(self, root: str) -> None:
        self.unsettled.pop(root, None)
        try:
            finished = self.shared.finish(root)
        except Exception as error:
            if not is_outage(error):
                raise
            # The claim stays (lease and all): done later, at idle, once Redis is back.
            self.redis_outage(error)
            finished = False
        if not finished:
            return
        try:
            requests = self.claim_sites(1)
        except Exception as error:
            if not is_outage(error):
                raise
            self.redis_outage(error)  # claimed again at idle, once Redis is back
            return
        # Straight to the engine: yielded from a callback, DepthMiddleware would give the next
        # site's home page this page's depth (and drop it past DEPTH_LIMIT).
        for request in requests:
            self.crawler.engine.crawl(request)

    def item_settled(self, item) -> None:
        root = self.item_sites.pop(id(item), None)
        if root is None or root not in self.unsettled:
            return
        self.unsettled[root] -= 1
        # Done when its items have settled and it has no request left (a task may yield items
        # before its last page, as NPPES queries do).
        if self.unsettled[root] <= 0 and self.pending.get(root, 0) <= 0:
            self.site_delivered(root)

    def item_failed(self, item, failure) -> None:
        root = self.item_sites.pop(id(item), None)
        if root is not None:
            self.unsettled.pop(root, None)
            self.shared.abandon(root)
            self.crawler.stats.inc_value("skinmap/redis/sites_abandoned")
        if failure is not None and failure.check(RedisDown):
            self.stop("redis_unavailable")

    # --- heartbeat, idle, close -----------------------------------------------------------------

    def beat(self) -> None:
        """Renew our leases, re-queue expired ones, publish our counters, read the control."""
        try:
            lost = self.shared.renew()
            if lost:
                self.crawler.stats.inc_value("skinmap/redis/leases_lost", len(lost))
            reaped = self.shared.reap()
            if reaped:
                self.crawler.stats.inc_value("skinmap/redis/sites_reaped", len(reaped))
                self.logger.warning("re-queued %d sites whose leases expired", len(reaped))
            self.shared.publish(self.counters())
            self.control_state = self.shared.control()
        except Exception as error:
            if not is_outage(error):
                self.logger.exception("heartbeat failed")
                return
            self.redis_outage(error)
            return
        self.redis_back()
        if self.control_state == "cancelled":
            self.stop("cancelled")

    def counters(self) -> dict:
        stats = self.crawler.stats
        return {
            "started_at": stats.get_value(STARTED_AT),
            "pages": stats.get_value("response_received_count", 0),
            "items": sum(stats.get_value(f"skinmap/pushed/{kind}", 0) for kind in KINDS),
            "errors": stats.get_value("log_count/ERROR", 0)
            + stats.get_value("downloader/exception_count", 0),
            "unchanged": stats.get_value("skinmap/unchanged_pages", 0),
            "state": self.control_state,
        }

    def shared_idle(self) -> None:
        """Keep the spider open (DontCloseSpider) while the distributed crawl is not over."""
        if any(self.unsettled.values()):
            raise DontCloseSpider("items still on their way to Redis")
        try:
            for root in list(self.shared.claims):  # emitted by the safety net (or had no page)
                self.shared.finish(root)
            self.control_state = self.shared.control()
            if self.control_state == "cancelled":
                self.stop("cancelled")
                return
            self.shared.reap()
            requests = self.claim_sites(self.shared.sites_in_flight)
            if requests:
                for request in requests:
                    self.crawler.engine.crawl(request)
                raise DontCloseSpider("claimed more shared sites")
            if self.control_state == "paused":
                raise DontCloseSpider("the run is paused")
            if self.shared.live_leases() > 0:
                # Another worker holds sites: if it dies they come back to the queue.
                raise DontCloseSpider("waiting for the leases of other workers")
        except Exception as error:
            if not is_outage(error):
                raise
            if self.redis_outage(error):
                raise DontCloseSpider("waiting for Redis") from None
        self.redis_back()

    def shared_closed(self, reason: str) -> None:
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        try:
            self.shared.publish({**self.counters(), "state": f"exited ({reason})"})
        except Exception as error:
            if not is_outage(error):
                raise
        if not self.shared.claims:
            return
        try:
            released = self.shared.release()
        except Exception as error:
            if not is_outage(error):
                raise
            self.logger.error(
                "could not give %d sites back (Redis unreachable: %s); they return to the queue "
                "when their leases expire",
                len(self.shared.claims),
                error,
            )
            return
        self.crawler.stats.set_value("skinmap/redis/sites_released", len(released))
        self.logger.warning("gave %d unfinished sites back to the shared queue", len(released))

    # --- Redis outages --------------------------------------------------------------------------

    def redis_outage(self, error: BaseException) -> bool:
        """Note an outage; True while we still wait for Redis, False once we have given up."""
        now = time.monotonic()
        if self.outage_since is None:
            self.outage_since = now
            self.logger.error(
                "Redis at %s is unreachable (%s): waiting up to %.0f s for it; our sites keep "
                "their claims, and items wait here",
                self.redis_url,
                error,
                self.wait_s,
            )
        if now - self.outage_since <= self.wait_s:
            return True
        self.logger.error(
            "Redis at %s unreachable for more than %.0f s: stopping; sites not handed over are "
            "re-crawled once their leases expire",
            self.redis_url,
            self.wait_s,
        )
        self.crawler.stats.set_value("skinmap/fatal", "redis_unavailable")
        self.stop("redis_unavailable")
        return False

    def redis_back(self) -> None:
        if self.outage_since is not None:
            self.logger.warning("Redis at %s is reachable again", self.redis_url)
            self.outage_since = None

    def stop(self, reason: str) -> None:
        if not getattr(self, "stopping", False):
            self.stopping = True
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))


KINDS = ("practice", "practitioner")

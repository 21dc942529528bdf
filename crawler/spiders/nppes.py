"""Spider "nppes": query the NPI Registry API v2.1 per (state, taxonomy description) and emit the
practitioners and practices whose taxonomy CODES are skinmap specialties.

The API returns at most 200 rows per request and accepts skip up to 1000, so one query can see 1200
rows. When the last allowed page is still full, the query is split by ZIP prefix (3 digits from the
state's ZIPs, then one more digit at a time) and each part is paged again (stats `nppes/split`).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from urllib.parse import urlencode

import scrapy

from crawler.distributed import SiteTask
from crawler.extract.nppes import NppesApiError, NppesFormatError, parse_npi_response
from crawler.items import PracticeItem, PractitionerItem, utc_now
from crawler.spiders.sharing import SharedSitesMixin

TAXONOMY_DESCRIPTIONS = (
    "Dermatology",
    "Plastic Surgery",
    "Facial Plastic Surgery",
    "Plastic and Reconstructive Surgery",
    "Ophthalmic Plastic",
)
PAGE_SIZE = 200
MAX_SKIP = 1000


def query_url(api_url: str, state: str, taxonomy: str, skip: int, postal_prefix: str | None) -> str:
    """The API URL for one page of one query."""
    params = {"version": "2.1", "state": state, "taxonomy_description": taxonomy}
    if postal_prefix:
        params["postal_code"] = f"{postal_prefix}*"
    params.update({"limit": str(PAGE_SIZE), "skip": str(skip)})
    separator = "&" if "?" in api_url else "?"
    return f"{api_url}{separator}{urlencode(params)}"


@cache
def zip_prefixes(state: str) -> tuple[str, ...]:
    """The 3-digit ZIP prefixes used in `state` (offline, from the zipcodes package)."""
    import zipcodes

    return tuple(sorted({entry["zip_code"][:3] for entry in zipcodes.filter_by(state=state)}))


def split_prefixes(state: str, prefix: str | None) -> list[str]:
    """How to split a query that hit the ceiling: state -> its 3-digit prefixes, then one digit more."""
    if prefix is None:
        return list(zip_prefixes(state)) or [str(d) for d in range(10)]
    if len(prefix) >= 5:
        return []
    return [f"{prefix}{digit}" for digit in range(10)]


def task_root(state: str, taxonomy: str) -> str:
    """The name of one query (state x taxonomy) as a unit of distributed work."""
    return f"nppes|{state}|{taxonomy}"


class NppesSpider(SharedSitesMixin, scrapy.Spider):
    name = "nppes"
    # Paging and ZIP splits are not link depth: the website DEPTH_LIMIT would cut queries short.
    custom_settings = {"DEPTH_LIMIT": 0}

    def __init__(
        self,
        api_url: str = "https://npiregistry.cms.hhs.gov/api/",
        states=None,
        taxonomies=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(states, str):
            states = re.split(r"[\s,]+", states)
        if isinstance(taxonomies, str):
            taxonomies = [t.strip() for t in taxonomies.split(",")]
        self.api_url = api_url
        self.states = [s.strip().upper() for s in states or [] if s.strip()]
        self.taxonomies = list(taxonomies or TAXONOMY_DESCRIPTIONS)
        self.seen_npis: set[str] = set()
        self.pending: Counter[str] = Counter()  # requests of a query not yet answered or failed
        self.sites: dict = {}  # unused here; the shared-crawl mixin's per-task state
        self.page_cache = None
        self.start_urls = []

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        if crawler.settings.get("SKINMAP_REDIS_URL"):
            # Distributed (`--redis`): each (state, taxonomy) query is a task on the shared
            # queue, with its paging and ZIP splits done by the worker that claimed it.
            spider.connect_shared(crawler)
            crawler.signals.connect(spider.shared_idle, signal=scrapy.signals.spider_idle)
            crawler.signals.connect(spider.shared_closed, signal=scrapy.signals.spider_closed)
        return spider

    def shared_tasks(self) -> list[SiteTask]:
        return [
            SiteTask(task_root(state, taxonomy), ())
            for state in self.states
            for taxonomy in self.taxonomies
        ]

    def task_requests(self, task: SiteTask) -> list[scrapy.Request]:
        _, state, taxonomy = task.root.split("|", 2)
        return [self.page_request(state, taxonomy, 0, None)]

    def page_request(
        self, state: str, taxonomy: str, skip: int, prefix: str | None
    ) -> scrapy.Request:
        root = task_root(state, taxonomy)
        self.pending[root] += 1
        return scrapy.Request(
            query_url(self.api_url, state, taxonomy, skip, prefix),
            callback=self.parse,
            errback=self.failed,
            meta={
                "state": state,
                "taxonomy": taxonomy,
                "skip": skip,
                "prefix": prefix,
                "skinmap_uncapped": True,
            },
            # Every URL is unique (state, taxonomy, prefix, skip); counted requests must not be
            # dropped silently by a duplicate filter.
            dont_filter=self.shared is not None,
        )

    def failed(self, failure):
        meta = failure.request.meta
        self.answered(task_root(meta["state"], meta["taxonomy"]))
        return None

    def answered(self, root: str) -> None:
        self.pending[root] -= 1
        if self.shared is not None and self.pending[root] <= 0:
            self.site_answered(root)

    async def start(self):
        if self.shared is not None:
            for request in self.start_shared():
                yield request
            return
        for state in self.states:
            for taxonomy in self.taxonomies:
                yield self.page_request(state, taxonomy, 0, None)

    def parse(self, response):
        root = task_root(response.meta["state"], response.meta["taxonomy"])
        # Next pages first (so the query's count never touches zero early), then its items.
        output = list(self.read_page(response))
        items = [thing for thing in output if not isinstance(thing, scrapy.Request)]
        if self.shared is not None:
            self.expect_items(root, items)
        yield from output
        self.answered(root)

    def read_page(self, response):
        stats = self.crawler.stats
        try:
            records = parse_npi_response(response.body)
        except NppesApiError as error:
            stats.inc_value("nppes/api_error")
            self.logger.warning("NPI API error for %s: %s", response.url, "; ".join(error.messages))
            return
        except NppesFormatError as error:
            stats.inc_value("nppes/bad_body")
            self.logger.error("unreadable NPI API body from %s: %s", response.url, error)
            return
        stats.inc_value("nppes/pages")
        stats.inc_value("nppes/records", len(records))
        fetched_at = utc_now()
        for record in records:
            if not record.is_target:
                stats.inc_value("nppes/not_target")
                continue
            if record.npi in self.seen_npis:
                stats.inc_value("nppes/duplicate")
                continue
            self.seen_npis.add(record.npi)
            item_class = PractitionerItem if record.kind == "practitioner" else PracticeItem
            yield item_class.from_payload(
                record.payload,
                source="nppes",
                source_key=record.npi,
                url=response.url,
                fetched_at=fetched_at,
            )
        yield from self.next_requests(response, len(records))

    def next_requests(self, response, count: int):
        """The next page, or the split queries when the last page allowed is still full."""
        meta = response.meta
        if count < PAGE_SIZE:
            return
        if meta["skip"] + PAGE_SIZE <= MAX_SKIP:
            yield self.page_request(
                meta["state"], meta["taxonomy"], meta["skip"] + PAGE_SIZE, meta["prefix"]
            )
            return
        parts = split_prefixes(meta["state"], meta["prefix"])
        if not parts:
            self.crawler.stats.inc_value("nppes/unsplittable")
            self.logger.warning(
                "query still over the API ceiling at ZIP %s: %s", meta["prefix"], response.url
            )
            return
        self.crawler.stats.inc_value("nppes/split")
        for prefix in parts:
            yield self.page_request(meta["state"], meta["taxonomy"], 0, prefix)

"""Spider "directory": read public listing pages of practitioners (a society's "find a
dermatologist", a city guide) described by a config file, so adding a directory needs no code.

Each listing entry becomes a PractitionerItem with source "directory"; the practice websites the
entries link to are written to `DATA_DIR/crawls/directory-<name>-seeds.txt` for
`skinmap crawl practices --seeds FILE`, which is where microneedling evidence comes from: a
directory entry never carries evidence of its own.

The config format is crawler/directories/config.py; turning a listing page into items is
crawler/directories/entries.py (pure). This module is the I/O shell: requests, paging, stats and
the seeds file. Must not import index or search_web.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.http import TextResponse

from crawler.directories.config import DirectoryConfigError, load_config, seeds_path
from crawler.directories.entries import entries_from_page, entry_item, next_page_url
from crawler.items import utc_now

logger = logging.getLogger(__name__)


def write_seeds(path: Path, websites: Iterable[str]) -> None:
    """Write the websites one per line, once each, sorted, replacing the file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text("".join(f"{url}\n" for url in sorted(set(websites))), encoding="utf-8")
    os.replace(partial, path)


class DirectorySpider(scrapy.Spider):
    name = "directory"
    # max_pages bounds a listing; DEPTH_LIMIT (for practice sites) would cut one at page 5.
    custom_settings = {"DEPTH_LIMIT": 0}

    def __init__(self, config: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if not config:
            raise DirectoryConfigError("the directory spider needs config=FILE")
        self.config = load_config(config)
        self.start_urls = list(self.config.start_urls)
        self.websites: set[str] = set()
        self.seeds_file: Path | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        data_dir = crawler.settings.get("SKINMAP_DATA_DIR")
        if data_dir:
            spider.seeds_file = seeds_path(data_dir, spider.config.name)
        return spider

    def listing_request(self, url: str, listing_url: str, page_number: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse,
            # max_pages bounds a listing; the per-site page cap is for practice sites.
            meta={
                "skinmap_listing": listing_url,
                "skinmap_page_number": page_number,
                "skinmap_uncapped": True,
            },
        )

    async def start(self):
        self.crawler.stats.set_value("directory/websites", 0)
        for url in self.start_urls:
            yield self.listing_request(url, url, 1)

    def parse(self, response):
        if not isinstance(response, TextResponse):
            return
        stats = self.crawler.stats
        stats.inc_value("directory/pages")
        listing_url = response.meta.get("skinmap_listing", response.url)
        page_number = response.meta.get("skinmap_page_number", 1)
        fetched_at = utc_now()
        entries = entries_from_page(response.text, self.config)
        if not entries:
            self.logger.warning("no entries matched %r on %s", self.config.listing, response.url)
        for entry in entries:
            item = entry_item(entry, response.url, listing_url, self.config, fetched_at)
            if item is None:
                stats.inc_value("directory/skipped_no_name")
                continue
            stats.inc_value("directory/entries")
            website = item.extra.get("listed_website")
            if website and website not in self.websites:
                self.websites.add(website)
                # With --resume (JOBDIR), Scrapy pickles `self.state` between runs.
                if getattr(self, "state", None) is not None:
                    self.state.setdefault("websites", set()).add(website)
                stats.set_value("directory/websites", len(self.websites))
                self.logger.info("practice website %s (%s)", website, item.name)
            yield item
        following = next_page_url(response.text, response.url, self.config)
        if following is None:
            return
        if page_number >= self.config.max_pages:
            stats.inc_value("directory/max_pages_reached")
            self.logger.info("max_pages %d reached for %s", self.config.max_pages, listing_url)
            return
        yield self.listing_request(following, listing_url, page_number + 1)

    def on_closed(self, spider, reason):
        # A resumed crawl does not re-read the pages an earlier run read: keep their websites too.
        self.websites |= set((getattr(self, "state", None) or {}).get("websites", ()))
        self.crawler.stats.set_value("directory/websites", len(self.websites))
        if self.seeds_file is None:
            self.logger.info("no SKINMAP_DATA_DIR: %d websites not written", len(self.websites))
            return
        write_seeds(self.seeds_file, self.websites)
        self.logger.info(
            "%d practice websites written to %s; crawl them with "
            "`skinmap crawl practices --seeds %s`",
            len(self.websites),
            self.seeds_file,
            self.seeds_file,
        )

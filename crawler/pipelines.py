"""Item pipelines: validate items against the contract, then record them as observations."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from crawler.extract.normalise import npi_is_valid
from crawler.items import PracticeItem, PractitionerItem
from index.records import SPECIALTY_SLUGS, InvalidObservation

logger = logging.getLogger(__name__)

ROLES = ("physician", "physician_assistant", "nurse_practitioner", "nurse", "aesthetician", "other")


class RejectedItem(DropItem):
    """An item that breaks the contract; `reason` is a short code counted in the stats."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


def rejection_reason(item: PractitionerItem | PracticeItem) -> str | None:
    """Why an item must not be stored (a short code), or None when it is acceptable."""
    if not isinstance(item, (PractitionerItem, PracticeItem)):
        return "unknown_item_type"
    if not item.name.strip():
        return "no_name"
    if not item.source_key:
        return "no_source_key"
    if item.npi is not None and not npi_is_valid(item.npi):
        return "bad_npi"
    if item.website and not item.website.startswith(("http://", "https://")):
        return "bad_website"
    if any(not (e.get("quote") or "").strip() for e in item.evidence):
        return "evidence_without_quote"
    if isinstance(item, PractitionerItem):
        if any(slug not in SPECIALTY_SLUGS for slug in item.specialties):
            return "unknown_specialty"
        if item.role not in ROLES:
            return "unknown_role"
        # A website's non-physicians are practice staff, never listings of their own.
        if item.source == "practice_site" and not item.is_physician:
            return "not_a_physician"
    try:
        item.to_observation().validate()
    except InvalidObservation:
        return "contract"
    return None


class ValidatePipeline:
    """Drops items that break the contract and counts each reason as `skinmap/rejected/<reason>`."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        reason = rejection_reason(item)
        if reason:
            self.crawler.stats.inc_value(f"skinmap/rejected/{reason}")
            raise RejectedItem(reason, getattr(item, "source_key", "") or "")
        self.crawler.stats.inc_value("skinmap/accepted")
        return item


class StorePipeline:
    """Records each item as an Observation in the store (index.store.Store, imported lazily)."""

    def __init__(self, crawler, data_dir: Path, run_id: int):
        self.crawler = crawler
        self.data_dir = data_dir
        self.run_id = run_id
        self.store = None

    @classmethod
    def from_crawler(cls, crawler):
        data_dir = crawler.settings.get("SKINMAP_DATA_DIR")
        run_id = crawler.settings.get("SKINMAP_RUN_ID")
        if not data_dir or run_id in (None, ""):
            raise NotConfigured("no SKINMAP_DATA_DIR/SKINMAP_RUN_ID: not writing to a store")
        if crawler.settings.get("SKINMAP_REDIS_URL"):
            # A distributed worker hands its items to Redis (crawler/item_stream.py); the one
            # store is written by `skinmap ingest`, never by the workers.
            raise NotConfigured("distributed crawl: items go to the Redis item stream")
        pipeline = cls(crawler, Path(data_dir), int(run_id))
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def open_spider(self):
        from index.store import Store  # lazily: the crawler's unit tests need no store

        self.store = Store(self.data_dir / "store.sqlite3")

    def close_spider(self):
        if self.store is not None:
            self.store.close()
            self.store = None

    def process_item(self, item):
        self.store.record_observation(self.run_id, item.to_observation())
        self.crawler.stats.inc_value(f"skinmap/stored/{item.kind}")
        return item

    def item_dropped(self, item, response, exception, spider=None):
        if self.store is None:
            return
        reason = getattr(exception, "reason", None) or str(exception)
        url = getattr(item, "url", None) or (response.url if response is not None else None)
        self.store.record_rejection(self.run_id, reason, url)


class JsonLinesPipeline:
    """Appends each observation as one JSON line to SKINMAP_ITEMS_JSONL (tests, debugging)."""

    def __init__(self, path: Path):
        self.path = path
        self.handle = None

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("SKINMAP_ITEMS_JSONL")
        if not path:
            raise NotConfigured("SKINMAP_ITEMS_JSONL not set")
        return cls(Path(path))

    def open_spider(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close_spider

    def close_spider(self):
        if self.handle:
            self.handle.close()
            self.handle = None

    def process_item(self, item):
        self.handle.write(json.dumps(asdict(item.to_observation()), sort_keys=True) + "\n")
        self.handle.flush()
        return item

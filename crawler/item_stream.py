"""Worker side of the one system of record: items of a distributed crawl go to a Redis stream
(`P:items`, the scrapy-redis item-pipeline convention with a stream instead of a list), and
`skinmap ingest` (crawler/ingest.py) writes them to the store.

Each entry carries a delivery id that is stable for one observation in one crawl
(`delivery_id`): a site crawled twice (its worker died after pushing its items but before marking
it done) pushes the same ids again, and the ingest applies each id once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass

from scrapy.exceptions import NotConfigured

from crawler.distributed import (
    DEFAULT_KEY_PREFIX,
    BadDistributedSetting,
    RedisKeys,
    connect,
    is_outage,
    worker_id,
)
from index.records import InvalidObservation, Observation

logger = logging.getLogger(__name__)

DEFAULT_WAIT_S = 300.0  # how long a worker waits for Redis to come back before it stops


class BadEntry(ValueError):
    """A stream entry that is not a serialised observation."""


def delivery_id(prefix: str, observation_key: str) -> str:
    """The stable id of one observation's delivery in the crawl named by `prefix`."""
    return hashlib.sha256(f"{prefix}\x1f{observation_key}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Delivery:
    """One item as it travels through the stream."""

    id: str
    observation: Observation
    worker: str

    def fields(self) -> dict[str, str]:
        return {
            "delivery": self.id,
            "worker": self.worker,
            "observation": json.dumps(asdict(self.observation), sort_keys=True),
        }

    @classmethod
    def from_fields(cls, fields: dict) -> Delivery:
        text = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in fields.items()
        }
        try:
            observation = Observation(**json.loads(text["observation"]))
            observation.validate()
            return cls(text["delivery"], observation, text.get("worker", ""))
        except (KeyError, TypeError, json.JSONDecodeError, InvalidObservation) as error:
            raise BadEntry(f"not a serialised observation: {error}") from error


def wait_seconds(raw: str | float | None) -> float:
    if raw in (None, ""):
        return DEFAULT_WAIT_S
    try:
        return max(0.0, float(raw))
    except (TypeError, ValueError):
        raise BadDistributedSetting(
            f"SKINMAP_REDIS_WAIT_S must be a number of seconds, got {raw!r}"
        ) from None


class ItemStreamPipeline:
    """Pushes each valid item to the crawl's item stream (enabled by SKINMAP_REDIS_URL).

    When Redis cannot be reached the item waits (the crawl goes on, Redis is retried with
    backoff, and the log says so) for up to SKINMAP_REDIS_WAIT_S; after that the worker stops.
    An item that was never pushed fails (item_error), so its site is not marked done: its lease
    runs out and the site is crawled again, by this worker or another.
    """

    def __init__(self, crawler, url: str, keys: RedisKeys, wait_s: float):
        self.crawler = crawler
        self.url = url
        self.keys = keys
        self.wait_s = wait_s
        self.worker = worker_id()
        self.server = connect(url)
        self.outage_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler):
        url = crawler.settings.get("SKINMAP_REDIS_URL")
        if not url:
            raise NotConfigured("SKINMAP_REDIS_URL not set: items go to the local store")
        keys = RedisKeys(crawler.settings.get("SKINMAP_REDIS_KEY") or DEFAULT_KEY_PREFIX)
        return cls(crawler, url, keys, wait_seconds(crawler.settings.get("SKINMAP_REDIS_WAIT_S")))

    def close_spider(self):
        self.server.close()

    async def process_item(self, item):
        observation = item.to_observation()
        delivery = Delivery(
            delivery_id(self.keys.prefix, observation.key), observation, self.worker
        )
        pause = 0.5
        while True:
            try:
                self.server.xadd(self.keys.items, delivery.fields())
            except Exception as error:
                if not is_outage(error):
                    raise
                self._waiting(error)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 10.0)
                continue
            if self.outage_since is not None:
                logger.warning("Redis at %s is back; items flow again", self.url)
                self.outage_since = None
            self.crawler.stats.inc_value(f"skinmap/pushed/{item.kind}")
            return item

    def _waiting(self, error: BaseException) -> None:
        now = time.monotonic()
        if self.outage_since is None:
            self.outage_since = now
            logger.error(
                "Redis at %s is unreachable (%s): items wait here (none is lost) for up to %.0f s",
                self.url,
                error,
                self.wait_s,
            )
        self.crawler.stats.inc_value("skinmap/redis/push_retries")
        if now - self.outage_since > self.wait_s:
            self.crawler.stats.set_value("skinmap/fatal", "redis_unavailable")
            raise RedisDown(
                f"Redis at {self.url} unreachable for more than {self.wait_s:.0f} s; stopping. "
                "Sites whose items were not handed over are re-crawled once their leases expire"
            ) from error


class RedisDown(ConnectionError):
    """Redis stayed unreachable longer than SKINMAP_REDIS_WAIT_S."""

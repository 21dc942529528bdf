"""Distributed practice-site crawls on Redis: processes (on one machine or many) share a queue of
SITES, leased claims on them, a duplicate filter of PAGES and a stream of ITEMS, so every site is
crawled by one process at a time and its items reach the one store through `skinmap ingest`.

Why sites, not pages: the "practices" spider folds every page of a site into an in-memory
`SiteState` and emits the site's practice and physicians when its last request ends. With
scrapy-redis's shared per-page Scheduler, the pages of one site would be popped by different
processes and each would emit a partial site (and per-domain politeness would be enforced by
nobody, since each process only knows its own downloads). So the unit of work is a site:

- `P:sites` (list) holds `SiteTask`s. Seeding is idempotent: a root is queued only if
  `SADD P:seeded root` added it, so every process may be given the same start URLs.
- A process claims a site atomically (LPOP + `P:claims` hash + a lease in the `P:leases` sorted
  set, scored by expiry on the Redis server's clock) and renews its leases every third of
  SKINMAP_REDIS_LEASE_S while it crawls. A site whose lease expires (its worker was killed, its
  machine lost, or it lost Redis) is put back at the head of the queue by whichever worker
  notices first (REAP), with its pages forgotten, so another worker crawls it whole.
- A site is done (`P:done`) only when all its items are in the item stream (`P:items`, see
  crawler/item_stream.py): a worker killed between pushing items and finishing has its site
  re-crawled, and the ingest skips the repeated deliveries by their delivery id.
- `P:pages` is scrapy-redis's `RFPDupeFilter` set of request fingerprints; each fingerprint is
  also kept under its site (`P:site-pages:<root>`) so a re-queued site can forget its pages.
- A process exits when the queue is empty and no live lease remains (a worker that dies holding
  sites gives the others work again once its leases expire). On a graceful shutdown
  (SIGINT/SIGTERM) it gives its unfinished sites back at once.
- `P:control` pauses (no new claims), resumes or cancels (workers give their sites back and exit)
  a run; `P:workers` holds each worker's latest counters for `skinmap crawl status --redis`.

Keys persist after a crawl (like scrapy-redis's SCHEDULER_PERSIST): a re-run with the same
`SKINMAP_REDIS_KEY` seeds nothing new. Start a new national crawl under a new key.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import redis
from scrapy import Request, signals
from scrapy.exceptions import NotConfigured

from crawler import redis_scripts

DEFAULT_KEY_PREFIX = "skinmap:practices"


class RedisUnavailable(ConnectionError):
    """The Redis server of a distributed crawl cannot be reached."""


class BadDistributedSetting(ValueError):
    """A distributed-crawl setting (lease, wait) that cannot be used; the message names it."""


class DistributedNotSupported(ValueError):
    """Only the practice-site spider can share its work through Redis."""


@dataclass(frozen=True)
class SiteTask:
    """One unit of distributed work: a site root and the start URLs to crawl it from."""

    root: str
    start_urls: tuple[str, ...]

    def encode(self) -> str:
        return json.dumps({"root": self.root, "start_urls": list(self.start_urls)})

    @classmethod
    def decode(cls, text: str | bytes) -> SiteTask:
        fields = json.loads(text)
        return cls(root=fields["root"], start_urls=tuple(fields["start_urls"]))


def site_tasks(start_urls: Iterable[str], root_of: Callable[[str], str]) -> list[SiteTask]:
    """Start URLs grouped by site, in first-seen order: a site is one task however many seeds."""
    grouped: dict[str, list[str]] = {}
    for url in start_urls:
        urls = grouped.setdefault(root_of(url), [])
        if url not in urls:
            urls.append(url)
    return [SiteTask(root, tuple(urls)) for root, urls in grouped.items()]


@dataclass(frozen=True)
class RedisKeys:
    """The Redis keys of one distributed crawl, all under one prefix."""

    prefix: str = DEFAULT_KEY_PREFIX

    def __getattr__(self, name: str) -> str:
        # sites, seeded, done, pages, claims, leases, reaped, items, control, workers
        if name in _KEY_NAMES:
            return f"{self.prefix}:{name}"
        raise AttributeError(name)

    @property
    def site_pages_prefix(self) -> str:
        return f"{self.prefix}:site-pages:"

    def site_pages(self, root: str) -> str:
        return self.site_pages_prefix + root


_KEY_NAMES = frozenset(
    ("sites", "seeded", "done", "pages", "claims", "leases", "reaped", "items", "control")
    + ("workers",)
)
DEFAULT_LEASE_S = 60.0
CONTROL_STATES = ("running", "paused", "cancelled")


def worker_id() -> str:
    """This process, unique across machines: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def connect(url: str) -> redis.Redis:
    """A client for `url` ("redis://host:port/db"), checked with a PING."""
    try:
        server = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=30)
        server.ping()
    except (redis.ConnectionError, redis.TimeoutError, ValueError) as error:
        raise RedisUnavailable(f"cannot reach Redis at {url}: {error}") from error
    return server


def is_outage(error: BaseException) -> bool:
    """A Redis client error that means "cannot reach Redis now" (worth waiting out)."""
    return isinstance(error, (redis.ConnectionError, redis.TimeoutError, RedisUnavailable))


@dataclass
class SharedCrawl:
    """One process's handle on a distributed crawl: claims and leases sites, checks pages,
    releases or finishes its sites, and says when the whole crawl is over."""

    server: redis.Redis
    keys: RedisKeys
    worker: str
    sites_in_flight: int = 64
    lease_s: float = DEFAULT_LEASE_S
    claims: dict[str, SiteTask] = field(default_factory=dict)  # root -> task, not yet finished
    claimed_raw: dict[str, bytes] = field(default_factory=dict)  # root -> the queue entry

    def __post_init__(self) -> None:
        from scrapy_redis.dupefilter import RFPDupeFilter

        self.dupefilter = RFPDupeFilter(self.server, self.keys.pages)
        self.scripts = {
            name: self.server.register_script(getattr(redis_scripts, name))
            for name in ("SEED", "CLAIM", "RENEW", "FINISH", "RELEASE", "REAP")
            + ("FIRST_SIGHTING", "LIVE_LEASES")
        }

    @classmethod
    def from_settings(cls, settings) -> SharedCrawl | None:
        """The shared crawl named by SKINMAP_REDIS_URL / SKINMAP_REDIS_KEY, or None when unset."""
        url = settings.get("SKINMAP_REDIS_URL")
        if not url:
            return None
        return cls(
            server=connect(url),
            keys=RedisKeys(settings.get("SKINMAP_REDIS_KEY") or DEFAULT_KEY_PREFIX),
            worker=worker_id(),
            sites_in_flight=max(1, settings.getint("SKINMAP_REDIS_SITES_IN_FLIGHT", 64)),
            lease_s=lease_seconds(settings.get("SKINMAP_REDIS_LEASE_S")),
        )

    @property
    def lease_ms(self) -> int:
        return int(self.lease_s * 1000)

    def seed(self, tasks: Iterable[SiteTask]) -> int:
        """Queue the sites no process has seeded yet; returns how many this call queued."""
        pipe = self.server.pipeline()
        for task in tasks:
            self.scripts["SEED"](
                keys=[self.keys.seeded, self.keys.sites],
                args=[task.root, task.encode()],
                client=pipe,
            )
        return sum(pipe.execute())

    def claim(self) -> SiteTask | None:
        """Take the next site off the shared queue with a lease, or None when it is empty."""
        raw = self.scripts["CLAIM"](
            keys=[self.keys.sites, self.keys.claims, self.keys.leases],
            args=[self.worker, self.lease_ms],
        )
        if raw is None:
            return None
        task = SiteTask.decode(raw)
        self.claims[task.root] = task
        self.claimed_raw[task.root] = raw
        return task

    def first_sighting(self, url: str, root: str) -> bool:
        """True when no process has requested this page before (and now this one has)."""
        fingerprint = self.dupefilter.request_fingerprint(Request(url))
        keys = [self.keys.pages, self.keys.site_pages(root)]
        return bool(self.scripts["FIRST_SIGHTING"](keys=keys, args=[fingerprint]))

    def finish(self, root: str) -> bool:
        """The site's items are handed over: it is done. False if it was not claimed here."""
        raw = self.claimed_raw.get(root)
        if raw is None:
            self.claims.pop(root, None)
            return False
        # Forgotten here only once Redis has it: if Redis is away, the claim is finished later.
        self.scripts["FINISH"](
            keys=[self.keys.claims, self.keys.leases, self.keys.done, self.keys.sites]
            + [self.keys.site_pages(root)],
            args=[self.worker, root, raw],
        )
        self.claims.pop(root, None)
        self.claimed_raw.pop(root, None)
        return True

    def abandon(self, root: str) -> None:
        """Stop renewing a site whose items could not be handed over: its lease runs out and
        another worker crawls it again (nothing of it is lost, nothing was half-delivered)."""
        self.claims.pop(root, None)
        self.claimed_raw.pop(root, None)

    def renew(self) -> list[str]:
        """Extend the leases of the sites held here; the roots another worker has taken over."""
        if not self.claims:
            return []
        lost = self.scripts["RENEW"](
            keys=[self.keys.claims, self.keys.leases],
            args=[self.worker, self.lease_ms, *self.claims],
        )
        return [root.decode() if isinstance(root, bytes) else root for root in lost]

    def reap(self) -> list[str]:
        """Re-queue every site whose lease has expired (anyone's); returns their roots."""
        expired = self.scripts["REAP"](
            keys=[self.keys.claims, self.keys.leases, self.keys.sites, self.keys.done]
            + [self.keys.pages, self.keys.reaped],
            args=[self.keys.site_pages_prefix],
        )
        return [root.decode() if isinstance(root, bytes) else root for root in expired]

    def release(self) -> list[str]:
        """Give unfinished sites back (queue head) and forget their pages; returns their roots."""
        released = list(self.claims)
        if released:
            self.scripts["RELEASE"](
                keys=[self.keys.claims, self.keys.leases, self.keys.sites, self.keys.done]
                + [self.keys.pages],
                args=[self.worker, self.keys.site_pages_prefix, *released],
            )
        self.claims.clear()
        self.claimed_raw.clear()
        return released

    def remaining(self) -> int:
        """Sites still waiting in the shared queue."""
        return int(self.server.llen(self.keys.sites))

    def live_leases(self) -> int:
        """Sites some worker holds with an unexpired lease."""
        return int(self.scripts["LIVE_LEASES"](keys=[self.keys.leases]))

    def control(self) -> str:
        """ "running", "paused" or "cancelled" (set by `skinmap crawl pause|resume|cancel`)."""
        state = self.server.get(self.keys.control)
        return state.decode() if state else "running"

    def publish(self, counters: dict) -> None:
        """This worker's latest counters, for `skinmap crawl status --redis`."""
        line = {**counters, "claims": len(self.claims), "seen_at": time.time()}
        self.server.hset(self.keys.workers, self.worker, json.dumps(line))


def lease_seconds(raw: str | float | None) -> float:
    """SKINMAP_REDIS_LEASE_S as seconds (default 60); a bad value is a clear error."""
    if raw in (None, ""):
        return DEFAULT_LEASE_S
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        seconds = 0.0
    if seconds < 1:
        raise BadDistributedSetting(
            f"SKINMAP_REDIS_LEASE_S must be a number of seconds >= 1, got {raw!r}"
        )
    return seconds


class FetchLog:
    """Extension: appends every response (URL, status, worker) to SKINMAP_FETCH_LOG as JSON lines,
    so a test or an operator can check across processes that no page was fetched twice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.worker = worker_id()
        self.handle = None

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("SKINMAP_FETCH_LOG")
        if not path:
            raise NotConfigured("SKINMAP_FETCH_LOG not set")
        extension = cls(Path(path))
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.received, signal=signals.response_received)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, spider) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in closed()

    def received(self, response, request, spider) -> None:
        if self.handle is None or response.url.startswith("data:"):
            return
        line = {"url": response.url, "status": response.status, "worker": self.worker}
        self.handle.write(json.dumps(line) + "\n")
        self.handle.flush()

    def closed(self, spider, reason) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

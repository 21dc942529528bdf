"""Distributed practice-site crawls on Redis: processes (on one machine or many) share a queue of
SITES and a duplicate filter of PAGES, so every site is crawled by exactly one process.

Why sites, not pages: the "practices" spider folds every page of a site into an in-memory
`SiteState` and emits the site's practice and physicians when its last request ends. With
scrapy-redis's shared per-page Scheduler, the pages of one site would be popped by different
processes and each would emit a partial site (and per-domain politeness would be enforced by
nobody, since each process only knows its own downloads). So the unit of work is a site:

- `P:sites` (Redis list) holds `SiteTask`s (a site root and its start URLs). Seeding is idempotent:
  a root enters the queue only if `SADD P:seeded root` added it, so every process may be given the
  same start URLs and each site is still queued once.
- A process claims a site with `LMOVE P:sites P:claimed:<worker>` (atomic: no two processes get
  the same site; the claim stays visible while the site is crawled, Redis's "reliable queue").
  When the site is emitted, its claim moves to `P:done`. A process keeps
  `SKINMAP_REDIS_SITES_IN_FLIGHT` sites in flight and claims the next one as each site finishes.
- `P:pages` is scrapy-redis's `RFPDupeFilter` (a Redis set of request fingerprints): a page is
  requested only by the first process to add its fingerprint. With site affinity this never
  rejects a page of one's own site; it makes "fetched once" a checked property across processes,
  not just an assumption.
- A process exits when it is idle and the queue is empty (no blocking pop, no endless wait). On a
  graceful shutdown (SIGINT/SIGTERM) it puts its unfinished sites back at the head of the queue and
  forgets their page fingerprints, so another process crawls them whole.

Keys persist after a crawl (like scrapy-redis's SCHEDULER_PERSIST): a re-run with the same
`SKINMAP_REDIS_KEY` seeds nothing new. Start a new national crawl under a new key.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import redis
from scrapy import Request, signals
from scrapy.exceptions import NotConfigured

DEFAULT_KEY_PREFIX = "skinmap:practices"


class RedisUnavailable(ConnectionError):
    """The Redis server of a distributed crawl cannot be reached."""


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

    @property
    def sites(self) -> str:
        return f"{self.prefix}:sites"

    @property
    def seeded(self) -> str:
        return f"{self.prefix}:seeded"

    @property
    def done(self) -> str:
        return f"{self.prefix}:done"

    @property
    def pages(self) -> str:
        return f"{self.prefix}:pages"

    def claimed(self, worker: str) -> str:
        return f"{self.prefix}:claimed:{worker}"


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


# Seed one site: queue it only if no process has seeded it before (SADD and RPUSH in one step).
_SEED_SCRIPT = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[2])
  return 1
end
return 0
"""


@dataclass
class SharedCrawl:
    """One process's handle on a distributed crawl: claims sites, checks pages, releases on exit."""

    server: redis.Redis
    keys: RedisKeys
    worker: str
    sites_in_flight: int = 64
    claims: dict[str, SiteTask] = field(default_factory=dict)  # root -> task, not yet finished
    claimed_raw: dict[str, bytes] = field(default_factory=dict)  # root -> the list entry, for LREM
    fingerprints: dict[str, list[str]] = field(default_factory=dict)  # root -> pages we added

    def __post_init__(self) -> None:
        from scrapy_redis.dupefilter import RFPDupeFilter

        self.dupefilter = RFPDupeFilter(self.server, self.keys.pages)
        self.seed_script = self.server.register_script(_SEED_SCRIPT)

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
        )

    def seed(self, tasks: Iterable[SiteTask]) -> int:
        """Queue the sites no process has seeded yet; returns how many this call queued."""
        pipe = self.server.pipeline()
        for task in tasks:
            self.seed_script(
                keys=[self.keys.seeded, self.keys.sites],
                args=[task.root, task.encode()],
                client=pipe,
            )
        return sum(pipe.execute())

    def claim(self) -> SiteTask | None:
        """Take the next site off the shared queue, or None when it is empty."""
        raw = self.server.lmove(self.keys.sites, self.keys.claimed(self.worker), "LEFT", "RIGHT")
        if raw is None:
            return None
        task = SiteTask.decode(raw)
        self.claims[task.root] = task
        self.claimed_raw[task.root] = raw
        return task

    def first_sighting(self, url: str, root: str) -> bool:
        """True when no process has requested this page before (and now this one has)."""
        request = Request(url)
        if self.dupefilter.request_seen(request):
            return False
        self.fingerprints.setdefault(root, []).append(self.dupefilter.request_fingerprint(request))
        return True

    def finish(self, root: str) -> bool:
        """The site is emitted: move its claim to the done set. False if it was not claimed here."""
        self.claims.pop(root, None)
        self.fingerprints.pop(root, None)
        raw = self.claimed_raw.pop(root, None)
        if raw is None:
            return False
        pipe = self.server.pipeline()
        pipe.lrem(self.keys.claimed(self.worker), 1, raw)
        pipe.sadd(self.keys.done, root)
        pipe.execute()
        return True

    def release(self) -> list[str]:
        """Give unfinished sites back (queue head) and forget their pages; returns their roots."""
        released = list(self.claims)
        pipe = self.server.pipeline()
        for root, raw in self.claimed_raw.items():
            pipe.lrem(self.keys.claimed(self.worker), 1, raw)
            pipe.lpush(self.keys.sites, raw)
            if self.fingerprints.get(root):
                pipe.srem(self.keys.pages, *self.fingerprints[root])
        pipe.execute()
        self.claims.clear()
        self.claimed_raw.clear()
        self.fingerprints.clear()
        return released

    def remaining(self) -> int:
        """Sites still waiting in the shared queue."""
        return int(self.server.llen(self.keys.sites))


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

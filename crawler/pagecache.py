"""Conditional requests on recrawl: what a page said last time, kept per URL with its validators.

A page that answered with an ETag or a Last-Modified is remembered with the facts read from it
(crawler/extract/page.py PageFacts, JSON, zlib-compressed). The next crawl asks with
If-None-Match / If-Modified-Since; a `304 Not Modified` costs headers only, and the spider folds in
the remembered facts, so the site's practice and physicians are emitted as before (their
observations keep their payload and move `last_seen` forward).

Two homes: a single-process crawl keeps the cache next to its crawl logs
(DIR/crawls/pages.sqlite3); a distributed crawl keeps it in Redis (one hash, shared by every
worker and by every later crawl, whatever its SKINMAP_REDIS_KEY), because the next crawl's worker
for a site is rarely the one that crawled it last.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_REDIS_KEY = "skinmap:pagecache"


@dataclass(frozen=True)
class CachedPage:
    etag: str | None
    last_modified: str | None
    facts: dict

    def encode(self) -> bytes:
        text = json.dumps([self.etag, self.last_modified, self.facts], separators=(",", ":"))
        return zlib.compress(text.encode(), 6)

    @classmethod
    def decode(cls, blob: bytes) -> CachedPage | None:
        try:
            etag, last_modified, facts = json.loads(zlib.decompress(blob))
        except (zlib.error, ValueError, TypeError):
            return None  # an unreadable entry is a cache miss, never an error
        return cls(etag, last_modified, facts)

    def headers(self) -> dict[str, str]:
        """The conditional request headers these validators allow."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class SqlitePageCache:
    """The cache of a single-process crawl: one small SQLite file in the data dir."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, timeout=10)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS pages (url TEXT PRIMARY KEY, entry BLOB)")

    def get(self, url: str) -> CachedPage | None:
        row = self.db.execute("SELECT entry FROM pages WHERE url = ?", (url,)).fetchone()
        return CachedPage.decode(row[0]) if row else None

    def put(self, url: str, page: CachedPage) -> None:
        self.db.execute(
            "INSERT INTO pages (url, entry) VALUES (?, ?)"
            " ON CONFLICT (url) DO UPDATE SET entry = excluded.entry",
            (url, page.encode()),
        )

    def close(self) -> None:
        self.db.close()


class RedisPageCache:
    """The cache of a distributed crawl: one Redis hash, URL -> entry."""

    def __init__(self, server, key: str = DEFAULT_REDIS_KEY) -> None:
        self.server = server
        self.key = key

    def get(self, url: str) -> CachedPage | None:
        blob = self.server.hget(self.key, url)
        return CachedPage.decode(blob) if blob else None

    def put(self, url: str, page: CachedPage) -> None:
        self.server.hset(self.key, url, page.encode())

    def close(self) -> None:
        pass

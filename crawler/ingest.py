"""`skinmap ingest --redis URL`: drain a distributed crawl's item stream into the one store.

A Redis stream with one consumer group ("ingest"): each batch is read, written to SQLite in one
transaction (Store.record_deliveries, which skips delivery ids already applied), and only then
acknowledged and deleted from the stream. So an ingest killed at any point loses nothing (what
it read but did not commit stays pending in the group) and duplicates nothing (what it committed
but did not acknowledge is delivered again and skipped by its delivery id). Entries pending for
longer than the lease on a consumer that is gone are taken over with XAUTOCLAIM.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import redis

from crawler.distributed import RedisKeys, is_outage, worker_id
from crawler.item_stream import BadEntry, Delivery
from index.store import Store

logger = logging.getLogger(__name__)

GROUP = "ingest"
DEFAULT_BATCH = 500


class IngestStopped(RuntimeError):
    """The ingest gave up (Redis unreachable for too long in --drain mode)."""


@dataclass
class IngestCounts:
    read: int = 0
    applied: int = 0
    repeated: int = 0  # deliveries applied before (a site crawled twice, an ingest killed)
    rejected: int = 0
    reclaimed: int = 0  # entries taken over from a consumer that stopped answering
    batches: int = 0


@dataclass
class Ingest:
    server: redis.Redis
    keys: RedisKeys
    store: Store
    run_id: int | None
    reclaim_after_s: float = 60.0
    batch: int = DEFAULT_BATCH
    consumer: str = ""

    def __post_init__(self) -> None:
        self.consumer = self.consumer or worker_id()
        self.counts = IngestCounts()

    def ensure_group(self) -> None:
        try:
            self.server.xgroup_create(self.keys.items, GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def step(self, block_ms: int = 1000) -> int:
        """Ingest one batch (ours left pending, then other consumers' stale ones, then new ones);
        returns how many entries it handled."""
        entries = self._read(block_ms)
        if not entries:
            return 0
        batch: list[tuple[str, object]] = []
        for _, fields in entries:
            try:
                delivery = Delivery.from_fields(fields)
            except BadEntry as error:
                self.counts.rejected += 1
                self.store.record_rejection(self.run_id, f"bad_stream_entry: {error}"[:200], None)
                continue
            batch.append((delivery.id, delivery.observation))
        applied = self.store.record_deliveries(self.run_id, batch) if batch else 0
        # Committed: now, and only now, the entries may leave the stream.
        ids = [entry_id for entry_id, _ in entries]
        pipe = self.server.pipeline(transaction=True)
        pipe.xack(self.keys.items, GROUP, *ids)
        pipe.xdel(self.keys.items, *ids)
        pipe.execute()
        self.counts.read += len(entries)
        self.counts.applied += applied
        self.counts.repeated += len(batch) - applied
        self.counts.batches += 1
        return len(entries)

    def _read(self, block_ms: int) -> list:
        try:
            return self._read_group(block_ms)
        except redis.ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            # Redis came back without its data (no persistence): start the group again.
            self.ensure_group()
            return self._read_group(block_ms)

    def _read_group(self, block_ms: int) -> list:
        mine = self.server.xreadgroup(
            GROUP, self.consumer, {self.keys.items: "0"}, count=self.batch
        )
        entries = [e for e in (mine[0][1] if mine else []) if e[1]]
        if entries:
            return entries
        _, stale, _ = self.server.xautoclaim(
            self.keys.items,
            GROUP,
            self.consumer,
            min_idle_time=int(self.reclaim_after_s * 1000),
            start_id="0-0",
            count=self.batch,
        )
        stale = [entry for entry in stale if entry[1]]
        if stale:
            self.counts.reclaimed += len(stale)
            logger.warning("took over %d items left pending by a stopped ingest", len(stale))
            return stale
        new = self.server.xreadgroup(
            GROUP, self.consumer, {self.keys.items: ">"}, count=self.batch, block=block_ms
        )
        return new[0][1] if new else []

    def waiting(self) -> int:
        """Items in the stream not yet committed to the store (acknowledged ones are deleted)."""
        return int(self.server.xlen(self.keys.items))

    def retire_idle_consumers(self) -> None:
        """Forget consumers with nothing pending (stopped ingests), so status lists live ones."""
        for consumer in self.server.xinfo_consumers(self.keys.items, GROUP):
            name = (
                consumer["name"].decode()
                if isinstance(consumer["name"], bytes)
                else consumer["name"]
            )
            if name != self.consumer and consumer["pending"] == 0:
                self.server.xgroup_delconsumer(self.keys.items, GROUP, name)


def run_ingest(
    ingest: Ingest,
    url: str,
    drain: bool,
    wait_s: float,
    should_stop: Callable[[], bool],
) -> IngestCounts:
    """Ingest until stopped (or, with `drain`, until the stream is empty); rides out outages."""
    outage_since: float | None = None
    pause = 0.5
    while not should_stop():
        try:
            if outage_since is None and ingest.counts.batches == 0:
                ingest.ensure_group()
            handled = ingest.step(block_ms=1000)
            if outage_since is not None:
                logger.warning("Redis at %s is reachable again; ingesting", url)
                outage_since, pause = None, 0.5
            if drain and not handled and ingest.waiting() == 0:
                ingest.retire_idle_consumers()
                break
        except Exception as error:
            if not is_outage(error):
                raise
            now = time.monotonic()
            if outage_since is None:
                outage_since = now
                logger.error(
                    "Redis at %s is unreachable (%s): waiting for it. Nothing is lost: items "
                    "leave Redis only after the store has committed them",
                    url,
                    error,
                )
            if drain and now - outage_since > wait_s:
                raise IngestStopped(
                    f"Redis at {url} unreachable for more than {wait_s:.0f} s; stopped. Nothing "
                    "was lost: rerun `skinmap ingest` when Redis is back"
                ) from error
            time.sleep(pause)
            pause = min(pause * 2, 5.0)
    return ingest.counts


def counts_dict(counts: IngestCounts) -> dict:
    return asdict(counts)

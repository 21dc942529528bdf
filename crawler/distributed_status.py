"""What a distributed crawl is doing, read from Redis for `skinmap crawl status --redis URL`:
queue depth, claims and leases, items waiting for the ingest, and each worker's rate and errors.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import redis

from crawler.distributed import CONTROL_STATES, RedisKeys
from crawler.ingest import GROUP


@dataclass
class WorkerStatus:
    worker: str
    pages: int
    items: int
    errors: int
    unchanged: int
    claims: int
    pages_per_s: float
    seen_s_ago: float
    live: bool
    state: str


@dataclass
class DistributedStatus:
    prefix: str
    control: str
    queued: int
    seeded: int
    done: int
    claims: int
    live_leases: int
    expired_leases: int
    reaped: int
    items_waiting: int
    items_pending: int  # read by an ingest, not yet committed
    ingest_consumers: list[str] = field(default_factory=list)
    workers: list[WorkerStatus] = field(default_factory=list)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def read_status(server: redis.Redis, keys: RedisKeys, lease_s: float) -> DistributedStatus:
    seconds, micros = server.time()
    now = seconds + micros / 1e6
    control = _text(server.get(keys.control) or "running")
    pending, consumers = 0, []
    try:
        for group in server.xinfo_groups(keys.items):
            if _text(group["name"]) == GROUP:
                pending = int(group["pending"])
                consumers = [_text(c["name"]) for c in server.xinfo_consumers(keys.items, GROUP)]
    except redis.ResponseError:  # no stream yet
        pass
    workers = []
    for name, raw in sorted(server.hgetall(keys.workers).items()):
        line = json.loads(raw)
        started = line.get("started_at") or line["seen_at"]
        elapsed = max(line["seen_at"] - started, 1e-9)
        ago = max(0.0, time.time() - line["seen_at"])
        workers.append(
            WorkerStatus(
                worker=_text(name),
                pages=int(line.get("pages", 0)),
                items=int(line.get("items", 0)),
                errors=int(line.get("errors", 0)),
                unchanged=int(line.get("unchanged", 0)),
                claims=int(line.get("claims", 0)),
                pages_per_s=round(line.get("pages", 0) / elapsed, 2),
                seen_s_ago=round(ago, 1),
                live=ago <= lease_s and not str(line.get("state", "")).startswith("exited"),
                state=str(line.get("state", "running")),
            )
        )
    return DistributedStatus(
        prefix=keys.prefix,
        control=control if control in CONTROL_STATES else f"unknown ({control})",
        queued=int(server.llen(keys.sites)),
        seeded=int(server.scard(keys.seeded)),
        done=int(server.scard(keys.done)),
        claims=int(server.hlen(keys.claims)),
        live_leases=int(server.zcount(keys.leases, f"({now * 1000:.0f}", "+inf")),
        expired_leases=int(server.zcount(keys.leases, "-inf", f"{now * 1000:.0f}")),
        reaped=int(server.get(keys.reaped) or 0),
        items_waiting=int(server.xlen(keys.items)),
        items_pending=pending,
        ingest_consumers=consumers,
        workers=workers,
    )


def set_control(server: redis.Redis, keys: RedisKeys, state: str) -> None:
    """Pause (no new claims), resume, or cancel (workers give their sites back and exit)."""
    if state not in CONTROL_STATES:
        raise ValueError(f"unknown run state {state!r}; expected one of {CONTROL_STATES}")
    if state == "running":
        server.delete(keys.control)
    else:
        server.set(keys.control, state)

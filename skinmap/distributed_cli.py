"""The distributed-crawl commands: `skinmap ingest --redis URL [--drain]`, `skinmap crawl status
--redis URL`, and `skinmap crawl pause|resume|cancel --redis URL` (see README, *Scaling*)."""

from __future__ import annotations

import argparse
import logging
import signal
from pathlib import Path

from skinmap import settings

log = logging.getLogger("skinmap.ingest")
DEFAULT_KEY = "skinmap:practices"


def _add_redis(sub: argparse.ArgumentParser, required: bool) -> None:
    sub.add_argument(
        "--redis", metavar="URL", required=required, help="the crawl's Redis (redis://host:port/db)"
    )
    sub.add_argument(
        "--key",
        default=DEFAULT_KEY,
        metavar="PREFIX",
        help=f"the crawl's key prefix, as the workers' SKINMAP_REDIS_KEY (default {DEFAULT_KEY})",
    )


def add_crawl_control_parsers(sources) -> None:
    """`crawl status` (with --redis: the distributed run) and `crawl pause|resume|cancel`."""
    status = sources.add_parser(
        "status", help="list crawl runs; with --redis, the distributed crawl's queue and workers"
    )
    _add_redis(status, required=False)
    for name, what in (
        ("pause", "workers finish the sites they hold and claim no more until resumed"),
        ("resume", "workers claim sites again"),
        ("cancel", "workers give their sites back to the queue and exit"),
    ):
        _add_redis(sources.add_parser(name, help=f"distributed crawl: {what}"), required=True)


def add_ingest_parser(commands) -> None:
    ingest = commands.add_parser(
        "ingest",
        help="write a distributed crawl's items from Redis into this data dir's store",
    )
    _add_redis(ingest, required=True)
    ingest.add_argument(
        "--drain", action="store_true", help="ingest what is queued, then exit (default: run on)"
    )
    ingest.add_argument("--batch", type=int, default=500, help="items per transaction (500)")


def _keys(args):
    from crawler.distributed import RedisKeys

    return RedisKeys(args.key)


def _lease_s() -> float:
    from crawler.distributed import lease_seconds

    return lease_seconds(settings.get("SKINMAP_REDIS_LEASE_S"))


def _wait_s() -> float:
    from crawler.item_stream import wait_seconds

    return wait_seconds(settings.get("SKINMAP_REDIS_WAIT_S"))


def cmd_ingest(args: argparse.Namespace, data_dir: Path) -> int:
    from crawler.distributed import connect
    from crawler.ingest import Ingest, counts_dict, run_ingest
    from index.store import Store

    if args.batch < 1:
        from crawler.distributed import BadDistributedSetting

        raise BadDistributedSetting("--batch must be 1 or more")
    lease_s, wait_s = _lease_s(), _wait_s()
    server = connect(args.redis)
    store = Store(Path(data_dir) / "store.sqlite3")
    stop = {"requested": False}

    def request_stop(signum, frame) -> None:
        stop["requested"] = True

    previous = [signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)]
    run_id = store.start_run("ingest", {"redis": args.redis, "key": args.key, "drain": args.drain})
    ingest = Ingest(server, _keys(args), store, run_id, reclaim_after_s=lease_s, batch=args.batch)
    status, errors = "failed", []
    print(
        f"ingesting {args.key} from {args.redis} into {data_dir / 'store.sqlite3'}"
        + (" until the stream is empty" if args.drain else " (Ctrl-C stops)"),
        flush=True,
    )
    try:
        counts = run_ingest(ingest, args.redis, args.drain, wait_s, lambda: stop["requested"])
        status = "finished"
    except Exception as error:
        errors.append(f"{type(error).__name__}: {error}")
        raise
    finally:
        for sig, handler in zip((signal.SIGINT, signal.SIGTERM), previous, strict=True):
            signal.signal(sig, handler)
        store.finish_run(run_id, status, counts_dict(ingest.counts), errors)
        store.close()
        server.close()
    print(
        f"ingest run {run_id} {status}: {counts.applied} observations written, {counts.repeated} "
        f"repeated deliveries skipped, {counts.rejected} rejected, {counts.reclaimed} taken over "
        "from a stopped ingest",
        flush=True,
    )
    return 0


def cmd_control(args: argparse.Namespace, data_dir: Path) -> int:
    from crawler.distributed import connect
    from crawler.distributed_status import set_control

    state = {"pause": "paused", "resume": "running", "cancel": "cancelled"}[args.source]
    server = connect(args.redis)
    try:
        set_control(server, _keys(args), state)
    finally:
        server.close()
    print(f"{args.key}: {state}; workers see it within a third of SKINMAP_REDIS_LEASE_S")
    return 0


def cmd_distributed_status(args: argparse.Namespace) -> int:
    from crawler.distributed import connect
    from crawler.distributed_status import read_status

    server = connect(args.redis)
    try:
        status = read_status(server, _keys(args), _lease_s())
    finally:
        server.close()
    print(f"distributed crawl {status.prefix} on {args.redis}: {status.control}")
    print(
        f"  sites: {status.seeded} seeded, {status.queued} queued, {status.claims} claimed "
        f"({status.live_leases} live leases, {status.expired_leases} expired), {status.done} done, "
        f"{status.reaped} re-queued after a lease expired"
    )
    consumers = ", ".join(status.ingest_consumers) or "none"
    print(
        f"  items waiting for ingest: {status.items_waiting} "
        f"({status.items_pending} read, not yet committed); ingest consumers: {consumers}"
    )
    for worker in status.workers:
        print(
            f"  worker {worker.worker:<24} {worker.state if worker.live or worker.state.startswith('exited') else 'silent':<18} "
            f"pages {worker.pages:>6} ({worker.pages_per_s:.1f}/s)  items {worker.items:>5}  "
            f"unchanged {worker.unchanged:>5}  errors {worker.errors:>3}  claims {worker.claims:>3}"
            f"  seen {worker.seen_s_ago:.0f} s ago"
        )
    if not status.workers:
        print("  no worker has reported yet")
    return 0

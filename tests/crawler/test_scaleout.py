"""THE scale-out proof, on loopback: a real redis-server, a web of 200 sites, three worker
processes and one ingest process. One worker and the ingest are killed with SIGKILL mid-run and
the ingest is started again; at the end every site was crawled, pages were fetched twice only on
the sites the killed worker held, and the one store holds exactly what a single-process crawl of
the same web stores, each observation once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from collections import Counter

import pytest

from benchmarks.loopweb import LoopWeb
from crawler.distributed import RedisKeys, connect
from crawler.ingest import GROUP
from index.store import Store
from tests.crawler.crawl_helpers import REPO, crawl_runs, stored_observations
from tests.crawler.redis_helpers import QUICK, RedisServer, skinmap, start, wait_for, worker_argv

SITES = 200
# Short, so the killed worker's sites come back soon, yet long enough that a live worker stalled
# by a busy machine (2 shared cores, 3 workers starting at once) keeps its leases.
LEASE_S = "10"
KEYS = RedisKeys()


def _comparable(observations) -> dict[tuple, str]:
    """Observations without the times that differ between two crawls."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("seen_at", "fetched_at")}
        if isinstance(value, list):
            return sorted((strip(v) for v in value), key=repr)
        return value

    return {
        (o.source, o.kind, o.source_key): repr(strip(o.payload))
        for o in observations
        if o.source == "practice_site"
    }


def _claims_of(server, worker: str) -> set[str]:
    import json

    return {
        root.decode()
        for root, claim in server.hgetall(KEYS.claims).items()
        if json.loads(claim)["worker"] == worker
    }


def _pending_of(server, consumer: str) -> int:
    try:
        return sum(
            c["pending"]
            for c in server.xinfo_consumers(KEYS.items, GROUP)
            if c["name"].decode() == consumer
        )
    except Exception:  # the stream or the group does not exist yet
        return 0


@pytest.mark.slow
def test_killed_worker_and_ingest_lose_nothing_and_duplicate_nothing(tmp_path):
    redis_server = RedisServer(tmp_path / "redis").start()
    server = connect(redis_server.url)
    main, single = tmp_path / "main", tmp_path / "single"
    Store(main / "store.sqlite3").close()  # migrated, so the test can hold its write lock
    env = {**os.environ, "SKINMAP_REDIS_LEASE_S": LEASE_S, "SKINMAP_REDIS_WAIT_S": "60"}
    logs = tmp_path / "logs"
    logs.mkdir()
    children: list[subprocess.Popen] = []
    try:
        with LoopWeb(SITES, pages=6, latency=0.1) as web:
            seeds = tmp_path / "seeds.txt"
            seeds.write_text("\n".join(web.urls) + "\n")
            first_ingest = start(
                skinmap(main, "ingest", "--redis", redis_server.url, "--batch", "20"),
                logs / "ingest-1.log",
                env,
            )
            children.append(first_ingest)
            wait_for(lambda: "ingesting" in (logs / "ingest-1.log").read_text(), 60, "ingest")
            # Hold the store's write lock (as a long admin write would): the ingest reads a
            # batch from Redis and waits to commit it. That is when it is killed.
            lock = sqlite3.connect(main / "store.sqlite3", isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")
            workers = [
                start(
                    worker_argv(
                        tmp_path / f"w{n}",
                        redis_server.url,
                        seeds,
                        "-s",
                        "SKINMAP_REDIS_SITES_IN_FLIGHT=4",
                    ),
                    logs / f"worker-{n}.log",
                    env,
                )
                for n in (1, 2, 3)
            ]
            children += workers
            hostname = os.uname().nodename
            ingest_name = f"{hostname}:{first_ingest.pid}"
            wait_for(lambda: _pending_of(server, ingest_name) > 0, 120, "a batch read by ingest")
            first_ingest.kill()
            first_ingest.wait(timeout=30)
            lock.rollback()
            lock.close()
            left_pending = _pending_of(server, ingest_name)
            assert left_pending > 0

            # Kill one worker mid-crawl, holding sites: freeze it, note what it holds, kill it.
            victim, victim_name = workers[0], f"{hostname}:{workers[0].pid}"
            held: set[str] = set()
            while not held:
                wait_for(
                    lambda: server.scard(KEYS.done) >= 30 and _claims_of(server, victim_name),
                    120,
                    "the first worker under way with sites claimed",
                )
                victim.send_signal(signal.SIGSTOP)
                held = _claims_of(server, victim_name)
                if not held:
                    victim.send_signal(signal.SIGCONT)
            victim.kill()
            victim.wait(timeout=30)
            assert server.scard(KEYS.done) < SITES, "killed too late to prove anything"

            second_ingest = start(
                skinmap(main, "ingest", "--redis", redis_server.url), logs / "ingest-2.log", env
            )
            children.append(second_ingest)
            for worker in workers[1:]:
                assert worker.wait(timeout=240) == 0, (logs / "worker-2.log").read_text()[-3000:]
            wait_for(
                lambda: (
                    server.xlen(KEYS.items) == 0
                    and server.xpending(KEYS.items, GROUP)["pending"] == 0
                ),
                120,
                "the ingest to drain the stream",
            )
            second_ingest.send_signal(signal.SIGTERM)
            assert second_ingest.wait(timeout=60) == 0, (logs / "ingest-2.log").read_text()
            distributed_fetches = web.fetches()
            done = {root.decode() for root in server.smembers(KEYS.done)}
            reaped = int(server.get(KEYS.reaped) or 0)

            mark = len(web.fetches())
            alone = subprocess.run(
                skinmap(single, "crawl", "practices", "--seeds", str(seeds)) + QUICK,
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=240,
            )
            assert alone.returncode == 0, alone.stderr[-3000:]
            assert len(web.fetches(mark)) > 0
            roots = list(web.urls)
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=30)
        server.close()
        redis_server.stop()

    # Every site was crawled and handed over.
    assert done == set(roots)
    assert reaped >= len(held)  # the killed worker's sites came back when their leases ran out
    practices = {o.source_key for o in stored_observations(main) if o.kind == "practice"}
    assert practices == set(roots)

    # From the web server's own log: pages fetched twice belong to sites the killed worker held.
    counts = Counter((fetch.host, fetch.path) for fetch in distributed_fetches)
    refetched_hosts = {host for (host, _), n in counts.items() if n > 1}
    held_hosts = {root.split("//")[1].split(":")[0] for root in held}
    assert refetched_hosts <= held_hosts
    assert sum(counts.values()) >= len(roots) * 7  # robots.txt and 6 pages per site at least

    # The store holds exactly what a single-process crawl stores, each observation once.
    main_observations = stored_observations(main)
    assert _comparable(main_observations) == _comparable(stored_observations(single))
    with Store(main / "store.sqlite3") as store:
        assert store.delivery_count() == len(main_observations)
    keys = [(o.source, o.kind, o.source_key) for o in main_observations]
    assert len(keys) == len(set(keys))

    # The second ingest took over what the killed one had read but not committed.
    ingests = [run for run in crawl_runs(main) if run.source == "ingest"]
    assert [run.status for run in ingests] == ["running", "finished"]  # the first was killed
    assert ingests[1].stats["reclaimed"] >= left_pending
    assert ingests[1].stats["applied"] == len(main_observations)

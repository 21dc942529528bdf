"""Redis goes down in the middle of a distributed crawl and comes back: the worker and the ingest
say so clearly, wait, and carry on; no item is lost (a real redis-server with an append-only
file is killed with SIGKILL and started again on the same port)."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from benchmarks.loopweb import LoopWeb
from crawler.distributed import RedisKeys, connect
from crawler.ingest import GROUP
from tests.crawler.crawl_helpers import crawl_runs, stored_observations
from tests.crawler.redis_helpers import RedisServer, skinmap, start, wait_for, worker_argv

SITES = 40
KEYS = RedisKeys()


@pytest.mark.slow
def test_a_redis_outage_mid_run_is_reported_waited_out_and_loses_no_item(tmp_path):
    redis_server = RedisServer(tmp_path / "redis", persist=True).start()
    env = {**os.environ, "SKINMAP_REDIS_LEASE_S": "10", "SKINMAP_REDIS_WAIT_S": "120"}
    main, logs = tmp_path / "main", tmp_path / "logs"
    logs.mkdir()
    children: list[subprocess.Popen] = []
    try:
        with LoopWeb(SITES, pages=6, latency=0.1, prefix="127.0.7.") as web:
            seeds = tmp_path / "seeds.txt"
            seeds.write_text("\n".join(web.urls) + "\n")
            ingest = start(
                skinmap(main, "ingest", "--redis", redis_server.url), logs / "ingest.log", env
            )
            worker = start(
                worker_argv(
                    tmp_path / "w", redis_server.url, seeds, "-s", "SKINMAP_REDIS_SITES_IN_FLIGHT=4"
                ),
                logs / "worker.log",
                env,
            )
            children += [ingest, worker]
            server = connect(redis_server.url)
            wait_for(lambda: server.scard(KEYS.done) >= 5, 120, "the crawl under way")
            server.close()

            redis_server.kill()
            wait_for(
                lambda: (
                    "is unreachable" in (logs / "worker.log").read_text()
                    and "is unreachable" in (logs / "ingest.log").read_text()
                ),
                60,
                "the worker and the ingest to report the outage",
            )
            assert worker.poll() is None and ingest.poll() is None  # both wait, neither died
            redis_server.start()  # same port, same append-only file

            assert worker.wait(timeout=240) == 0, (logs / "worker.log").read_text()[-3000:]
            server = connect(redis_server.url)
            wait_for(
                lambda: (
                    server.xlen(KEYS.items) == 0
                    and server.xpending(KEYS.items, GROUP)["pending"] == 0
                ),
                120,
                "the ingest to drain the stream",
            )
            done = {root.decode() for root in server.smembers(KEYS.done)}
            server.close()
            ingest.send_signal(signal.SIGTERM)
            assert ingest.wait(timeout=60) == 0, (logs / "ingest.log").read_text()
            roots = list(web.urls)
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=30)
        redis_server.stop()

    worker_log, ingest_log = (logs / "worker.log").read_text(), (logs / "ingest.log").read_text()
    assert f"Redis at {redis_server.url} is unreachable" in worker_log
    assert "reachable again" in worker_log or "is back; items flow again" in worker_log
    assert "Nothing is lost" in ingest_log and "reachable again" in ingest_log
    assert done == set(roots)
    practices = {o.source_key for o in stored_observations(main) if o.kind == "practice"}
    assert practices == set(roots)  # every site's items reached the store
    (run,) = crawl_runs(tmp_path / "w")
    assert run.status == "finished"
    stored = stored_observations(main)
    assert run.stats["item_scraped_count"] >= len(stored)  # each pushed item is in the store

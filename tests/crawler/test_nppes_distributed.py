"""NPPES on the same queue machinery: each (state, taxonomy) query is a task claimed with a lease,
paged and split by the worker that holds it; two workers and an ingest store what one process
stores (real redis-server, the demo web's NPI API)."""

from __future__ import annotations

import subprocess

import pytest

from crawler.distributed import RedisKeys, connect
from crawler.spiders.nppes import TAXONOMY_DESCRIPTIONS, task_root
from tests.crawler.crawl_helpers import REPO, crawl_runs, stored_observations
from tests.crawler.redis_helpers import QUICK, RedisServer, skinmap

STATES = ("TX", "CO", "GA")


def test_a_query_task_is_named_by_state_and_taxonomy():
    assert task_root("TX", "Dermatology") == "nppes|TX|Dermatology"


def _nppes(data_dir, api_url: str, *extra: str) -> list[str]:
    argv = skinmap(data_dir, "crawl", "nppes", "--api-url", api_url)
    for state in STATES:
        argv += ["--state", state]
    return argv + QUICK + list(extra)


def _payloads(data_dir) -> dict[str, dict]:
    return {o.source_key: o.payload for o in stored_observations(data_dir) if o.source == "nppes"}


@pytest.mark.slow
def test_two_nppes_workers_share_the_queries_and_the_store_matches_one_process(tmp_path):
    from skinmap.demoweb import start_demo_web

    redis_server = RedisServer(tmp_path / "redis").start()
    try:
        with start_demo_web() as web:
            workers = [
                subprocess.Popen(
                    _nppes(tmp_path / f"w{n}", web.npi_api_url, "--redis", redis_server.url)
                    + ["-s", "SKINMAP_REDIS_SITES_IN_FLIGHT=2"],
                    cwd=REPO,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for n in (1, 2)
            ]
            single = subprocess.run(
                _nppes(tmp_path / "single", web.npi_api_url),
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=180,
            )
            for worker in workers:
                _, stderr = worker.communicate(timeout=180)
                assert worker.returncode == 0, stderr[-3000:]
        assert single.returncode == 0, single.stderr[-3000:]
        ingest = subprocess.run(
            skinmap(tmp_path / "main", "ingest", "--redis", redis_server.url)
            + ["--key", "skinmap:nppes", "--drain"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ingest.returncode == 0, ingest.stderr[-3000:]
        server = connect(redis_server.url)
        keys = RedisKeys("skinmap:nppes")
        done = {root.decode() for root in server.smembers(keys.done)}
        assert server.hlen(keys.claims) == 0 and server.xlen(keys.items) == 0
        server.close()
    finally:
        redis_server.stop()

    assert done == {task_root(s, t) for s in STATES for t in TAXONOMY_DESCRIPTIONS}
    assert _payloads(tmp_path / "main") == _payloads(tmp_path / "single")
    assert _payloads(tmp_path / "main")  # the demo NPI API has practitioners to find
    runs = [run for n in (1, 2) for run in crawl_runs(tmp_path / f"w{n}")]
    assert (
        sum(run.stats.get("nppes/pages", 0) for run in runs)
        == crawl_runs(tmp_path / "single")[0].stats["nppes/pages"]
    )  # every query page fetched once across the two workers

"""Distributed crawls on a real Redis: site claims, the shared page filter, and two crawler
processes sharing one crawl of the demo web (crawler/distributed.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.distributed import (
    DistributedNotSupported,
    RedisKeys,
    RedisUnavailable,
    SharedCrawl,
    SiteTask,
    connect,
    site_tasks,
)
from crawler.spiders.practice_site import site_root
from tests.crawler.crawl_helpers import REPO, crawl_runs, stored_observations
from tests.crawler.redis_helpers import RedisServer, free_port, skinmap


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real, throwaway redis-server on a free loopback port (no persistence)."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture
def redis_db(redis_url):
    server = connect(redis_url)
    server.flushdb()
    yield server
    server.close()


def _worker(server, name: str, in_flight: int = 4, lease_s: float = 60) -> SharedCrawl:
    return SharedCrawl(
        server=server, keys=RedisKeys("t"), worker=name, sites_in_flight=in_flight, lease_s=lease_s
    )


# ------------------------------------------------------------------------------------ pure parts


def test_site_tasks_group_start_urls_by_site_in_first_seen_order():
    urls = [
        "http://127.0.1.2:8000/",
        "http://127.0.1.1:8000/team.html",
        "http://127.0.1.2:8000/services/",
        "http://127.0.1.1:8000/team.html",
    ]
    assert site_tasks(urls, site_root) == [
        SiteTask(
            "http://127.0.1.2:8000/", ("http://127.0.1.2:8000/", "http://127.0.1.2:8000/services/")
        ),
        SiteTask("http://127.0.1.1:8000/", ("http://127.0.1.1:8000/team.html",)),
    ]


def test_a_site_task_survives_its_redis_encoding():
    task = SiteTask("http://127.0.1.5:8000/", ("http://127.0.1.5:8000/", "http://127.0.1.5:8000/a"))
    assert SiteTask.decode(task.encode().encode()) == task


def test_one_crawl_keeps_all_its_keys_under_its_prefix():
    keys = RedisKeys("skinmap:crawl-7")
    names = [keys.sites, keys.seeded, keys.done, keys.pages, keys.claims, keys.leases, keys.items]
    names += [keys.control, keys.workers, keys.reaped, keys.site_pages("http://127.0.1.1:8000/")]
    assert all(name.startswith("skinmap:crawl-7:") for name in names)
    assert len(set(names)) == len(names)


def test_an_unreachable_redis_is_reported_as_such():
    with pytest.raises(RedisUnavailable, match="cannot reach Redis"):
        connect(f"redis://127.0.0.1:{free_port()}/0")


def test_only_the_practice_site_and_nppes_crawls_can_be_shared_through_redis(tmp_path):
    from crawler.run import run_spider

    with pytest.raises(DistributedNotSupported, match="practice-site and NPPES crawls only"):
        run_spider("cms", tmp_path, {"source": "x.csv"}, {}, redis_url="redis://127.0.0.1:1/0")
    assert not (tmp_path / "store.sqlite3").exists()  # refused before any crawl run is recorded


def test_a_redis_url_reaches_the_spider_through_the_crawl_settings(tmp_path):
    from crawler.run import crawl_settings

    settings = crawl_settings(tmp_path, 1, "practices", {}, False, "redis://127.0.0.1:6379/2")
    assert settings.get("SKINMAP_REDIS_URL") == "redis://127.0.0.1:6379/2"
    assert crawl_settings(tmp_path, 1, "practices", {}, False).get("SKINMAP_REDIS_URL") is None


# ------------------------------------------------------------------------ on a real redis-server


@pytest.mark.slow
def test_seeding_the_same_sites_from_two_workers_queues_each_site_once(redis_db):
    tasks = site_tasks([f"http://127.0.1.{k}:8000/" for k in range(1, 6)], site_root)
    first, second = _worker(redis_db, "a"), _worker(redis_db, "b")
    assert first.seed(tasks) == 5
    assert second.seed(tasks) == 0
    assert first.remaining() == 5


@pytest.mark.slow
def test_two_workers_never_claim_the_same_site(redis_db):
    tasks = site_tasks([f"http://127.0.1.{k}:8000/" for k in range(1, 12)], site_root)
    first, second = _worker(redis_db, "a"), _worker(redis_db, "b")
    first.seed(tasks)
    claimed: dict[str, list[str]] = {"a": [], "b": []}
    while True:
        got = [(name, worker.claim()) for name, worker in (("a", first), ("b", second))]
        if all(task is None for _, task in got):
            break
        for name, task in got:
            if task is not None:
                claimed[name].append(task.root)
    assert not set(claimed["a"]) & set(claimed["b"])
    assert sorted(claimed["a"] + claimed["b"]) == sorted(t.root for t in tasks)
    assert first.remaining() == 0


@pytest.mark.slow
def test_a_page_is_new_to_exactly_one_worker(redis_db):
    first, second = _worker(redis_db, "a"), _worker(redis_db, "b")
    url, root = "http://127.0.1.1:8000/team.html", "http://127.0.1.1:8000/"
    assert first.first_sighting(url, root)
    assert not second.first_sighting(url, root)
    assert not first.first_sighting(url, root)


@pytest.mark.slow
def test_a_finished_site_moves_from_the_claims_to_the_done_set(redis_db):
    worker = _worker(redis_db, "a")
    worker.seed(site_tasks(["http://127.0.1.1:8000/"], site_root))
    task = worker.claim()
    assert redis_db.hlen(worker.keys.claims) == 1
    assert worker.live_leases() == 1
    assert worker.finish(task.root)
    assert not worker.finish(task.root)  # a second report of the same site changes nothing
    assert redis_db.hlen(worker.keys.claims) == 0
    assert worker.live_leases() == 0
    assert redis_db.smembers(worker.keys.done) == {b"http://127.0.1.1:8000/"}
    assert worker.claims == {}


@pytest.mark.slow
def test_released_sites_go_back_first_with_their_pages_forgotten(redis_db):
    leaving, staying = _worker(redis_db, "a"), _worker(redis_db, "b")
    leaving.seed(site_tasks(["http://127.0.1.1:8000/", "http://127.0.1.2:8000/"], site_root))
    task = leaving.claim()
    assert leaving.first_sighting(task.root + "team.html", task.root)

    assert leaving.release() == [task.root]

    assert redis_db.hlen(leaving.keys.claims) == 0
    assert staying.claim() == task  # back at the head of the queue
    assert staying.first_sighting(task.root + "team.html", task.root)


def _expire_now(redis_db, worker: SharedCrawl, root: str) -> None:
    """Move a lease's expiry into the past, as the clock would (no sleeping in tests)."""
    redis_db.zadd(worker.keys.leases, {root: 0})


@pytest.mark.slow
def test_an_expired_lease_is_requeued_by_another_worker_with_its_pages_forgotten(redis_db):
    dead, alive = _worker(redis_db, "dead"), _worker(redis_db, "alive")
    dead.seed(site_tasks(["http://127.0.1.1:8000/", "http://127.0.1.2:8000/"], site_root))
    task = dead.claim()
    assert dead.first_sighting(task.root + "team.html", task.root)
    assert alive.reap() == []  # a live lease is left alone
    _expire_now(redis_db, dead, task.root)

    assert alive.reap() == [task.root]

    assert redis_db.hlen(alive.keys.claims) == 0
    assert alive.live_leases() == 0
    assert int(redis_db.get(alive.keys.reaped)) == 1
    assert alive.claim() == task  # at the head of the queue, before the never-claimed site
    assert alive.first_sighting(task.root + "team.html", task.root)


@pytest.mark.slow
def test_renewing_pushes_the_lease_forward_and_reports_sites_taken_over(redis_db):
    worker, other = _worker(redis_db, "a", lease_s=5), _worker(redis_db, "b")
    worker.seed(site_tasks(["http://127.0.1.1:8000/"], site_root))
    task = worker.claim()
    first_expiry = redis_db.zscore(worker.keys.leases, task.root)
    worker.lease_s = 600
    assert worker.renew() == []
    assert redis_db.zscore(worker.keys.leases, task.root) >= first_expiry + 500_000
    # Its lease ran out and another worker took the site: renewing says so and extends nothing.
    _expire_now(redis_db, worker, task.root)
    other.reap()
    assert other.claim() == task
    assert worker.renew() == [task.root]


@pytest.mark.slow
def test_a_site_finished_after_its_lease_ran_out_leaves_the_queue(redis_db):
    slow, other = _worker(redis_db, "slow"), _worker(redis_db, "other")
    slow.seed(site_tasks(["http://127.0.1.1:8000/"], site_root))
    task = slow.claim()
    _expire_now(redis_db, slow, task.root)
    other.reap()
    assert slow.remaining() == 1
    slow.finish(task.root)  # its items were handed over after all
    assert slow.remaining() == 0
    assert redis_db.sismember(slow.keys.done, task.root)


# --------------------------------------------------------------- two crawler processes, one crawl

QUICK = ["-s", "DOWNLOAD_DELAY=0.05", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=0"]


def _crawl_argv(data_dir: Path, start_urls: list[str], *extra: str) -> list[str]:
    argv = [sys.executable, "-m", "skinmap", "--data-dir", str(data_dir), "crawl", "practices"]
    for url in start_urls:
        argv += ["--start-url", url]
    return argv + QUICK + list(extra)


def _fetched(path: Path) -> list[str]:
    return [json.loads(line)["url"] for line in path.read_text().splitlines()]


def _practitioners(data_dir: Path) -> dict[str, tuple]:
    """Practice-site practitioner observations, without the timestamps that differ per crawl."""
    found = {}
    for obs in stored_observations(data_dir):
        if obs.source == "practice_site" and obs.kind == "practitioner":
            payload = obs.payload
            found[obs.source_key] = (
                payload["name"],
                payload["npi"],
                tuple(sorted(payload["specialties"])),
                tuple(sorted(e["quote"] for e in payload["evidence"])),
                payload["profile_url"],
            )
    return found


@pytest.mark.slow
def test_two_processes_share_one_crawl_of_the_demo_web_fetching_every_page_once(
    tmp_path, redis_url, redis_db
):
    from skinmap.demoweb import start_demo_web

    main_dir, single_dir = tmp_path / "main", tmp_path / "single"
    worker_dirs = [tmp_path / f"worker-{n}" for n in (1, 2)]
    with start_demo_web() as web:
        roots = [site.url for site in web.sites]
        workers = [
            subprocess.Popen(
                _crawl_argv(worker_dirs[n - 1], roots, "--redis", redis_url)
                # Few sites in flight each, so the two processes interleave over the 24 sites.
                + ["-s", "SKINMAP_REDIS_SITES_IN_FLIGHT=3"]
                + ["-s", f"SKINMAP_FETCH_LOG={tmp_path / f'fetched-{n}.jsonl'}"],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in (1, 2)
        ]
        single = subprocess.run(
            _crawl_argv(single_dir, roots), cwd=REPO, capture_output=True, text=True, timeout=120
        )
        outputs = [worker.communicate(timeout=120) for worker in workers]

    for worker, (_, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr[-3000:]
    assert single.returncode == 0, single.stderr[-3000:]
    ingest = subprocess.run(
        skinmap(main_dir, "ingest", "--redis", redis_url, "--drain"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ingest.returncode == 0, ingest.stderr[-3000:]

    runs = [run for worker_dir in worker_dirs for run in crawl_runs(worker_dir)]
    assert [run.status for run in runs] == ["finished", "finished"]
    # The workers' own stores hold their runs only: the one system of record is main_dir.
    assert all(stored_observations(worker_dir) == [] for worker_dir in worker_dirs)

    per_worker = [_fetched(tmp_path / f"fetched-{n}.jsonl") for n in (1, 2)]
    counts = Counter(url for urls in per_worker for url in urls)
    assert [url for url, n in counts.items() if n > 1] == []
    assert all(per_worker), "both processes should have crawled some sites"
    sites_of = [{site_root(url) for url in urls} for urls in per_worker]
    assert not sites_of[0] & sites_of[1]  # a site is crawled by one process only
    assert sites_of[0] | sites_of[1] == set(roots)
    single_run = crawl_runs(single_dir)[0]
    assert sum(counts.values()) == single_run.stats["response_received_count"]

    observations = [o for o in stored_observations(main_dir) if o.source == "practice_site"]
    practices = [o.source_key for o in observations if o.kind == "practice"]
    assert sorted(practices) == sorted(roots)
    # No repeats in the first place: items pushed by the two runs add up to what the store holds.
    stored = Counter()
    for run in runs:
        stored["practice"] += run.stats.get("skinmap/pushed/practice", 0)
        stored["practitioner"] += run.stats.get("skinmap/pushed/practitioner", 0)
    assert stored["practice"] == len(practices)
    assert stored["practitioner"] == len(observations) - len(practices)
    assert _practitioners(main_dir) == _practitioners(single_dir)
    assert _practitioners(main_dir)  # the demo web has physicians to find

    keys = RedisKeys()
    # Every page request went through the shared filter, and site affinity left it nothing to refuse.
    assert redis_db.scard(keys.pages) == sum(run.stats["scheduler/enqueued"] for run in runs)
    assert all("skinmap/redis/pages_seen_elsewhere" not in run.stats for run in runs)
    assert redis_db.llen(keys.sites) == 0
    assert {m.decode() for m in redis_db.smembers(keys.done)} == set(roots)
    assert redis_db.hlen(keys.claims) == 0
    assert redis_db.xlen(keys.items) == 0  # all ingested
    assert all(urlsplit(url).hostname.startswith("127.0.1.") for url in counts)


@pytest.mark.slow
def test_a_stopped_worker_gives_its_unfinished_sites_back_to_be_crawled_whole(
    tmp_path, redis_url, redis_db
):
    import signal
    import time

    from skinmap.demoweb import start_demo_web

    data_dir, fetch_log = tmp_path / "data", tmp_path / "fetched-stopped.jsonl"
    with start_demo_web() as web:
        roots = [site.url for site in web.sites]
        stopped = subprocess.Popen(
            _crawl_argv(data_dir, roots, "--redis", redis_url)
            + ["-s", "DOWNLOAD_DELAY=0.3", "-s", "SKINMAP_REDIS_SITES_IN_FLIGHT=4"]
            + ["-s", f"SKINMAP_FETCH_LOG={fetch_log}"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Stop it (as Ctrl-C would) once it is under way, with sites claimed and half read.
        deadline = time.monotonic() + 60
        while stopped.poll() is None and time.monotonic() < deadline:
            if fetch_log.exists() and len(fetch_log.read_text().splitlines()) >= 6:
                break
            time.sleep(0.05)
        stopped.send_signal(signal.SIGINT)
        stopped.communicate(timeout=60)  # the CLI reports the interrupted run; its status is below

        finishing = subprocess.run(
            _crawl_argv(data_dir, roots, "--redis", redis_url),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert finishing.returncode == 0, finishing.stderr[-3000:]
    ingest = subprocess.run(
        skinmap(tmp_path / "main", "ingest", "--redis", redis_url, "--drain"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ingest.returncode == 0, ingest.stderr[-3000:]

    first, second = crawl_runs(data_dir)
    assert first.status == "interrupted"
    assert first.stats["skinmap/redis/sites_released"] >= 1
    assert second.status == "finished"
    practices = [
        o.source_key
        for o in stored_observations(tmp_path / "main")
        if o.source == "practice_site" and o.kind == "practice"
    ]
    assert sorted(practices) == sorted(roots)
    # Released sites were not emitted by the stopped worker: every site was emitted once.
    emitted = [run.stats.get("skinmap/pushed/practice", 0) for run in (first, second)]
    assert sum(emitted) == len(roots)
    assert redis_db.llen(RedisKeys().sites) == 0
    assert redis_db.hlen(RedisKeys().claims) == 0

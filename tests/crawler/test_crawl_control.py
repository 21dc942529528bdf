"""Operating a distributed crawl from the CLI: `crawl status --redis` and pause / resume / cancel,
with a real redis-server and a real worker process."""

from __future__ import annotations

import subprocess

import pytest

from benchmarks.loopweb import LoopWeb
from crawler.distributed import RedisKeys, connect
from skinmap.cli import main
from tests.crawler.crawl_helpers import crawl_runs
from tests.crawler.redis_helpers import RedisServer, start, wait_for, worker_argv

KEYS = RedisKeys()


@pytest.fixture
def redis_url(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server.url
    server.stop()


@pytest.mark.slow
def test_a_paused_run_claims_nothing_until_resumed_and_status_shows_it(tmp_path, redis_url, capsys):
    assert main(["crawl", "pause", "--redis", redis_url]) == 0
    server = connect(redis_url)
    with LoopWeb(8, pages=4, prefix="127.0.8.") as web:
        seeds = tmp_path / "seeds.txt"
        seeds.write_text("\n".join(web.urls) + "\n")
        worker = start(worker_argv(tmp_path / "w", redis_url, seeds), tmp_path / "worker.log")
        try:
            wait_for(lambda: server.hlen(KEYS.workers) == 1, 60, "the worker's first report")
            assert server.llen(KEYS.sites) == 8  # seeded, none claimed
            assert server.hlen(KEYS.claims) == 0
            capsys.readouterr()
            assert main(["--data-dir", str(tmp_path), "crawl", "status", "--redis", redis_url]) == 0
            status = capsys.readouterr().out
            assert ": paused" in status
            assert "8 seeded, 8 queued, 0 claimed" in status
            assert "items waiting for ingest: 0" in status

            assert main(["crawl", "resume", "--redis", redis_url]) == 0
            assert worker.wait(timeout=120) == 0, (tmp_path / "worker.log").read_text()[-3000:]
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=30)
    assert server.scard(KEYS.done) == 8
    assert server.xlen(KEYS.items) == 16  # a practice and a physician per site, for the ingest
    capsys.readouterr()
    main(["--data-dir", str(tmp_path), "crawl", "status", "--redis", redis_url])
    assert "exited (finished)" in capsys.readouterr().out
    server.close()


@pytest.mark.slow
def test_a_cancelled_run_stops_its_workers_and_keeps_the_queue(tmp_path, redis_url):
    assert main(["crawl", "cancel", "--redis", redis_url]) == 0
    server = connect(redis_url)
    with LoopWeb(3, pages=4, prefix="127.0.9.") as web:
        seeds = tmp_path / "seeds.txt"
        seeds.write_text("\n".join(web.urls) + "\n")
        done = subprocess.run(
            worker_argv(tmp_path / "w", redis_url, seeds),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2
    assert "interrupted" in done.stderr
    assert [run.status for run in crawl_runs(tmp_path / "w")] == ["interrupted"]
    assert server.llen(KEYS.sites) == 3  # still queued for a resumed run
    server.close()


def test_pause_resume_and_cancel_need_the_crawls_redis(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["crawl", "pause"])
    assert exit_.value.code == 2
    assert "--redis" in capsys.readouterr().err

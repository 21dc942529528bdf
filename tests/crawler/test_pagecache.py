"""Conditional requests on recrawl (crawler/pagecache.py): validators and facts kept per URL, a
304 keeps the observation and moves it forward, and the second crawl of an unchanged web costs
a small fraction of the first one's bytes (measured from the web server's own log)."""

from __future__ import annotations

import subprocess
from collections import Counter

import pytest

from benchmarks.loopweb import LoopWeb
from crawler.pagecache import CachedPage, SqlitePageCache
from skinmap.cli import main
from tests.crawler.crawl_helpers import REPO, crawl_runs
from tests.crawler.redis_helpers import QUICK, skinmap


def test_a_cached_page_survives_its_encoding_and_asks_with_its_validators():
    page = CachedPage('"abc"', "Tue, 01 Dec 2026 10:00:00 GMT", {"url": "http://a.test/"})
    assert CachedPage.decode(page.encode()) == page
    assert page.headers() == {
        "If-None-Match": '"abc"',
        "If-Modified-Since": "Tue, 01 Dec 2026 10:00:00 GMT",
    }
    assert CachedPage(None, None, {}).headers() == {}


def test_an_unreadable_cache_entry_is_a_miss():
    assert CachedPage.decode(b"not zlib") is None


def test_the_single_process_cache_keeps_the_latest_entry_per_url(tmp_path):
    cache = SqlitePageCache(tmp_path / "crawls" / "pages.sqlite3")
    cache.put("http://a.test/", CachedPage('"1"', None, {"n": 1}))
    cache.put("http://a.test/", CachedPage('"2"', None, {"n": 2}))
    assert cache.get("http://a.test/") == CachedPage('"2"', None, {"n": 2})
    assert cache.get("http://b.test/") is None
    cache.close()


def _observations(data_dir):
    from index.store import Store

    with Store(data_dir / "store.sqlite3") as store:
        return {s.observation.source_key: s for s in store.observations()}


def _without_seen_at(payload: dict) -> dict:
    evidence = [{k: v for k, v in e.items() if k != "seen_at"} for e in payload["evidence"]]
    return {**payload, "evidence": evidence}


@pytest.mark.slow
def test_a_recrawl_of_an_unchanged_web_gets_304s_and_keeps_every_observation(tmp_path, capsys):
    data_dir = tmp_path / "data"
    with LoopWeb(12, pages=6, prefix="127.0.10.") as web:
        seeds = tmp_path / "seeds.txt"
        seeds.write_text("\n".join(web.urls) + "\n")
        argv = skinmap(data_dir, "crawl", "practices", "--seeds", str(seeds)) + QUICK
        first = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr[-3000:]
        mark = len(web.fetches())
        before = _observations(data_dir)
        second = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stderr[-3000:]
        first_fetches, second_fetches = web.fetches()[:mark], web.fetches(mark)
    after = _observations(data_dir)

    pages = [f for f in second_fetches if f.path != "/robots.txt"]
    assert Counter(f.status for f in pages) == {304: len(pages)}
    first_bytes = sum(f.bytes for f in first_fetches)
    second_bytes = sum(f.bytes for f in second_fetches)
    assert second_bytes * 20 < first_bytes  # robots.txt only

    runs = crawl_runs(data_dir)
    assert runs[1].stats["skinmap/unchanged_pages"] == len(pages)
    assert set(after) == set(before)
    for key, stored in after.items():
        was = before[key]
        assert stored.id == was.id  # the same observation, kept
        assert stored.run_id == runs[1].id  # re-observed by the second crawl
        assert stored.last_seen >= was.last_seen
        assert _without_seen_at(stored.observation.payload) == _without_seen_at(
            was.observation.payload
        )
    main(["--data-dir", str(data_dir), "crawl", "status"])
    assert f"unchanged pages {len(pages)}" in capsys.readouterr().out

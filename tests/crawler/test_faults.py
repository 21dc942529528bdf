"""The practice crawl against the fault web (tests/crawler/faultweb.py): it finishes, keeps every
valid listing, never asks for what robots.txt forbids, cuts off huge and bomb responses, stays out of
endless traps and keeps its memory bounded.

One real crawl (the `skinmap crawl practices` CLI in a subprocess) is shared by every test here.
"""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.store import Store
from tests.crawler.faultweb import (
    BOMB_BLOCK,
    BOMB_BLOCKS,
    HUGE_BYTES,
    FaultWeb,
    build_gzip_bomb,
    huge_chunks,
    huge_page_length,
    start_fault_web,
)

REPO = Path(__file__).resolve().parents[2]
PAGE_CAP = 25
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 3
# The hanging pages cost (RETRY_TIMES + 1) * DOWNLOAD_TIMEOUT; everything else is loopback-fast.
CRAWL_TIME_LIMIT = 120.0
PEAK_RSS_LIMIT_MB = 400


@dataclass
class FaultCrawl:
    web: FaultWeb
    returncode: int
    peak_rss_mb: float
    seconds: float
    practitioners: dict[str, dict]  # name -> payload
    practices: list[dict]
    run_status: str
    stats: dict
    output: str


def _high_water_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), 0 when it has gone."""
    try:
        if b"skinmap" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return 0.0  # not yet exec'd: still this test process's memory
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) / 1024 if match else 0.0


def _wait_with_rusage(process: subprocess.Popen, limit: float) -> tuple[int, float]:
    """Wait for `process` (killing it past `limit` seconds); return (exit status, its peak RSS in MB).

    The peak is the crawler's own: /proc's VmHWM belongs to the program the child runs, while
    rusage's ru_maxrss also counts the pages it shared with this (large) test process between
    fork and exec. Polled, and the child's last word before it exits is in it.
    """
    deadline = time.monotonic() + limit
    peak = 0.0
    while True:
        peak = max(peak, _high_water_mb(process.pid))
        pid, status, _usage = os.wait4(process.pid, os.WNOHANG)
        if pid == process.pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, peak
        if time.monotonic() > deadline:
            process.send_signal(signal.SIGKILL)
            _pid, status, _usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            pytest.fail(f"the crawl did not finish within {limit:.0f} s; killed it")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory) -> FaultCrawl:
    data_dir = tmp_path_factory.mktemp("faults")
    log_path = data_dir / "cli-output.txt"
    with start_fault_web() as web:
        argv = [sys.executable, "-m", "skinmap", "--data-dir", str(data_dir), "crawl", "practices"]
        for site in web.sites.values():
            for url in site.start_urls:
                argv += ["--start-url", url]
        for setting in (
            f"DOWNLOAD_TIMEOUT={DOWNLOAD_TIMEOUT}",
            f"SKINMAP_MAX_PAGES_PER_SITE={PAGE_CAP}",
            f"RETRY_TIMES={RETRY_TIMES}",
            "DOWNLOAD_DELAY=0",
            "AUTOTHROTTLE_ENABLED=False",
            "SKINMAP_RETRY_BACKOFF_BASE=0.1",
            "SKINMAP_RETRY_BACKOFF_MAX=0.5",
            "LOG_ENABLED=True",  # the checks below read Scrapy's log lines from the output
        ):
            argv += ["-s", setting]
        started = time.monotonic()
        with open(log_path, "wb") as log:
            process = subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
            returncode, peak_rss_mb = _wait_with_rusage(process, CRAWL_TIME_LIMIT)
        seconds = time.monotonic() - started
        store = Store(data_dir / "store.sqlite3")
        try:
            practitioners = {
                o.observation.payload["name"]: o.observation.payload
                for o in store.observations("practitioner")
            }
            practices = [o.observation.payload for o in store.observations("practice")]
            run = store.runs()[-1]
        finally:
            store.close()
    output = log_path.read_text(encoding="utf-8", errors="replace")
    print(f"\nfault crawl: {seconds:.1f} s, peak RSS {peak_rss_mb:.0f} MB, exit {returncode}")
    return FaultCrawl(
        web,
        returncode,
        peak_rss_mb,
        seconds,
        practitioners,
        practices,
        run.status,
        run.stats,
        output,
    )


@pytest.mark.slow
def test_the_crawl_exits_normally_and_records_a_finished_run(crawl):
    assert crawl.returncode == 0, crawl.output[-3000:]
    assert crawl.run_status == "finished"


@pytest.mark.slow
def test_every_valid_listing_on_the_fault_web_is_stored(crawl):
    expected = {name for site in crawl.web.sites.values() for name in site.physicians}
    missing = expected - set(crawl.practitioners)
    assert not missing, f"missing {sorted(missing)}; stored {sorted(crawl.practitioners)}"


@pytest.mark.slow
def test_every_site_robots_txt_lets_us_read_is_stored_as_a_practice_and_no_other(crawl):
    closed = {"robots503", "robotshang"}
    expected = {site.url for name, site in crawl.web.sites.items() if name not in closed}
    assert {practice["website"] for practice in crawl.practices} == expected


@pytest.mark.slow
def test_no_name_that_only_a_fault_would_reveal_is_stored(crawl):
    # Behind robots.txt, after 50 MB, or in a page that never finished arriving.
    forbidden = {name for site in crawl.web.sites.values() for name in site.forbidden}
    assert forbidden and not forbidden & set(crawl.practitioners)


@pytest.mark.slow
def test_a_page_that_fails_twice_with_503_is_retried_until_it_answers(crawl):
    flaky = [p for p in crawl.web.paths("healthy") if p == "/flaky.html"]
    assert len(flaky) == 3
    assert "Iris Tanaka" in crawl.practitioners


@pytest.mark.slow
def test_no_request_goes_to_a_path_robots_txt_disallows(crawl):
    asked = crawl.web.paths("healthy")
    assert "/team.html" in asked  # the site was crawled at all
    assert [p for p in asked if p.startswith("/private/")] == []
    assert "Robin Trapp" not in crawl.practitioners


@pytest.mark.slow
def test_a_site_whose_robots_txt_answers_503_is_not_crawled(crawl):
    # RFC 9309 2.3.1.4: an unreachable robots.txt (5xx) means complete disallow.
    asked = crawl.web.paths("robots503")
    assert asked and set(asked) == {"/robots.txt"}, asked
    assert "Walter Brennan" not in crawl.practitioners


@pytest.mark.slow
def test_a_site_whose_robots_txt_never_answers_is_not_crawled(crawl):
    # A timeout is a network error: RFC 9309 treats robots.txt as unreachable, so complete disallow.
    asked = crawl.web.paths("robotshang")
    assert asked and set(asked) == {"/robots.txt"}, asked
    assert "Nadia Frost" not in crawl.practitioners


@pytest.mark.slow
def test_a_site_whose_robots_txt_answers_404_is_crawled_in_full(crawl):
    asked = crawl.web.paths("robots404")
    assert {"/robots.txt", "/", "/team.html"} <= set(asked)


@pytest.mark.slow
def test_hanging_responses_are_given_up_after_the_download_timeout_and_its_retries(crawl):
    asked = crawl.web.paths("hang")
    for path in ("/slow.html", "/stall.html"):
        assert 1 <= asked.count(path) <= RETRY_TIMES + 1, asked
    assert "Stella Stall" not in crawl.practitioners


@pytest.mark.slow
def test_a_response_that_trickles_forever_is_cut_off_by_the_download_timeout(crawl):
    asked = crawl.web.paths("trickle")
    assert 1 <= asked.count("/trickle.html") <= RETRY_TIMES + 1, asked
    assert "Omar Quill" in crawl.practitioners


@pytest.mark.slow
def test_fifty_megabyte_pages_are_cut_off_at_the_download_size_cap(crawl):
    host = crawl.web.sites["huge"].host
    for path in ("/huge.html", "/huge-declared.html"):
        assert path in crawl.web.paths("huge")
        assert crawl.web.bytes_sent[(host, path)] < HUGE_BYTES // 2
    assert "Oliver Overflow" not in crawl.practitioners


@pytest.mark.slow
def test_a_gzip_bomb_is_not_inflated_past_the_size_cap(crawl):
    assert "/bomb.html" in crawl.web.paths("bomb")
    # Scrapy's HttpCompressionMiddleware stops inflating at DOWNLOAD_MAXSIZE and says so.
    cut = [
        line
        for line in crawl.output.splitlines()
        if "bomb.html" in line and "decompression" in line
    ]
    assert cut, "no sign that the gzip bomb was cut off while inflating"
    assert crawl.peak_rss_mb < PEAK_RSS_LIMIT_MB


@pytest.mark.slow
def test_the_crawlers_peak_memory_stays_bounded(crawl):
    assert 0 < crawl.peak_rss_mb < PEAK_RSS_LIMIT_MB


@pytest.mark.slow
def test_endless_calendars_archives_and_redirect_chains_stay_under_the_page_cap(crawl):
    asked = crawl.web.paths("trap")
    pages = [p for p in asked if p != "/robots.txt"]
    assert len(pages) <= PAGE_CAP, f"{len(pages)} requests: {pages}"
    # The trap is reachable and was entered, so the cap (not luck) is what stopped it.
    assert any(p.startswith("/archive/") for p in pages)


@pytest.mark.slow
def test_no_host_gets_more_requests_than_the_page_cap_plus_robots_and_retries(crawl):
    for name in crawl.web.sites:
        asked = crawl.web.paths(name)
        retries = len(asked) - len(set(asked))
        assert len(asked) <= PAGE_CAP + 1 + retries, (name, asked)


@pytest.mark.slow
def test_broken_html_and_wrong_charsets_still_yield_their_listings(crawl):
    for name in ("Lena Marsh", "Paul Moreau", "Grace Olsen"):
        assert name in crawl.practitioners
    assert "/junk.html" in crawl.web.paths("healthy")


@pytest.mark.slow
def test_a_redirect_loop_ends(crawl):
    loop = [p for p in crawl.web.paths("healthy") if p.startswith("/loop/")]
    assert 1 <= len(loop) <= 21  # Scrapy's REDIRECT_MAX_TIMES is 20


# ---------------------------------------------------------------- the fault web itself


def test_the_gzip_bomb_is_a_valid_gzip_stream_of_repeated_blocks():
    head, chunk, tail = build_gzip_bomb(block_size=4096, blocks=50)
    inflated = gzip.decompress(head + chunk * 49 + tail)  # checks the CRC and the length too
    assert len(inflated) == 4096 * 50
    assert inflated.startswith(b"<!DOCTYPE html>")


def test_the_served_gzip_bomb_is_small_and_inflates_past_a_gigabyte():
    head, chunk, tail = build_gzip_bomb()
    assert len(head) + len(chunk) * (BOMB_BLOCKS - 1) + len(tail) < 2 * 1024 * 1024
    # Every repeated chunk is a flushed deflate segment: it inflates to one block on its own.
    inflater = zlib.decompressobj(31)
    assert len(inflater.decompress(head)) == BOMB_BLOCK
    assert len(inflater.decompress(chunk)) == BOMB_BLOCK
    assert len(inflater.decompress(chunk)) == BOMB_BLOCK
    assert BOMB_BLOCK * BOMB_BLOCKS > 1_000_000_000


def test_the_declared_length_of_the_huge_page_is_honest():
    closing = b"<h1>the end</h1>"
    total = 300_000
    assert huge_page_length(total, closing) == sum(len(c) for c in huge_chunks(total, closing))
    assert huge_page_length(total, closing) >= total

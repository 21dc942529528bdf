"""The crawl throughput benchmark: its synthetic web, its arithmetic, and a tiny end-to-end run
(no timings are asserted: they are noise here)."""

from __future__ import annotations

import re
import urllib.request

import pytest

from benchmarks import crawl_throughput as bench


def test_a_synthetic_site_links_every_page_from_its_home_page():
    site = bench.synthetic_site(7, pages=9)
    assert len(site.pages) == 9
    home_links = set(re.findall(r'href="/([^"]+)"', site.pages["index.html"]))
    assert home_links == set(site.pages)


def test_a_synthetic_site_names_its_physician_and_quotes_the_offer_with_a_fictional_phone():
    site = bench.synthetic_site(3, pages=4)
    assert f"{bench.physician_name(3)}, MD" in site.pages["team.html"]
    assert "We offer microneedling" in site.pages["microneedling.html"]
    assert "555-0103" in site.pages["contact.html"]


def test_a_site_needs_room_for_its_four_fact_pages():
    with pytest.raises(ValueError, match="at least 4 pages"):
        bench.synthetic_site(1, pages=3)


def test_scrapy_stats_are_read_from_the_stats_dump():
    log = (
        "2026-11-25 15:00:10 [scrapy.statscollectors] INFO: Dumping Scrapy stats:\n"
        "{'downloader/request_count': 1210,\n 'elapsed_time_seconds': 10.5,\n"
        " 'finish_reason': 'closespider_timeout',\n 'response_received_count': 1200,\n"
        " 'scheduler/enqueued/memory': 9000}\n"
    )
    stats = bench.scrapy_stats(log)
    assert stats["response_received_count"] == 1200
    assert bench.run_rate(stats) == {"pages": 1200, "seconds": 10.5, "ppm": 6857.1}


def test_processes_sharing_a_crawl_are_timed_from_first_start_to_last_finish():
    runs = [
        {
            "start_time": "2026-11-25T15:00:00+00:00",
            "finish_time": "2026-11-25T15:00:20+00:00",
            "response_received_count": 300,
        },
        {
            "start_time": "2026-11-25T15:00:05+00:00",
            "finish_time": "2026-11-25T15:00:30+00:00",
            "response_received_count": 200,
        },
    ]
    assert bench.shared_rate(runs) == {"pages": 500, "seconds": 30.0, "ppm": 1000.0}


def test_ratios_are_missing_rather_than_invented_without_a_baseline():
    assert bench.ratio(1000.0, None) is None
    assert bench.ratio(1000.0, 4000.0) == 0.25


def test_the_synthetic_web_serves_each_site_on_its_own_loopback_address():
    with bench.SyntheticWeb(sites=2, pages=4) as web:
        assert [url.split(":")[1] for url in web.urls] == ["//127.0.4.1", "//127.0.4.2"]
        with urllib.request.urlopen(web.urls[1] + "team.html", timeout=10) as response:
            assert bench.physician_name(2) in response.read().decode()


@pytest.mark.slow
def test_a_tiny_benchmark_run_crawls_every_page_and_reports_a_rate(tmp_path):
    report = bench.measure(
        sites=3, pages=5, workers=1, polite=False, bench=False, work_dir=tmp_path
    )
    # 3 sites x (5 pages + robots.txt); one practice and one physician per site.
    assert report["fast"]["pages"] == 18
    assert report["fast"]["items"] == 6
    assert report["fast"]["ppm"] > 0
    line = bench.bench_line(report)
    assert line.startswith("crawl_bench: sites=3 pages=18 fast_ppm=")
    assert "scrapy_bench_ppm=None" in line

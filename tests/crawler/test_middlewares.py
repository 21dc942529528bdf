import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from crawler.middlewares import (
    PageCapMiddleware,
    UrlHygieneMiddleware,
    backoff_delay,
    canonical_url,
    parse_retry_after,
    site_of,
    trap_reason,
)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://a.test/events/calendar?month=2026-12", "calendar"),
        ("http://a.test/calendar/", "calendar"),
        ("http://a.test/blog/2024/05/", "calendar"),
        ("http://a.test/events/2026-11-25/", "calendar"),
        ("http://a.test/page?PHPSESSID=abc", "session_id"),
        ("http://a.test/page;jsessionid=ABC123", "session_id"),
        ("http://a.test/products?sort=price", "sort_filter"),
        ("http://a.test/team/?filter=doctors", "sort_filter"),
        ("http://a.test/a/b/a/b/a/b/", "repeating_path"),
        ("http://a.test/" + "x/" * 12, "deep_path"),
        ("http://a.test/?q=" + "x" * 400, "too_long"),
    ],
)
def test_crawler_traps_are_recognised(url, reason):
    assert trap_reason(url) == reason


@pytest.mark.parametrize(
    "url",
    ["http://a.test/", "http://a.test/team/ana-ruiz.html", "http://a.test/blog/2024/05/microneedling-tips/",
     "http://a.test/services/microneedling?page=2"],
)  # fmt: skip
def test_ordinary_practice_pages_are_not_traps(url):
    assert trap_reason(url) is None


def test_canonical_urls_drop_fragments_and_tracking_and_sort_the_query():
    assert canonical_url("http://a.test/x?b=2&a=1&utm_source=mail#top") == "http://a.test/x?a=1&b=2"


def test_same_site_means_scheme_host_and_port():
    assert site_of("http://127.0.1.3:8301/team/") == site_of("http://127.0.1.3:8301/")
    assert site_of("http://127.0.1.3:8301/") != site_of("http://127.0.1.3:8302/")
    assert site_of("http://a.test/") == site_of("http://a.test:80/")
    assert site_of("http://a.test/") != site_of("https://a.test/")


def test_hygiene_middleware_drops_traps_and_canonicalises_the_rest():
    crawler = get_crawler()
    crawler.stats.open_spider()
    middleware = UrlHygieneMiddleware(crawler)
    assert middleware.get_processed_request(Request("http://a.test/calendar/"), None) is None
    assert crawler.stats.get_value("skinmap/trap/calendar") == 1
    kept = middleware.get_processed_request(Request("http://a.test/x?b=1&a=2#frag"), None)
    assert kept.url == "http://a.test/x?a=2&b=1"


def test_page_cap_counts_per_site_and_skips_robots_and_retries():
    crawler = get_crawler(settings_dict={"SKINMAP_MAX_PAGES_PER_SITE": 2})
    crawler.stats.open_spider()
    middleware = PageCapMiddleware.from_crawler(crawler)
    middleware.process_request(Request("http://a.test/robots.txt"))
    first = Request("http://a.test/1")
    middleware.process_request(first)
    middleware.process_request(first)  # a retry of the same request is not a new page
    middleware.process_request(Request("http://a.test/2"))
    middleware.process_request(Request("http://b.test/1"))  # another site has its own budget
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request("http://a.test/3"))
    assert crawler.stats.get_value("skinmap/page_cap_dropped") == 1


def test_backoff_doubles_honours_retry_after_and_is_capped():
    assert backoff_delay(0.0, 2.0, 60.0) == 2.0
    assert backoff_delay(8.0, 2.0, 60.0) == 16.0
    assert backoff_delay(1.0, 2.0, 60.0, retry_after=30.0) == 30.0
    assert backoff_delay(50.0, 2.0, 60.0) == 60.0
    assert parse_retry_after(b"120") == 120.0
    assert parse_retry_after(b"Wed, 21 Oct 2026 07:28:00 GMT") is None


def test_the_cookie_middlewares_suffix_list_never_comes_from_the_internet():
    from scrapy.downloadermiddlewares import cookies

    import crawler.middlewares  # noqa: F401 - importing it installs the offline suffix list

    assert tuple(cookies._split_domain.suffix_list_urls) == ()
    assert cookies._split_domain("www.example.co.uk").suffix == "co.uk"

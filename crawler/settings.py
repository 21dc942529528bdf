"""Scrapy settings for skinmap's crawlers; every value that differs from Scrapy's default says why."""

import os

BOT_NAME = "skinmap"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Identify ourselves and say where crawling is explained, so site owners can reach us.
USER_AGENT = "skinmapbot/0.1 (+https://github.com/skinmap/skinmap#crawling)"
# Practices decide what we may read.
ROBOTSTXT_OBEY = True

# Politeness: adapt to each server's latency, never hammer one site.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Spread concurrency across sites instead of draining one site's queue first.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"

# A practice page answers in well under 20 s; giving up sooner frees the slot for other sites.
DOWNLOAD_TIMEOUT = 20
# Practice pages are small; anything over 5 MB is a video or a dump, not a page.
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1 * 1024 * 1024
# Practice sites are shallow: team, services and contact pages are a few clicks from home.
DEPTH_LIMIT = 4
# skinmap's own per-site page cap, enforced by crawler.middlewares.PageCapMiddleware.
SKINMAP_MAX_PAGES_PER_SITE = 60

# Retry transient failures a little more than the default, slowing the site down each time.
RETRY_ENABLED = True
RETRY_TIMES = 3
SKINMAP_RETRY_BACKOFF_BASE = 2.0
SKINMAP_RETRY_BACKOFF_MAX = 60.0

# We never log in and never need a session. Disabling cookies also keeps Scrapy's cookie
# middleware (the only user of tldextract, which would fetch the public-suffix list from the
# internet on first use) out of the crawl.
COOKIES_ENABLED = False
# No remote console on a crawler host (telnet, nor Scrapy 2.19's remote-control HTTP server).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# Scrapy 2.19 has only the modern request fingerprinter (REQUEST_FINGERPRINTER_IMPLEMENTATION is
# gone), so nothing to set for it.

SPIDER_MIDDLEWARES = {
    # Canonicalise followed URLs and drop crawler traps before they reach the scheduler.
    "crawler.middlewares.UrlHygieneMiddleware": 550,
}
DOWNLOADER_MIDDLEWARES = {
    # robots.txt that cannot be fetched (5xx, 429, timeouts) means "crawl nothing" (RFC 9309).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.StrictRobotsTxtMiddleware": 100,
    # Per-site page cap (after robots.txt, 100, and before the download).
    "crawler.middlewares.PageCapMiddleware": 120,
    # Retry with exponential backoff replaces Scrapy's plain retry.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
}
ITEM_PIPELINES = {
    # Reject items that break the contract, counting reasons in the stats.
    "crawler.pipelines.ValidatePipeline": 100,
    # Write observations to the store (enabled when SKINMAP_DATA_DIR and SKINMAP_RUN_ID are set,
    # and the crawl is not distributed).
    "crawler.pipelines.StorePipeline": 300,
    # Distributed crawls (SKINMAP_REDIS_URL): push observations to the Redis item stream instead.
    "crawler.item_stream.ItemStreamPipeline": 310,
    # Write observations as JSON lines (enabled when SKINMAP_ITEMS_JSONL is set; tests and debugging).
    "crawler.pipelines.JsonLinesPipeline": 400,
}
# Set by crawler.run.run_spider for each crawl.
SKINMAP_DATA_DIR = None
SKINMAP_RUN_ID = None
SKINMAP_ITEMS_JSONL = None
SKINMAP_PAGE_JOURNAL = None

# Distributed crawls (crawler/distributed.py), set by crawler.run.run_spider for `--redis URL`.
SKINMAP_REDIS_URL = None
# One crawl's keys in Redis; a new national crawl takes a new prefix (keys persist after a crawl).
SKINMAP_REDIS_KEY = "skinmap:practices"
# Sites each process crawls at once. A site gives one page every 1-2 s at best (delay, AutoThrottle,
# links found only as its pages are read), so 16 download slots at ~0.5 s latency need dozens of
# sites to stay busy; a site's state in memory is a few kB.
SKINMAP_REDIS_SITES_IN_FLIGHT = 64
# A claimed site's lease (seconds): renewed every third of it while the site is crawled; a site
# whose lease runs out (its worker died) is re-queued by whichever worker notices. The
# SKINMAP_REDIS_LEASE_S environment setting (README) sets it for every crawl on this machine.
SKINMAP_REDIS_LEASE_S = os.environ.get("SKINMAP_REDIS_LEASE_S") or 60
# How long a worker waits for an unreachable Redis (items kept in memory) before it stops.
SKINMAP_REDIS_WAIT_S = os.environ.get("SKINMAP_REDIS_WAIT_S") or 300
# Recrawls ask "changed since?" (If-None-Match / If-Modified-Since) for pages seen before, and a
# 304 reuses what the page said then (crawler/pagecache.py): a weekly refresh costs what changed.
SKINMAP_CONDITIONAL_REQUESTS = True
# The Redis hash holding the page cache of distributed crawls (shared by later crawls).
SKINMAP_PAGE_CACHE_KEY = "skinmap:pagecache"
# JSON-lines record of every response (URL, status, worker); unset = off.
SKINMAP_FETCH_LOG = None
EXTENSIONS = {
    # Records fetched URLs when SKINMAP_FETCH_LOG is set (checks "fetched once" across processes).
    "crawler.distributed.FetchLog": 500,
}

# Long crawls live in the logs; INFO keeps per-request DEBUG noise out of them.
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

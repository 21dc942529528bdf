"""Run one crawl in this process: record it as a crawl run in the store and log it to a file.

Twisted's reactor cannot restart, so call `run_spider` once per process (the CLI does; tests call
the CLI in a subprocess).
"""

from __future__ import annotations

import logging
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

SPIDER_NAMES = ("practices", "nppes", "cms", "directory")
DISTRIBUTED_SPIDERS = ("practices", "nppes")
MAX_ERRORS_KEPT = 50
_STATUS_BY_REASON = {
    "finished": "finished",
    "shutdown": "interrupted",
    "closespider_timeout": "finished",
    "cancelled": "interrupted",  # `skinmap crawl cancel` of a distributed crawl
}


class UnknownSpider(ValueError):
    """No spider of that name."""


class _ErrorCollector(logging.Handler):
    """Keeps the first ERROR-level messages of a crawl for the crawl run's `errors`."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < MAX_ERRORS_KEPT:
            self.messages.append(f"{record.name}: {record.getMessage()}"[:2000])


def crawl_settings(
    data_dir: Path,
    run_id: int,
    name: str,
    overrides: dict[str, str],
    resume: bool,
    redis_url: str | None = None,
) -> Settings:
    """crawler.settings, then the run's own values, then the caller's overrides (as `scrapy -s`)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("SKINMAP_DATA_DIR", str(data_dir), priority="project")
    settings.set("SKINMAP_RUN_ID", run_id, priority="project")
    if redis_url:
        settings.set("SKINMAP_REDIS_URL", redis_url, priority="project")
    if resume:
        job_dir = data_dir / "crawls" / f"{name}-job"
        if name == "practices":
            # The practice spider journals page facts itself (see crawler/spiders/practice_site.py):
            # Scrapy's JOBDIR cannot survive SIGKILL nor restore per-site aggregates.
            settings.set("SKINMAP_PAGE_JOURNAL", str(job_dir / "pages.jsonl"), priority="project")
        else:
            settings.set("JOBDIR", str(job_dir), priority="project")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_status(finish_reason: str | None, fatal: str | None = None) -> str:
    """The crawl run's status from Scrapy's finish reason; a spider's `skinmap/fatal` stat fails it."""
    if finish_reason is None or fatal:
        return "failed"
    return _STATUS_BY_REASON.get(finish_reason, "failed")


def _jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, (datetime, date)) else value
        for key, value in stats.items()
    }


OWN_LOGGERS = frozenset({"crawler", "skinmap", "index"})


def _shown_on_terminal(record: logging.LogRecord) -> bool:
    return (
        record.levelno >= logging.ERROR
        or record.name == "scrapy.extensions.logstats"
        or (record.levelno >= logging.WARNING and record.name.split(".")[0] in OWN_LOGGERS)
    )


def _progress_handler() -> logging.Handler:
    """The terminal's view of a crawl: Scrapy's periodic "Crawled N pages …, scraped M items"
    line, our own warnings ("Redis … is unreachable") and every error; everything else, Scrapy's
    warnings included, is in the run's log file."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.INFO)
    handler.addFilter(_shown_on_terminal)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    return handler


def run_spider(
    name: str,
    data_dir: Path,
    spider_args: dict,
    settings_overrides: dict[str, str],
    resume: bool = False,
    redis_url: str | None = None,
) -> int:
    """Run spider `name` to completion, recorded as a crawl run; returns the run id.

    With `redis_url`, this process is one worker of a distributed crawl (crawler/distributed.py).
    """
    if name not in SPIDER_NAMES:
        raise UnknownSpider(f"unknown spider {name!r}; expected one of {SPIDER_NAMES}")
    if redis_url:
        from crawler.distributed import DistributedNotSupported, connect

        if name not in DISTRIBUTED_SPIDERS:
            raise DistributedNotSupported(
                f"--redis shares practice-site and NPPES crawls only, not {name!r}"
            )
        if "SKINMAP_REDIS_KEY" not in (settings_overrides or {}):
            # Each source gets its own queue and item stream (`ingest --key skinmap:<source>`).
            settings_overrides = {
                **(settings_overrides or {}),
                "SKINMAP_REDIS_KEY": f"skinmap:{name}",
            }
        connect(redis_url).close()  # fail before a crawl run is recorded
    from index.store import Store

    data_dir = Path(data_dir)
    (data_dir / "crawls").mkdir(parents=True, exist_ok=True)
    store = Store(data_dir / "store.sqlite3")
    try:
        run_id = store.start_run(name, spider_args)
    finally:
        store.close()

    overrides = dict(settings_overrides or {})
    # The terminal shows progress and errors only; Scrapy's own log goes to the run's log file
    # (`-s LOG_ENABLED=True` shows it on the terminal too, as `scrapy crawl` does).
    quiet = "LOG_ENABLED" not in overrides
    if quiet:
        overrides["LOG_ENABLED"] = "False"
        overrides.setdefault("LOGSTATS_INTERVAL", "15")
    settings = crawl_settings(data_dir, run_id, name, overrides, resume, redis_url)
    process = CrawlerProcess(settings)
    log_path = data_dir / "crawls" / f"{run_id}.log"
    terminal = _progress_handler() if quiet else None
    if terminal is not None:
        print(f"crawl run {run_id} ({name}) started; Scrapy's log: {log_path}", file=sys.stderr)
    log_file = logging.FileHandler(log_path, encoding="utf-8")
    log_file.setLevel(logging.INFO)
    log_file.setFormatter(
        logging.Formatter(settings.get("LOG_FORMAT"), datefmt=settings.get("LOG_DATEFORMAT"))
    )
    collector = _ErrorCollector()
    root = logging.getLogger()
    root.addHandler(log_file)
    root.addHandler(collector)
    if terminal is not None:
        root.addHandler(terminal)
    stats: dict[str, Any] = {}
    status = "failed"
    try:
        crawler = process.create_crawler(name)
        process.crawl(crawler, **{k: v for k, v in spider_args.items() if v is not None})
        process.start()
        stats = _jsonable(crawler.stats.get_stats())
        status = run_status(stats.get("finish_reason"), stats.get("skinmap/fatal"))
    except Exception as error:  # recorded on the run, then re-raised for the CLI to report
        collector.messages.append(f"{type(error).__name__}: {error}")
        raise
    finally:
        root.removeHandler(log_file)
        root.removeHandler(collector)
        if terminal is not None:
            root.removeHandler(terminal)
        log_file.close()
        store = Store(data_dir / "store.sqlite3")
        try:
            store.finish_run(run_id, status, stats, collector.messages)
        finally:
            store.close()
    return run_id

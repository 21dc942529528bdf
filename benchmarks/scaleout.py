"""Scale-out benchmark: 1, 2 and 4 distributed workers over one loopback web, against `scrapy bench`.

`python -m benchmarks.scaleout` serves `--sites` fictional practice sites (benchmarks/loopweb.py),
every response held `--latency` seconds (0.5 s: a small practice site on shared hosting), and
crawls them with the shipped politeness (1 s per-site delay, AutoThrottle) through Redis with N
worker processes (`skinmap crawl practices --redis`), then drains the items into one store with
`skinmap ingest --drain`. For each N it reports pages/s (all workers' responses over first start to
last finish) and the speed-up against 1 worker; `scrapy bench` (Scrapy's own link-following
spider, run in the same session) is the baseline for pages/s.

Then the same web is crawled again (one worker, a new crawl key, the same Redis and so the same
page cache): every page is asked "changed since?" and answers 304, and the bytes the web server
sent in each crawl are reported.

It ends with the one line other tooling reads: `scaleout_bench: sites=… pages=… w1_pps=… w2_pps=…
w4_pps=… speedup_w2=… speedup_w4=… scrapy_bench_pps=… w4_vs_bench=… first_bytes=…
recrawl_bytes=… recrawl_ratio=… national_h_w1=… national_h_w4=… national_h_w8=…`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.crawl_throughput import _RedisServer, ratio, run_scrapy_bench, shared_rate
from benchmarks.loopweb import LoopWeb

REPO = Path(__file__).resolve().parents[1]
DEFAULT_LATENCY = 0.5
NATIONAL_REQUESTS = (
    600_000  # 20,000 sites x 30 requests (README, "How long a national crawl takes")
)


def _skinmap(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "skinmap", "--data-dir", str(data_dir), *args]


def _runs(data_dir: Path) -> list[dict[str, Any]]:
    from index.store import Store

    store = Store(data_dir / "store.sqlite3")
    try:
        return [run.stats for run in store.runs()]
    finally:
        store.close()


def distributed_crawl(
    seeds: Path, work: Path, redis_url: str, workers: int, key: str, settings: dict[str, str]
) -> dict[str, Any]:
    """`workers` processes crawl the seeds through Redis, then one ingest drains the items."""
    argv_extra = ["-s", f"SKINMAP_REDIS_KEY={key}"]
    for name, value in settings.items():
        argv_extra += ["-s", f"{name}={value}"]
    children = [
        subprocess.Popen(
            _skinmap(work / f"worker-{n}", "crawl", "practices", "--seeds", str(seeds))
            + ["--redis", redis_url]
            + argv_extra,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(workers)
    ]
    for child in children:
        _, stderr = child.communicate(timeout=3600)
        if child.returncode != 0:
            raise RuntimeError(f"worker failed (exit {child.returncode}): {stderr[-2000:]}")
    started = time.monotonic()
    ingest = subprocess.run(
        _skinmap(work / "main", "ingest", "--redis", redis_url, "--key", key, "--drain"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if ingest.returncode != 0:
        raise RuntimeError(f"ingest failed: {ingest.stderr[-2000:]}")
    runs = [stats for n in range(workers) for stats in _runs(work / f"worker-{n}")]
    rate = shared_rate(runs)
    return {
        "workers": workers,
        "pages": rate["pages"],
        "seconds": rate["seconds"],
        "pps": round(rate["pages"] / rate["seconds"], 2) if rate["seconds"] else 0.0,
        "items": sum(int(stats.get("item_scraped_count", 0)) for stats in runs),
        "unchanged_pages": sum(int(stats.get("skinmap/unchanged_pages", 0)) for stats in runs),
        "ingest_seconds": round(time.monotonic() - started, 2),
    }


def national_hours(pps: float | None) -> float | None:
    return round(NATIONAL_REQUESTS / pps / 3600, 2) if pps else None


def measure(
    sites: int,
    pages: int,
    latency: float,
    worker_counts: tuple[int, ...],
    bench: bool,
    work: Path,
    settings: dict[str, str] | None = None,
) -> dict[str, Any]:
    settings = settings or {}
    report: dict[str, Any] = {"sites": sites, "pages_per_site": pages, "latency_s": latency}
    with LoopWeb(sites, pages=pages, latency=latency, prefix="127.0.12.") as web:
        seeds = work / "seeds.txt"
        seeds.write_text("\n".join(web.urls) + "\n", encoding="utf-8")
        for workers in worker_counts:
            with _RedisServer() as redis_url:
                mark = len(web.fetches())
                run = distributed_crawl(
                    seeds, work / f"w{workers}", redis_url, workers, "bench:first", settings
                )
                run["bytes"] = sum(f.bytes for f in web.fetches(mark))
                report[f"w{workers}"] = run
                if workers == worker_counts[0]:
                    mark = len(web.fetches())
                    again = distributed_crawl(
                        seeds, work / "recrawl", redis_url, workers, "bench:second", settings
                    )
                    again["bytes"] = sum(f.bytes for f in web.fetches(mark))
                    report["recrawl"] = again
    if bench:
        scrapy = run_scrapy_bench()
        report["scrapy_bench"] = {**scrapy, "pps": round(scrapy["ppm"] / 60, 2)}
    base = report.get(f"w{worker_counts[0]}", {}).get("pps")
    for workers in worker_counts:
        run = report[f"w{workers}"]
        run["speedup"] = ratio(run["pps"], base)
        run["vs_scrapy_bench"] = ratio(run["pps"], report.get("scrapy_bench", {}).get("pps"))
        run["national_hours"] = national_hours(run["pps"])
    if base:
        # Beyond the measured counts, each worker adds the 1-worker rate (16 download slots).
        report["national_hours_8_workers_extrapolated"] = national_hours(base * 8)
    return report


def bench_line(report: dict[str, Any]) -> str:
    def get(name: str, field: str):
        return report.get(name, {}).get(field)

    first, again = get("w1", "bytes"), get("recrawl", "bytes")
    return (
        f"scaleout_bench: sites={report['sites']} pages={get('w1', 'pages')} "
        f"w1_pps={get('w1', 'pps')} w2_pps={get('w2', 'pps')} w4_pps={get('w4', 'pps')} "
        f"speedup_w2={get('w2', 'speedup')} speedup_w4={get('w4', 'speedup')} "
        f"scrapy_bench_pps={get('scrapy_bench', 'pps')} w4_vs_bench={get('w4', 'vs_scrapy_bench')} "
        f"first_bytes={first} recrawl_bytes={again} recrawl_ratio={ratio(again, first)} "
        f"national_h_w1={get('w1', 'national_hours')} national_h_w4={get('w4', 'national_hours')} "
        f"national_h_w8={report.get('national_hours_8_workers_extrapolated')}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaleout", description=__doc__)
    parser.add_argument("--sites", type=int, default=200, help="loopback practice sites")
    parser.add_argument("--pages", type=int, default=10, help="pages per site (>= 4)")
    parser.add_argument("--latency", type=float, default=DEFAULT_LATENCY, help="seconds/response")
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run (1,2,4)")
    parser.add_argument("--no-bench", action="store_true", help="skip `scrapy bench`")
    parser.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Scrapy setting for every worker (default: the shipped politeness)",
    )
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    counts = tuple(int(n) for n in args.workers.split(","))
    settings = dict(pair.split("=", 1) for pair in args.settings)
    with tempfile.TemporaryDirectory(prefix="scaleout-bench-") as work:
        report = measure(
            args.sites, args.pages, args.latency, counts, not args.no_bench, Path(work), settings
        )
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(bench_line(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Crawl throughput: the practice spider on a synthetic web of many loopback sites, against `scrapy bench`.

`python -m benchmarks.crawl_throughput` (about a minute on 2 cores) serves `--sites` fictional
practice sites of `--pages` pages each, one loopback address per site (127.0.4.k), and crawls them:

- fast: politeness off (DOWNLOAD_DELAY=0, no AutoThrottle): what the spider, its extraction and the
  store cost in CPU;
- polite: skinmap's shipped settings (1 s per-site delay, AutoThrottle): what bounds a real crawl;
- polite_wan: the same, with every response held `--latency` seconds (0.5 s by default, a small
  practice site on shared hosting), so the 16 download slots, not only the delay, bound it;
- redis: `--workers` processes sharing the fast crawl through a throwaway redis-server (skipped
  when redis-server is not installed); redis_polite_wan: the same for the polite_wan crawl, where
  workers add download slots instead of competing for CPU;
- scrapy bench: Scrapy's own benchmark (it serves its own link farm on port 8998, contacted on
  localhost) as the baseline: a spider that only follows links.

It ends with the one line other tooling reads: `crawl_bench: sites=… pages=… fast_ppm=…
polite_ppm=… polite_wan_ppm=… redis_ppm=… redis_polite_wan_ppm=… scrapy_bench_ppm=…
fast_vs_bench=… polite_vs_bench=… polite_wan_vs_bench=… redis_vs_bench=…`
(ppm = pages per minute, responses received over Scrapy's elapsed time; ratios above 1.0 mean
faster than `scrapy bench`).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HOST_PREFIX = "127.0.4."
FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "RETRY_TIMES": "0"}
POLITE: dict[str, str] = {}  # skinmap's shipped settings, unchanged
SCRAPY_BENCH_SECONDS = 10
DEFAULT_LATENCY = 0.5  # seconds; a small-business web host's typical time to first byte

FIRST_NAMES = ("Ana", "Noah", "Priya", "Caleb", "Mei", "Omar", "Lena", "Tomas", "Ruth", "Idris")
LAST_NAMES = ("Vale", "Okafor", "Lindqvist", "Brandt", "Serrano", "Havel", "Quist", "Moreau")
FILLER = (
    "Our clinic treats acne scars, fine lines and uneven texture with a plan made for your skin. "
    "Appointments start with a consultation about your goals, your history and your downtime. "
)


@dataclass(frozen=True)
class SyntheticSite:
    """One fictional practice: its pages by path."""

    number: int
    pages: dict[str, str]


def physician_name(number: int) -> str:
    return f"{FIRST_NAMES[number % len(FIRST_NAMES)]} {LAST_NAMES[number % len(LAST_NAMES)]}"


def synthetic_site(number: int, pages: int) -> SyntheticSite:
    """A practice site of `pages` HTML pages, all linked from its home page (depth 1).

    Home, team, microneedling and contact carry the facts the spider extracts; the rest are
    articles, so the page count can grow without changing what the site says.
    """
    if pages < 4:
        raise ValueError("a synthetic site has at least 4 pages (home, team, service, contact)")
    practice = f"Synthetic Skin Clinic {number}"
    doctor = physician_name(number)
    phone = f"(512) 555-01{number % 100:02d}"
    bodies = {
        "index.html": f"<h1>{practice}</h1><p>Dermatology for the whole family.</p>",
        "team.html": f"<h1>Our team</h1><h2>{doctor}, MD, FAAD</h2>"
        f"<p>{doctor} is a board-certified dermatologist.</p>",
        "microneedling.html": "<h1>Microneedling</h1><p>We offer microneedling with SkinPen "
        "for acne scars and fine lines, from $300 a session.</p>",
        "contact.html": f"<h1>Contact</h1><p>{practice}, 100 Example Road, Austin, TX 78701. "
        f"Call {phone}.</p>",
    }
    for article in range(1, pages - len(bodies) + 1):
        bodies[f"article-{article}.html"] = f"<h1>Skin care notes {article}</h1>"
    nav = " ".join(f'<a href="/{path}">{path.removesuffix(".html")}</a>' for path in bodies)
    html = {
        path: f"<!DOCTYPE html><html><head><title>{practice}</title></head><body>"
        f"<header><nav>{nav}</nav></header><main>{body}<p>{FILLER * 6}</p></main>"
        f"<footer>{practice} &middot; {phone}</footer></body></html>"
        for path, body in bodies.items()
    }
    return SyntheticSite(number, html)


def pages_per_minute(pages: int, seconds: float) -> float:
    return pages / seconds * 60 if seconds > 0 else 0.0


def ratio(value: float | None, baseline: float | None) -> float | None:
    return round(value / baseline, 3) if value and baseline else None


_STAT = re.compile(r"'(?P<name>[a-z_/]+)': (?P<value>[0-9.]+)")


def scrapy_stats(text: str) -> dict[str, float]:
    """The numeric stats of Scrapy's "Dumping Scrapy stats" block in a log."""
    return {m["name"]: float(m["value"]) for m in _STAT.finditer(text)}


def run_rate(stats: dict[str, Any]) -> dict[str, float]:
    """Pages, seconds and pages/min of one crawl run's stats."""
    pages = int(stats.get("response_received_count", 0))
    seconds = float(stats.get("elapsed_time_seconds", 0.0))
    return {
        "pages": pages,
        "seconds": round(seconds, 2),
        "ppm": round(pages_per_minute(pages, seconds), 1),
    }


def shared_rate(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Pages/min of processes sharing one crawl: all their pages over first start to last finish."""
    starts = [datetime.fromisoformat(stats["start_time"]) for stats in runs]
    ends = [datetime.fromisoformat(stats["finish_time"]) for stats in runs]
    pages = sum(int(stats.get("response_received_count", 0)) for stats in runs)
    seconds = (max(ends) - min(starts)).total_seconds()
    return {
        "pages": pages,
        "seconds": round(seconds, 2),
        "ppm": round(pages_per_minute(pages, seconds), 1),
    }


# ------------------------------------------------------------------------------------ I/O shell


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def _handler(site: SyntheticSite, latency: float) -> type[BaseHTTPRequestHandler]:
    class SiteHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            if latency:
                time.sleep(latency)  # the network and server time of a real host
            path = self.path.lstrip("/") or "index.html"
            if path == "robots.txt":
                body, kind, status = b"User-agent: *\nAllow: /\n", "text/plain", 200
            elif path in site.pages:
                body, kind, status = site.pages[path].encode(), "text/html; charset=utf-8", 200
            else:
                body, kind, status = b"not found", "text/plain", 404
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

    return SiteHandler


@dataclass
class SyntheticWeb:
    """`sites` practice sites served on HOST_PREFIX + k, each response after `latency` seconds."""

    sites: int
    pages: int
    latency: float = 0.0
    urls: list[str] = field(default_factory=list)
    _servers: list[ThreadingHTTPServer] = field(default_factory=list)

    def __enter__(self) -> SyntheticWeb:
        if not 1 <= self.sites <= 254:
            raise ValueError("1 to 254 sites fit on one /24 of loopback addresses")
        try:
            for k in range(1, self.sites + 1):
                server = _Server(
                    (f"{HOST_PREFIX}{k}", 0), _handler(synthetic_site(k, self.pages), self.latency)
                )
                threading.Thread(target=server.serve_forever, daemon=True).start()
                self._servers.append(server)
                self.urls.append(f"http://{HOST_PREFIX}{k}:{server.server_address[1]}/")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()


def crawl(
    urls: list[str],
    data_dir: Path,
    settings: dict[str, str],
    redis_url: str | None = None,
    workers: int = 1,
) -> list[dict[str, Any]]:
    """Crawl `urls` with `skinmap crawl practices` in `workers` processes; their runs' stats."""
    data_dir.mkdir(parents=True, exist_ok=True)
    seeds = data_dir / "seeds.txt"
    seeds.write_text("\n".join(urls) + "\n", encoding="utf-8")
    argv = [sys.executable, "-m", "skinmap", "--data-dir", str(data_dir), "crawl", "practices"]
    argv += ["--seeds", str(seeds)]
    for name, value in settings.items():
        argv += ["-s", f"{name}={value}"]
    if redis_url:
        argv += ["--redis", redis_url]
    children = [
        subprocess.Popen(
            argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        for _ in range(workers)
    ]
    for child in children:
        _, stderr = child.communicate(timeout=900)
        if child.returncode != 0:
            raise RuntimeError(f"crawl failed (exit {child.returncode}): {stderr[-2000:]}")
    from index.store import Store

    store = Store(data_dir / "store.sqlite3")
    try:
        return [run.stats for run in store.runs()]
    finally:
        store.close()


def run_scrapy_bench(seconds: int = SCRAPY_BENCH_SECONDS) -> dict[str, float]:
    """`scrapy bench` with Scrapy's defaults (run outside any project), as pages/min."""
    with tempfile.TemporaryDirectory() as outside_project:
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}"],
            cwd=outside_project,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"scrapy bench failed (exit {done.returncode}): {done.stderr[-2000:]}")
    return run_rate(scrapy_stats(done.stderr))


class _RedisServer:
    """A throwaway redis-server on a free loopback port, without persistence."""

    def __enter__(self) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(port)]
            + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in self.process.stdout:
            if "Ready to accept connections" in line:
                return f"redis://127.0.0.1:{port}/0"
        raise RuntimeError("redis-server exited before it was ready")

    def __exit__(self, *exc_info: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()


def _one_process(urls: list[str], data_dir: Path, settings: dict[str, str]) -> dict[str, Any]:
    stats = crawl(urls, data_dir, settings)[0]
    return {**run_rate(stats), "items": stats.get("skinmap/accepted", 0)}


def _shared(
    urls: list[str], data_dir: Path, settings: dict[str, str], workers: int
) -> dict[str, Any]:
    with _RedisServer() as redis_url:
        runs = crawl(urls, data_dir, settings, redis_url, workers)
    return {**shared_rate(runs), "items": sum(run.get("skinmap/accepted", 0) for run in runs)}


def measure(
    sites: int,
    pages: int,
    workers: int,
    polite: bool,
    bench: bool,
    work_dir: Path,
    latency: float = DEFAULT_LATENCY,
) -> dict[str, Any]:
    """Every measurement of one benchmark run, as a JSON-able report."""
    report: dict[str, Any] = {
        "sites": sites,
        "pages_per_site": pages,
        "workers": workers,
        "latency_s": latency,
    }
    sharing = workers > 1 and shutil.which("redis-server") is not None
    with SyntheticWeb(sites, pages) as web:
        report["fast"] = _one_process(web.urls, work_dir / "fast", FAST)
        if sharing:
            report["redis"] = _shared(web.urls, work_dir / "redis", FAST, workers)
        if polite:
            report["polite"] = _one_process(web.urls, work_dir / "polite", POLITE)
    if polite and latency > 0:
        with SyntheticWeb(sites, pages, latency) as web:
            report["polite_wan"] = _one_process(web.urls, work_dir / "polite_wan", POLITE)
            if sharing:
                report["redis_polite_wan"] = _shared(
                    web.urls, work_dir / "redis_wan", POLITE, workers
                )
    if bench:
        report["scrapy_bench"] = run_scrapy_bench()
    return report


def bench_line(report: dict[str, Any]) -> str:
    baseline = report.get("scrapy_bench", {}).get("ppm")

    def ppm(name: str) -> float | None:
        return report.get(name, {}).get("ppm")

    return (
        f"crawl_bench: sites={report['sites']} pages={report['fast']['pages']} "
        f"fast_ppm={ppm('fast')} polite_ppm={ppm('polite')} polite_wan_ppm={ppm('polite_wan')} "
        f"redis_ppm={ppm('redis')} redis_polite_wan_ppm={ppm('redis_polite_wan')} "
        f"scrapy_bench_ppm={baseline} "
        f"fast_vs_bench={ratio(ppm('fast'), baseline)} "
        f"polite_vs_bench={ratio(ppm('polite'), baseline)} "
        f"polite_wan_vs_bench={ratio(ppm('polite_wan'), baseline)} "
        f"redis_vs_bench={ratio(ppm('redis'), baseline)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.crawl_throughput", description=__doc__
    )
    parser.add_argument("--sites", type=int, default=100, help="synthetic practice sites (<= 254)")
    parser.add_argument("--pages", type=int, default=10, help="pages per site (>= 4)")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes for the redis run (1: skip)"
    )
    parser.add_argument("--no-polite", action="store_true", help="skip the polite-settings crawls")
    parser.add_argument(
        "--latency",
        type=float,
        default=DEFAULT_LATENCY,
        help="seconds each response is held in the polite_wan crawl (0: skip that crawl)",
    )
    parser.add_argument("--no-bench", action="store_true", help="skip `scrapy bench`")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="crawl-bench-") as work_dir:
        report = measure(
            args.sites,
            args.pages,
            args.workers,
            not args.no_polite,
            not args.no_bench,
            Path(work_dir),
            args.latency,
        )
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(bench_line(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

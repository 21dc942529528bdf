"""skinmap benchmarks: the Whoosh design against two baselines, SQLite FTS5 + R-tree and tantivy,
same data, same query mix, same run.

`python -m benchmarks.run --quick` (10k listings, about a minute; `--n 100000` for one other size)
ends with the one line other tooling reads: `bench: n=… text_geo_p95_vs_fts5=… text_p95_vs_fts5=…
http_vs_fts5=… build_docs_per_s=… rss_mb=… text_geo_p95_vs_tantivy=… text_p95_vs_tantivy=…
place_p95_vs_tantivy=… specialty_p95_vs_tantivy=… zero_p95_vs_fts5=… build_vs_fts5=… …`.
`--full` adds 100k (and 1M with --million); `--write-readme` rewrites the README's benchmark table.
Latency ratios are skinmap ÷ baseline (below 1.0 skinmap is faster); build and HTTP ratios are
docs/s or requests/s, skinmap ÷ baseline (above 1.0 skinmap is faster). See benchmarks.report.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from benchmarks.fts5_baseline import BaselineSearch
from benchmarks.report import bench_line, markdown_table, ratios, write_readme
from benchmarks.synth import QUERY_MIX
from benchmarks.tantivy_baseline import TantivySearch
from index.search import SearchRequest, SearchService

REPO = Path(__file__).resolve().parents[1]
ENGINES = ("whoosh", "fts5", "tantivy")
APPS = {
    "whoosh": "search_web.app:create_app",
    "fts5": "benchmarks.fts5_app:create_app",
    "tantivy": "benchmarks.tantivy_app:create_app",
}
ROUNDS_IN_PROCESS = 20  # each round runs the whole query mix once
HTTP_REQUESTS = 600  # per server configuration; bounded, loopback only
HTTP_CLIENTS = 8


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(samples, 50), 2),
        "p95": round(percentile(samples, 95), 2),
        "p99": round(percentile(samples, 99), 2),
    }


def build_engine(engine: str, n: int, data_dir: Path) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.build_one", "--engine", engine, "--n", str(n)]
        + ["--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _request_for(query: tuple) -> dict:
    _label, q, near, radius, specialty, procedure = query
    params: dict = {"q": q, "near": near, "specialty": specialty, "procedure": procedure}
    if radius is not None:
        params["radius"] = radius
    return {k: v for k, v in params.items() if v is not None}


def time_in_process(search, rounds: int) -> dict[str, list[float]]:
    """Milliseconds per query label over `rounds` passes of the mix."""
    timings: dict[str, list[float]] = {}
    for _ in range(rounds):
        for query in QUERY_MIX:
            params = _request_for(query)
            started = time.perf_counter()
            search(params)
            timings.setdefault(query[0], []).append((time.perf_counter() - started) * 1000)
    return timings


def whoosh_search(service: SearchService):
    def run(params: dict) -> None:
        service.search(SearchRequest(**params))

    return run


def baseline_search(baseline: BaselineSearch):
    def run(params: dict) -> None:
        baseline.search(**params)

    return run


def in_process(data_dir: Path) -> dict:
    """Cold: a fresh service per round (no result cache warmed); warm: one service, repeated."""
    results: dict = {}
    for engine in ENGINES:
        cold: dict[str, list[float]] = {}
        for _ in range(max(3, ROUNDS_IN_PROCESS // 4)):
            service, search = _open(engine, data_dir)
            for label, samples in time_in_process(search, 1).items():
                cold.setdefault(label, []).extend(samples)
            _close(service)
        service, search = _open(engine, data_dir)
        time_in_process(search, 1)  # warm-up pass
        warm = time_in_process(search, ROUNDS_IN_PROCESS)
        _close(service)
        results[engine] = {
            "cold": {label: summary(s) for label, s in cold.items()},
            "warm": {label: summary(s) for label, s in warm.items()},
            "cold_all": summary([x for s in cold.values() for x in s]),
            "warm_all": summary([x for s in warm.values() for x in s]),
        }
    return results


def _open(engine: str, data_dir: Path):
    if engine == "whoosh":
        service = SearchService(data_dir)
        return service, whoosh_search(service)
    if engine == "tantivy":
        return None, baseline_search(TantivySearch(data_dir / "tantivy"))
    baseline = BaselineSearch(data_dir / "baseline.sqlite3")
    return None, baseline_search(baseline)


def _close(service) -> None:
    if service is not None:
        service.close()


# --- HTTP -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int

    def pids(self) -> list[int]:
        """The serving processes: uvicorn's workers when there are several, else itself."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        kids = [int(pid) for pid in children.read_text().split()] if children.exists() else []
        return kids or [self.process.pid]

    def rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.pids():
            status = Path(f"/proc/{pid}/status")
            if status.exists():
                match = re.search(r"VmRSS:\s+(\d+) kB", status.read_text())
                if match:
                    sizes.append(int(match.group(1)) / 1024)
        return sizes

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def start_server(engine: str, data_dir: Path, workers: int) -> Server:
    port = _free_port()
    factory = APPS[engine]
    env = dict(os.environ, SKINMAP_DATA_DIR=str(data_dir))
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1"]
        + ["--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        env=env,
        cwd=REPO,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/search?q=warmup")
            connection.getresponse().read()
            connection.close()
            return Server(process, port)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{engine} server did not start on port {port}")


def load(port: int, requests: int, clients: int) -> dict:
    """A bounded closed-loop load: `clients` keep-alive connections share `requests` requests."""
    paths = ["/api/search?" + urllib.parse.urlencode(_request_for(query)) for query in QUERY_MIX]
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))
    lock = threading.Lock()

    def client() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                number = next(counter, None)
            if number is None:
                break
            started = time.perf_counter()
            connection.request("GET", paths[number % len(paths)])
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if response.status >= 500:
                    errors += 1
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {"req_per_s": round(requests / seconds, 1), "errors_5xx": errors, **summary(latencies)}


def over_http(data_dir: Path, workers_list: tuple[int, ...]) -> dict:
    results: dict = {}
    for workers in workers_list:
        for engine in ENGINES:
            server = start_server(engine, data_dir, workers)
            try:
                load(server.port, 50, 2)  # warm-up
                measured = load(server.port, HTTP_REQUESTS, HTTP_CLIENTS)
                rss = server.rss_mb()
                measured["rss_mb_per_worker"] = round(max(rss), 1) if rss else None
            finally:
                server.stop()
            results[f"{engine}_w{workers}"] = measured
    return results


# --- report -----------------------------------------------------------------------------------


def run_size(n: int, workers_list: tuple[int, ...]) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"skinmap-bench-{n}-") as tmp:
        data_dir = Path(tmp)
        report: dict = {"n": n, "build": {}}
        for engine in ENGINES:
            report["build"][engine] = build_engine(engine, n, data_dir)
        report["query"] = in_process(data_dir)
        report["http"] = over_http(data_dir, workers_list) if workers_list else {}
        shutil.rmtree(data_dir / "index", ignore_errors=True)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="10k listings (default)")
    mode.add_argument("--full", action="store_true", help="10k and 100k listings")
    parser.add_argument("--million", action="store_true", help="with --full, also 1M listings")
    parser.add_argument(
        "--n", type=int, action="append", help="run these sizes instead (repeatable), 1 worker"
    )
    parser.add_argument("--write-readme", action="store_true", help="rewrite the README table")
    parser.add_argument("--json", type=Path, help="also write the full report as JSON here")
    args = parser.parse_args()
    sizes = [10_000]
    if args.full:
        sizes.append(100_000)
        if args.million:
            sizes.append(1_000_000)
    if args.n:
        sizes = args.n
    reports = []
    for n in sizes:
        workers = (1, 2) if (args.full and n <= 100_000) else (1,)
        started = time.perf_counter()
        report = run_size(n, workers)
        report["seconds"] = round(time.perf_counter() - started, 1)
        reports.append(report)
        print(json.dumps({"n": n, "ratios": ratios(report), "seconds": report["seconds"]}))
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2))
    table = markdown_table(reports)
    print(table)
    if args.write_readme:
        write_readme(table)
    print(bench_line(reports[0]))


if __name__ == "__main__":
    main()

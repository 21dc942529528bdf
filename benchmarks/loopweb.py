"""A loopback web of many small practice sites with its own request log, for the scale-out test
and benchmark: one HTTP server per site on its own 127.x.y.k address (so each is its own host to
the crawler), each response held `latency` seconds, and ETag / Last-Modified on every page so
conditional requests (If-None-Match, If-Modified-Since) are answered 304 Not Modified.

The sites are benchmarks.crawl_throughput's fictional practices (a physician, an address, a
quoted microneedling offer, some articles). The request log records (host, path, status, bytes)
of every request, so a test can check from the server's side which pages were fetched twice.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from benchmarks.crawl_throughput import synthetic_site

LAST_MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT"  # the synthetic pages never change


@dataclass(frozen=True)
class Fetch:
    host: str
    path: str
    status: int
    bytes: int  # body bytes sent


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed crawler hung up: fine
            super().handle_error(request, client_address)


def _handler(pages: dict[str, str], web: LoopWeb) -> type[BaseHTTPRequestHandler]:
    bodies = {path: html.encode() for path, html in pages.items()}
    etags = {path: '"' + hashlib.sha1(body).hexdigest()[:16] + '"' for path, body in bodies.items()}

    class SiteHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            if web.latency:
                time.sleep(web.latency)  # the network and server time of a real host
            path = self.path.lstrip("/") or "index.html"
            headers: dict[str, str] = {}
            if path == "robots.txt":
                body, kind, status = b"User-agent: *\nAllow: /\n", "text/plain", 200
            elif path in bodies:
                kind, status = "text/html; charset=utf-8", 200
                headers = {"ETag": etags[path], "Last-Modified": LAST_MODIFIED}
                unchanged = self.headers.get("If-None-Match") == etags[path] or (
                    "If-None-Match" not in self.headers
                    and self.headers.get("If-Modified-Since") == LAST_MODIFIED
                )
                body = b"" if unchanged else bodies[path]
                status = 304 if unchanged else 200
            else:
                body, kind, status = b"not found", "text/plain", 404
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            web.record(Fetch(self.server.server_address[0], "/" + path, status, len(body)))

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

    return SiteHandler


@dataclass
class LoopWeb:
    """`sites` practice sites of `pages` pages on `prefix`.k (k = 1..sites, at most 250 per /24;
    more sites continue on the next /24)."""

    sites: int
    pages: int = 6
    latency: float = 0.0
    prefix: str = "127.0.5."
    urls: list[str] = field(default_factory=list)
    log: list[Fetch] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _servers: list[ThreadingHTTPServer] = field(default_factory=list)

    def host(self, number: int) -> str:
        base, third = self.prefix.rsplit(".", 2)[0], int(self.prefix.rsplit(".", 2)[1])
        return f"{base}.{third + (number - 1) // 250}.{(number - 1) % 250 + 1}"

    def record(self, fetch: Fetch) -> None:
        with self._lock:
            self.log.append(fetch)

    def fetches(self, since: int = 0) -> list[Fetch]:
        with self._lock:
            return list(self.log[since:])

    def __enter__(self) -> LoopWeb:
        try:
            for k in range(1, self.sites + 1):
                pages = synthetic_site(k, self.pages).pages
                server = _Server((self.host(k), 0), _handler(pages, self))
                threading.Thread(target=server.serve_forever, daemon=True).start()
                self._servers.append(server)
                self.urls.append(f"http://{self.host(k)}:{server.server_address[1]}/")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        # shutdown() waits up to a poll interval (0.5 s) for its loop: all at once, not in turn.
        stopping = [threading.Thread(target=server.shutdown) for server in self._servers]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        for server in self._servers:
            server.server_close()
        self._servers.clear()

"""A fault web on loopback: fictional practice sites that misbehave in the ways the real web does.

Each site has its own loopback address (127.0.3.k) so Scrapy gives it its own download slot and
robots.txt. The server records every request path per host and how many body bytes it managed to
send, so a test can prove what the crawler asked for and where it stopped reading.

Faults: robots.txt that answers slowly while several start URLs of the site wait on it (one of them
forbidden), 503 twice then 200, a response that never arrives, one that stalls mid-body and one
that trickles a byte every half second forever, truncated
HTML, binary junk served as HTML, latin-1 declared utf-8 and the reverse, a redirect loop, an
endless redirect chain, a 50 MB page (with and without Content-Length, generated lazily), a gzip
bomb (about 1 MB that inflates to 1 GiB), an endless calendar, an endless archive, robots.txt
answering 503, robots.txt that never answers, robots.txt answering 404, and robots.txt disallowing
/private/.

Run it by hand with `python tests/crawler/faultweb.py` to poke at it with curl.
"""

from __future__ import annotations

import re
import struct
import threading
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

HOST_PREFIX = "127.0.3."
# Longer than any DOWNLOAD_TIMEOUT a test sets; the server lets go at once when the web closes.
HANG_SECONDS = 60.0
HUGE_BYTES = 50 * 1024 * 1024
BOMB_BLOCK = 1024 * 1024
BOMB_BLOCKS = 1100  # 1100 MiB inflated: over 1 GB
STREAM_CHUNK = 64 * 1024
ROBOTS_DELAY_SECONDS = 1.0
TRICKLE_SECONDS = 0.5


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


# ---------------------------------------------------------------- pages (pure)


def page(title: str, body: str, links: list[str] = ()) -> str:
    """A small well-formed HTML page with a title, a body and a list of links."""
    anchors = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><main>{body}<ul>{anchors}</ul></main></body></html>"
    )


def build_gzip_bomb(
    block_size: int = BOMB_BLOCK, blocks: int = BOMB_BLOCKS
) -> tuple[bytes, bytes, bytes]:
    """(head, repeated chunk, tail) of a gzip stream inflating to `block_size * blocks` bytes.

    After a full flush deflate forgets its history, so the same input block compresses to the same
    bytes every time: the body is the head, then the chunk `blocks - 1` times, then the tail. Only
    one block is ever compressed and only the chunk is held, so startup is fast and small.
    """
    block = b" " * block_size
    prefix = b"<!DOCTYPE html><html><head><title>Bomb</title></head><body><p>"
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip header and trailer
    head = compressor.compress(prefix + block[len(prefix) :]) + compressor.flush(zlib.Z_FULL_FLUSH)
    chunk = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    if chunk != again:
        raise RuntimeError(
            "deflate did not repeat itself after a full flush; cannot build the bomb"
        )
    crc = zlib.crc32(prefix + block[len(prefix) :])
    for _ in range(blocks - 1):
        crc = zlib.crc32(block, crc)
    # A final empty fixed-Huffman block (bits 1, 01, then end-of-block), then CRC32 and size mod 2**32.
    tail = b"\x03\x00" + struct.pack("<II", crc & 0xFFFFFFFF, (block_size * blocks) & 0xFFFFFFFF)
    return head, chunk, tail


# ---------------------------------------------------------------- the web


@dataclass
class FaultSite:
    name: str
    host: str
    port: int
    physicians: list[str]  # names a crawler must store (healthy pages)
    # Names that only a crawler ignoring robots.txt (or the size caps) could find.
    forbidden: list[str] = field(default_factory=list)
    extra_start_paths: list[str] = field(default_factory=list)  # more start URLs on this site

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def start_urls(self) -> list[str]:
        return [self.url] + [self.url + path.lstrip("/") for path in self.extra_start_paths]


@dataclass
class FaultWeb:
    """The running fault web: sites, and what every host was asked and sent."""

    sites: dict[str, FaultSite] = field(default_factory=dict)
    requests: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    bytes_sent: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    servers: list[_Server] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    _hits: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def record(self, host: str, path: str) -> int:
        """Note a request; returns how many times this host and path have now been asked for."""
        with self.lock:
            self.requests[host].append(path)
            self._hits[(host, path)] += 1
            return self._hits[(host, path)]

    def sent(self, host: str, path: str, count: int) -> None:
        with self.lock:
            self.bytes_sent[(host, path)] += count

    def paths(self, site: str) -> list[str]:
        with self.lock:
            return list(self.requests.get(self.sites[site].host, []))

    def close(self) -> None:
        self.stopping.set()
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for thread in self.threads:
            thread.join(timeout=5)

    def __enter__(self) -> FaultWeb:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Route = Callable[["_FaultHandler"], None]


class _FaultHandler(BaseHTTPRequestHandler):
    web: FaultWeb
    routes: dict[str, Route]
    patterns: list[tuple[re.Pattern[str], Route]]
    server_version = "faultweb/1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        host = self.server.server_address[0]
        self.hit = self.web.record(host, self.path)
        path = urlsplit(self.path).path
        route = self.routes.get(path)
        if route is None:
            route = next((r for pattern, r in self.patterns if pattern.fullmatch(path)), None)
        try:
            if route is None:
                self.send_bytes(404, b"not found", "text/plain")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler hung up on purpose (size cap, timeout)

    def send_bytes(
        self, status: int, body: bytes, content_type: str, headers: dict | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.web.sent(self.server.server_address[0], self.path, len(body))

    def send_html(self, html: str, status: int = 200) -> None:
        self.send_bytes(status, html.encode("utf-8"), "text/html; charset=utf-8")

    def stream(self, chunks, headers: dict[str, str]) -> None:
        """Send headers, then chunks until they run out or the crawler hangs up."""
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        host = self.server.server_address[0]
        for chunk in chunks:
            if self.web.stopping.is_set():
                return
            self.wfile.write(chunk)
            self.web.sent(host, self.path, len(chunk))


def _static(html: str) -> Route:
    return lambda handler: handler.send_html(html)


def _redirect(location: Callable[[str], str]) -> Route:
    def route(handler: _FaultHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location(urlsplit(handler.path).path))
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


# ---------------------------------------------------------------- the sites


def _healthy_routes() -> dict[str, Route]:
    """Cedar Fault Dermatology: valid listings next to cheap faults, robots.txt forbids /private/."""
    home = page(
        "Cedar Fault Dermatology",
        "<h1>Cedar Fault Dermatology</h1><p>General and cosmetic dermatology. Call 555-0140.</p>",
        [
            "/team.html", "/microneedling.html", "/flaky.html", "/broken.html", "/junk.html",
            "/latin1.html", "/declared-latin1.html", "/loop/a", "/private/notes.html",
            "/private/", "/PRIVATE/upper.html",
        ],
    )  # fmt: skip
    team = page(
        "Team | Cedar Fault Dermatology",
        "<h1>Our Physicians</h1><h2>Dr. Ada Quinlan, MD, FAAD</h2><p>Founder.</p>"
        "<h2>Felix Romero, DO</h2><p>General dermatology.</p><h2>Jon Avery, PA-C</h2>",
        ["/", "/private/notes.html"],
    )
    service = page(
        "Microneedling | Cedar Fault Dermatology",
        "<h1>Microneedling</h1><p>We offer SkinPen microneedling for acne scars, from $300 per session.</p>",
        ["/"],
    )
    flaky = page(
        "Dr. Iris Tanaka | Cedar Fault Dermatology",
        "<h1>Dr. Iris Tanaka, MD</h1><p>Dr. Tanaka sees patients on Mondays.</p>",
    )
    private = page(
        "Staff notes",
        "<h1>Dr. Robin Trapp, MD</h1><p>Dr. Trapp offers microneedling from $1.</p>",
    )
    # Cut off mid-tag and mid-sentence, with an unclosed table around the listing.
    broken = (
        "<html><head><title>Dr. Lena Marsh | Cedar Fault Dermatology</title><body><table><tr><td>"
        "<h1>Dr. Lena Marsh, MD</h1><p>Dr. Marsh offers micro-needling and chemical pe"
        '<div class="x"><p><span>still loading <a href=\'/te'
    )
    latin1 = (
        "<html><head><title>Dr. Paul Moreau | Cedar Fault Dermatology</title></head><body>"
        "<h1>Dr. Paul Moreau, MD</h1><p>Caf\xe9-au-lait spots, r\xe9sum\xe9 and na\xefve questions welcome.</p>"
        "</body></html>"
    ).encode("latin-1")
    utf8 = (
        "<html><head><title>Dr. Grace Olsen | Cedar Fault Dermatology</title></head><body>"
        "<h1>Dr. Grace Olsen, MD</h1><p>Caf\u00e9 \u2013 \u201cquoted\u201d \u2022 bullets.</p>"
        "</body></html>"
    ).encode("utf-8")
    junk = bytes(range(256)) * 64 + b"\x00\x00<html><h1>Dr.\x00 Nul\xff</h1>"

    def flaky_route(handler: _FaultHandler) -> None:
        if handler.hit <= 2:
            handler.send_bytes(503, b"busy, try later", "text/plain", {"Retry-After": "0"})
        else:
            handler.send_html(flaky)

    def slow_robots(handler: _FaultHandler) -> None:
        # Slow enough that several requests for this host wait on robots.txt at the same time.
        handler.web.stopping.wait(ROBOTS_DELAY_SECONDS)
        handler.send_bytes(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")

    return {
        "/robots.txt": slow_robots,
        "/": _static(home),
        "/team.html": _static(team),
        "/microneedling.html": _static(service),
        "/flaky.html": flaky_route,
        "/broken.html": lambda h: h.send_bytes(
            200, broken.encode("utf-8"), "text/html; charset=utf-8"
        ),
        "/junk.html": lambda h: h.send_bytes(200, junk, "text/html"),
        "/latin1.html": lambda h: h.send_bytes(200, latin1, "text/html; charset=utf-8"),
        "/declared-latin1.html": lambda h: h.send_bytes(200, utf8, "text/html; charset=iso-8859-1"),
        "/loop/a": _redirect(lambda _path: "/loop/b"),
        "/loop/b": _redirect(lambda _path: "/loop/a"),
        "/private/notes.html": _static(private),
        "/private/": _static(private),
    }


def _hang_routes() -> dict[str, Route]:
    """Slow Brook Dermatology: one page never answers, one stalls after its first bytes."""
    home = page(
        "Slow Brook Dermatology",
        "<h1>Slow Brook Dermatology</h1><h2>Dr. Hugo Lindqvist, MD</h2><p>Medical dermatology.</p>",
        ["/slow.html", "/stall.html"],
    )

    def hang(handler: _FaultHandler) -> None:
        handler.web.stopping.wait(HANG_SECONDS)

    def stall(handler: _FaultHandler) -> None:
        first = b"<html><head><title>Stalled</title></head><body><h1>Dr. Stella Stall, MD</h1>"
        handler.stream(
            [first], {"Content-Type": "text/html; charset=utf-8", "Content-Length": "100000"}
        )
        handler.wfile.flush()
        handler.web.stopping.wait(HANG_SECONDS)

    return {"/": _static(home), "/slow.html": hang, "/stall.html": stall}


def _trickle_routes() -> dict[str, Route]:
    """Drip Creek Dermatology: one page sends a byte every TRICKLE_SECONDS, forever. Each read
    arrives well within any per-read timeout; only a limit on the whole download ends it."""
    home = page(
        "Drip Creek Dermatology",
        "<h1>Drip Creek Dermatology</h1><h2>Dr. Omar Quill, MD</h2><p>Dermatology.</p>",
        ["/trickle.html"],
    )

    def trickle(handler: _FaultHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.end_headers()
        handler.wfile.write(b"<html><body><h1>Dr. Tess Trickle, MD</h1>")
        while not handler.web.stopping.wait(TRICKLE_SECONDS):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            handler.web.sent(handler.server.server_address[0], handler.path, 1)

    return {"/": _static(home), "/trickle.html": trickle}


_HUGE_HEAD = b"<html><head><title>Huge</title></head><body>"
_FILLER = b"<p>" + b"Filler text about nothing in particular. " * 40 + b"</p>\n"
_FILLER_CHUNK = _FILLER * (STREAM_CHUNK // len(_FILLER))


def huge_chunks(total: int, closing: bytes):
    """At least `total` bytes of filler paragraphs, then `closing` (a listing no capped crawler reaches)."""
    yield _HUGE_HEAD
    for _ in range(-(-total // len(_FILLER_CHUNK))):
        yield _FILLER_CHUNK
    yield closing


def huge_page_length(total: int, closing: bytes) -> int:
    """What huge_chunks(total, closing) adds up to, without generating it."""
    return len(_HUGE_HEAD) + -(-total // len(_FILLER_CHUNK)) * len(_FILLER_CHUNK) + len(closing)


def _huge_routes() -> dict[str, Route]:
    """Big Sky Dermatology: two 50 MB pages, one announcing its size, one close-delimited."""
    home = page(
        "Big Sky Dermatology",
        "<h1>Big Sky Dermatology</h1><h2>Dr. Nora Vance, MD</h2><p>Cosmetic dermatology.</p>",
        ["/huge.html", "/huge-declared.html"],
    )
    closing = b"<h1>Dr. Oliver Overflow, MD</h1></body></html>"

    def huge(handler: _FaultHandler) -> None:
        # No Content-Length: the crawler only learns the size by reading (HTTP/1.0, ends at close).
        handler.stream(
            huge_chunks(HUGE_BYTES, closing), {"Content-Type": "text/html; charset=utf-8"}
        )

    def declared(handler: _FaultHandler) -> None:
        handler.stream(
            huge_chunks(HUGE_BYTES, closing),
            {
                "Content-Type": "text/html; charset=utf-8",
                "Content-Length": str(huge_page_length(HUGE_BYTES, closing)),
            },
        )

    return {"/": _static(home), "/huge.html": huge, "/huge-declared.html": declared}


def _bomb_routes(bomb: tuple[bytes, bytes, bytes], blocks: int) -> dict[str, Route]:
    """Gzip Gulch Dermatology: one page is a gzip bomb."""
    home = page(
        "Gzip Gulch Dermatology",
        "<h1>Gzip Gulch Dermatology</h1><h2>Dr. Bianca Ferreira, MD</h2><p>Skin cancer care.</p>",
        ["/bomb.html"],
    )
    head, chunk, tail = bomb

    def chunks():
        yield head
        for _ in range(blocks - 1):
            yield chunk
        yield tail

    def bomb_route(handler: _FaultHandler) -> None:
        length = len(head) + len(chunk) * (blocks - 1) + len(tail)
        handler.stream(
            chunks(),
            {
                "Content-Type": "text/html; charset=utf-8",
                "Content-Encoding": "gzip",
                "Content-Length": str(length),
            },
        )

    return {"/": _static(home), "/bomb.html": bomb_route}


def _trap_routes() -> tuple[dict[str, Route], list[tuple[re.Pattern[str], Route]]]:
    """Endless Days Dermatology: an endless calendar, endless event months, an endless archive and
    an endless redirect chain, all reachable from the home page."""
    home = page(
        "Endless Days Dermatology",
        "<h1>Endless Days Dermatology</h1><h2>Dr. Carmen Ortega, DO</h2><p>Family dermatology.</p>",
        ["/calendar?month=1", "/events/2026/11/", "/archive/page-1.html", "/chain/1"],
    )

    def calendar(handler: _FaultHandler) -> None:
        month = int(dict(parse_qsl(urlsplit(handler.path).query)).get("month", "1") or 1)
        handler.send_html(
            page(f"Calendar {month}", "<p>No events.</p>", [f"/calendar?month={month + 1}"])
        )

    def events(handler: _FaultHandler) -> None:
        year, month = (int(x) for x in re.findall(r"\d+", urlsplit(handler.path).path)[:2])
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        handler.send_html(
            page("Events", "<p>Nothing planned.</p>", [f"/events/{year}/{month:02d}/"])
        )

    def archive(handler: _FaultHandler) -> None:
        number = int(re.findall(r"\d+", urlsplit(handler.path).path)[0])
        links = [f"/archive/page-{number * 3 + k}.html" for k in range(3)]
        handler.send_html(page(f"Archive {number}", "<p>Old news.</p>", links))

    def chain(handler: _FaultHandler) -> None:
        number = int(re.findall(r"\d+", urlsplit(handler.path).path)[0])
        _redirect(lambda _path: f"/chain/{number + 1}")(handler)

    routes = {"/": _static(home), "/calendar": calendar}
    patterns = [
        (re.compile(r"/events/\d{4}/\d{1,2}/"), events),
        (re.compile(r"/archive/page-\d+\.html"), archive),
        (re.compile(r"/chain/\d+"), chain),
    ]
    return routes, patterns


def _robots_status_routes(status: int, name: str, doctor: str) -> dict[str, Route]:
    """A site whose robots.txt answers `status`, with one physician on its home page."""
    home = page(
        name, f"<h1>{name}</h1><h2>Dr. {doctor}, MD</h2><p>Dermatology.</p>", ["/team.html"]
    )
    team = page(f"Team | {name}", f"<h1>Our team</h1><p>{doctor}, MD, leads the practice.</p>")
    return {
        "/robots.txt": lambda h: h.send_bytes(status, b"unavailable", "text/plain"),
        "/": _static(home),
        "/team.html": _static(team),
    }


def _robots_hang_routes() -> dict[str, Route]:
    """Frozen Lake Dermatology: robots.txt never answers (a network error, so: crawl nothing)."""
    routes = _robots_status_routes(200, "Frozen Lake Dermatology", "Nadia Frost")
    routes["/robots.txt"] = lambda handler: handler.web.stopping.wait(HANG_SECONDS)
    return routes


def start_fault_web(bomb_blocks: int = BOMB_BLOCKS) -> FaultWeb:
    """Start every fault site on its own 127.0.3.k address and a free port."""
    web = FaultWeb()
    bomb = build_gzip_bomb(blocks=bomb_blocks)
    trap_routes, trap_patterns = _trap_routes()
    specs: list[tuple[str, dict[str, Route], list, list[str], list[str]]] = [
        ("healthy", _healthy_routes(), [],
         ["Ada Quinlan", "Felix Romero", "Iris Tanaka", "Lena Marsh", "Paul Moreau", "Grace Olsen"],
         ["Robin Trapp"]),
        ("hang", _hang_routes(), [], ["Hugo Lindqvist"], ["Stella Stall"]),
        ("huge", _huge_routes(), [], ["Nora Vance"], ["Oliver Overflow"]),
        ("bomb", _bomb_routes(bomb, bomb_blocks), [], ["Bianca Ferreira"], []),
        ("trap", trap_routes, trap_patterns, ["Carmen Ortega"], []),
        ("robots503", _robots_status_routes(503, "Closed Gate Dermatology", "Walter Brennan"), [], [],
         ["Walter Brennan"]),
        ("robots404", _robots_status_routes(404, "Open Door Dermatology", "Maya Holt"), [], ["Maya Holt"], []),
        ("robotshang", _robots_hang_routes(), [], [], ["Nadia Frost"]),
        ("trickle", _trickle_routes(), [], ["Omar Quill"], ["Tess Trickle"]),
    ]  # fmt: skip
    try:
        for number, (name, routes, patterns, physicians, forbidden) in enumerate(specs, start=1):
            host = f"{HOST_PREFIX}{number}"
            handler = type(
                f"{name.title()}Handler",
                (_FaultHandler,),
                {"web": web, "routes": routes, "patterns": patterns},
            )
            server = _Server((host, 0), handler)
            thread = threading.Thread(
                target=server.serve_forever, name=f"faultweb-{name}", daemon=True
            )
            thread.start()
            web.servers.append(server)
            web.threads.append(thread)
            site = FaultSite(name, host, server.server_address[1], physicians, forbidden)
            if name == "healthy":
                # A seeds file may name several pages of one site, a forbidden one among them.
                site.extra_start_paths = [
                    "/team.html",
                    "/microneedling.html",
                    "/private/notes.html",
                ]
            web.sites[name] = site
    except OSError:
        web.close()
        raise
    return web


def main() -> None:
    web = start_fault_web()
    for site in web.sites.values():
        print(f"{site.name:10} {site.url}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        web.close()


if __name__ == "__main__":
    main()

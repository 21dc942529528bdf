"""The bundled demo web: fictional practice websites and an NPI Registry API v2.1 emulator on loopback.

Each site gets its own loopback IP (127.0.1.k) so Scrapy's per-domain slots and same-site rules
behave as they would on the real web; the NPI emulator lives on 127.0.2.1. Pure parts (NPI check
digits, static path resolution, NPI query evaluation) are plain functions; the HTTP servers are a
thin stdlib shell around them.
"""

from __future__ import annotations

import argparse
import json
import logging
import mimetypes
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

logger = logging.getLogger(__name__)

DEFAULT_ROOT = Path(__file__).resolve().parents[1] / "data" / "demo_web"
DEFAULT_HOST_PREFIX = "127.0.1."
DEFAULT_NPI_HOST = "127.0.2.1"

NPI_API_VERSION = "2.1"
NPI_DEFAULT_LIMIT = 10
NPI_MAX_LIMIT = 200
NPI_MAX_SKIP = 1000
# Parameters that count as search criteria on their own (the real API refuses a query without one).
NPI_CRITERIA = (
    "number",
    "taxonomy_description",
    "first_name",
    "last_name",
    "organization_name",
    "city",
    "postal_code",
)
# Parameters that narrow a search but are not enough alone (enumeration_type: real error "09").
NPI_NARROWING_ONLY = ("enumeration_type", "state", "address_purpose", "country_code")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".xml": "application/xml",
}


# ---------------------------------------------------------------- NPI check digit


def npi_check_digit(first_nine: str) -> str:
    """The NPI check digit: Luhn over the card-issuer prefix 80840 followed by the first nine digits."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError(f"expected nine digits, got {first_nine!r}")
    total = 0
    for position, char in enumerate(reversed("80840" + first_nine)):
        digit = int(char)
        if (
            position % 2 == 0
        ):  # rightmost payload digit is doubled because the check digit follows it
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def npi_is_valid(npi: str) -> bool:
    """True for a ten-digit NPI whose last digit is the correct check digit."""
    return len(npi) == 10 and npi.isdigit() and npi_check_digit(npi[:9]) == npi[9]


# ---------------------------------------------------------------- NPI Registry emulator


class NpiQueryError(ValueError):
    """A query the NPI Registry answers with an `Errors` body (HTTP 200, like the real API)."""

    def __init__(self, field_name: str, number: str, description: str) -> None:
        super().__init__(description)
        self.field_name = field_name
        self.number = number
        self.description = description

    def to_body(self) -> dict[str, Any]:
        return {
            "Errors": [
                {"description": self.description, "field": self.field_name, "number": self.number}
            ]
        }


@dataclass(frozen=True)
class NpiQuery:
    """A validated NPI Registry query: criteria (lower-cased parameter -> value), limit and skip."""

    criteria: dict[str, str]
    limit: int = NPI_DEFAULT_LIMIT
    skip: int = 0
    pretty: bool = False


def _bounded_int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise NpiQueryError(name, "05", f"Field {name} must be a number") from None
    if not low <= value <= high:
        # The real API's wording for these is not in our samples; this message is the emulator's own.
        raise NpiQueryError(name, "05", f"Field {name} must be between {low} and {high}")
    return value


def parse_npi_query(params: Mapping[str, str]) -> NpiQuery:
    """Validate raw query parameters the way the NPI Registry does; raise NpiQueryError otherwise."""
    version = (params.get("version") or "").strip()
    if version != NPI_API_VERSION:
        raise NpiQueryError("version", "01", f"Unsupported version; use version={NPI_API_VERSION}")
    limit = _bounded_int(params, "limit", NPI_DEFAULT_LIMIT, 1, NPI_MAX_LIMIT)
    skip = _bounded_int(params, "skip", 0, 0, NPI_MAX_SKIP)
    criteria = {
        name: params[name].strip()
        for name in NPI_CRITERIA + NPI_NARROWING_ONLY
        if (params.get(name) or "").strip()
    }
    if not any(name in criteria for name in NPI_CRITERIA):
        if "enumeration_type" in criteria:
            raise NpiQueryError(
                "enumeration_type", "09", "enumeration_type requires additional search criteria"
            )
        if "state" in criteria:
            # Real API rule: state may not be the only criterion; wording is the emulator's own.
            raise NpiQueryError("state", "10", "state requires additional search criteria")
        raise NpiQueryError("generic", "04", "No valid search criteria provided")
    pretty = (params.get("pretty") or "").strip().lower() in ("on", "true", "1", "yes")
    return NpiQuery(criteria=criteria, limit=limit, skip=skip, pretty=pretty)


def _text_matches(pattern: str, value: str | None) -> bool:
    """Case-insensitive exact match; a trailing `*` makes it a prefix match, as the real API allows."""
    if value is None:
        return False
    pattern, value = pattern.strip().upper(), value.strip().upper()
    if pattern.endswith("*"):
        return value.startswith(pattern.rstrip("*"))
    return value == pattern


def _addresses(record: Mapping[str, Any], purpose: str | None) -> Iterator[Mapping[str, Any]]:
    for address in list(record.get("addresses") or []) + list(
        record.get("practiceLocations") or []
    ):
        if (
            purpose in (None, "", "ANY")
            or (address.get("address_purpose") or "").upper() == purpose
        ):
            yield address


# NUCC "Classification, Specialization" for every code the demo registry uses.
TAXONOMY_DESCRIPTIONS = {
    "163WS0121X": "Registered Nurse, Plastic Surgery",
    "207N00000X": "Dermatology",
    "207ND0101X": "Dermatology, MOHS-Micrographic Surgery",
    "207NS0135X": "Dermatology, Procedural Dermatology",
    "207WX0200X": "Ophthalmology, Ophthalmic Plastic and Reconstructive Surgery",
    "207YS0123X": "Otolaryngology, Facial Plastic Surgery",
    "208200000X": "Plastic Surgery",
    "2082S0099X": "Plastic Surgery, Plastic Surgery Within the Head and Neck",
    "2086S0122X": "Surgery, Plastic and Reconstructive Surgery",
    "363L00000X": "Nurse Practitioner",
}


def npi_record_matches(record: Mapping[str, Any], criteria: Mapping[str, str]) -> bool:
    """Does one NPPES record satisfy every criterion of a query?"""
    basic = record.get("basic") or {}
    if "number" in criteria and record.get("number") != criteria["number"]:
        return False
    if (
        "enumeration_type" in criteria
        and record.get("enumeration_type") != criteria["enumeration_type"].upper()
    ):
        return False
    if "taxonomy_description" in criteria:
        wanted = criteria["taxonomy_description"].strip().rstrip("*").lower()
        # The registry searches its own code table, so a record whose `desc` comes back null is
        # still found by its code's description.
        descriptions = [
            (t.get("desc") or TAXONOMY_DESCRIPTIONS.get(t.get("code"), "")).lower()
            for t in record.get("taxonomies") or []
        ]
        if not any(wanted in description for description in descriptions if description):
            return False
    for name in ("first_name", "last_name", "organization_name"):
        if name in criteria and not _text_matches(criteria[name], basic.get(name)):
            return False
    purpose = (criteria.get("address_purpose") or "").upper() or None
    address_checks = {
        "city": lambda a: _text_matches(criteria["city"], a.get("city")),
        "state": lambda a: (a.get("state") or "").upper() == criteria["state"].upper(),
        "postal_code": lambda a: (a.get("postal_code") or "").startswith(
            criteria["postal_code"].rstrip("*")
        ),
        "country_code": lambda a: (
            (a.get("country_code") or "").upper() == criteria["country_code"].upper()
        ),
    }
    wanted_checks = [check for name, check in address_checks.items() if name in criteria]
    # All address criteria must hold for the same address, as a city/state pair would in NPPES.
    return not wanted_checks or any(
        all(check(address) for check in wanted_checks) for address in _addresses(record, purpose)
    )


def npi_search(records: Sequence[Mapping[str, Any]], params: Mapping[str, str]) -> dict[str, Any]:
    """The NPI Registry v2.1 response body for a query: results page or an `Errors` body."""
    try:
        query = parse_npi_query(params)
    except NpiQueryError as error:
        return error.to_body()
    matches = sorted(
        (record for record in records if npi_record_matches(record, query.criteria)),
        key=lambda record: record["number"],
    )
    page = matches[query.skip : query.skip + query.limit]
    return {"result_count": len(page), "results": [dict(record) for record in page]}


def encode_npi_body(body: Mapping[str, Any], pretty: bool = False) -> bytes:
    """Serialise like the 2026 API: keys sorted, compact, no trailing newline (indented if pretty)."""
    if pretty:
        return json.dumps(body, sort_keys=True, indent=4).encode("utf-8")
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def load_npi_records(path: Path) -> list[dict[str, Any]]:
    """Read the emulator's records: a JSON list of NPPES results in the 2026 response shape."""
    records = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(records, list):
        raise ValueError(f"{path}: expected a JSON list of NPPES records")
    return records


# ---------------------------------------------------------------- static sites


def resolve_static_path(site_root: Path, url_path: str) -> Path | None:
    """The file a URL path names inside site_root, or None (missing, a directory, or escaping)."""
    path = unquote(urlsplit(url_path).path)
    if "\x00" in path or "\\" in path:
        return None
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        return None
    candidate = site_root.joinpath(*parts)
    if path.endswith("/") or not parts:
        candidate = candidate / "index.html"
    root = site_root.resolve()
    try:
        resolved = candidate.resolve()
    except OSError:
        return None
    if not resolved.is_relative_to(root) or not resolved.is_file():
        return None
    return resolved


def content_type_for(path: Path) -> str:
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


class _QuietHandler(BaseHTTPRequestHandler):
    server_version = "skinmap-demoweb/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        # Access logs go to debug: the demo and tests would otherwise flood stderr.
        logger.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str, head_only: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)


def _static_handler(site_root: Path) -> type[BaseHTTPRequestHandler]:
    class StaticSiteHandler(_QuietHandler):
        def _serve(self, head_only: bool) -> None:
            target = resolve_static_path(site_root, self.path)
            if target is None:
                body = b"<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>"
                self._send(HTTPStatus.NOT_FOUND, body, "text/html; charset=utf-8", head_only)
                return
            self._send(HTTPStatus.OK, target.read_bytes(), content_type_for(target), head_only)

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            self._serve(head_only=False)

        def do_HEAD(self) -> None:  # noqa: N802 - stdlib naming
            self._serve(head_only=True)

    return StaticSiteHandler


def _npi_handler(records: Sequence[Mapping[str, Any]]) -> type[BaseHTTPRequestHandler]:
    class NpiApiHandler(_QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            parts = urlsplit(self.path)
            if parts.path not in ("/api", "/api/"):
                body = encode_npi_body({"error": "not found"})
                self._send(HTTPStatus.NOT_FOUND, body, "application/json", head_only=False)
                return
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            pretty = (params.get("pretty") or "").lower() in ("on", "true", "1", "yes")
            body = encode_npi_body(npi_search(records, params), pretty=pretty)
            # The real API answers errors with HTTP 200 too; clients must look for "Errors".
            self._send(HTTPStatus.OK, body, "application/json", head_only=False)

    return NpiApiHandler


# ---------------------------------------------------------------- lifecycle


@dataclass
class DemoSite:
    slug: str
    url: str


@dataclass
class DemoWeb:
    """The running demo web; close() stops every server. Usable as a context manager."""

    sites: list[DemoSite]
    npi_api_url: str
    _servers: list[ThreadingHTTPServer] = field(default_factory=list, repr=False)
    _threads: list[threading.Thread] = field(default_factory=list, repr=False)

    def manifest(self) -> dict[str, Any]:
        return {
            "sites": [{"slug": site.slug, "url": site.url} for site in self.sites],
            "npi_api_url": self.npi_api_url,
        }

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> DemoWeb:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # a fixed --port can be reused right after a restart


def site_slugs(root: Path) -> list[str]:
    """Site directories under root/sites, in the order that assigns 127.0.1.1, 127.0.1.2, ..."""
    sites_dir = root / "sites"
    if not sites_dir.is_dir():
        raise FileNotFoundError(f"no sites directory at {sites_dir}")
    return sorted(child.name for child in sites_dir.iterdir() if child.is_dir())


def _serve(web: DemoWeb, host: str, port: int, handler: type[BaseHTTPRequestHandler]) -> int:
    server = _Server((host, port), handler)
    thread = threading.Thread(
        target=server.serve_forever, name=f"demoweb-{host}", kwargs={"poll_interval": 0.2}
    )
    thread.daemon = True
    thread.start()
    web._servers.append(server)
    web._threads.append(thread)
    return server.server_address[1]


def start_demo_web(
    root: Path = DEFAULT_ROOT,
    host_prefix: str = DEFAULT_HOST_PREFIX,
    port: int = 0,
    npi_host: str = DEFAULT_NPI_HOST,
) -> DemoWeb:
    """Start every site (site k on host_prefix + k) and the NPI emulator; port 0 = ephemeral ports.

    With a fixed port every server binds that same port on its own IP.
    """
    slugs = site_slugs(root)
    if len(slugs) > 254:
        raise ValueError(f"{len(slugs)} sites do not fit in one /24 of loopback addresses")
    records = load_npi_records(root / "nppes.json")
    web = DemoWeb(sites=[], npi_api_url="")
    try:
        for k, slug in enumerate(slugs, start=1):
            host = f"{host_prefix}{k}"
            bound = _serve(web, host, port, _static_handler(root / "sites" / slug))
            web.sites.append(DemoSite(slug=slug, url=f"http://{host}:{bound}/"))
        bound = _serve(web, npi_host, port, _npi_handler(records))
        web.npi_api_url = f"http://{npi_host}:{bound}/api/"
    except BaseException:
        web.close()
        raise
    return web


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m skinmap.demoweb",
        description="Serve the fictional demo web and NPI API emulator until SIGINT/SIGTERM.",
    )
    parser.add_argument(
        "--manifest", type=Path, help="write the JSON manifest here (default: stdout)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="fixed port for every server (default: ephemeral)"
    )
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="demo web directory")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        web = start_demo_web(root=args.root, port=args.port)
    except (OSError, ValueError) as error:
        print(f"demoweb: cannot start: {error}", file=sys.stderr)
        return 1
    with web:
        text = json.dumps(web.manifest(), indent=2) + "\n"
        if args.manifest:
            # Write then rename so a watcher never reads a half-written manifest.
            partial = args.manifest.with_name(args.manifest.name + ".tmp")
            partial.write_text(text, encoding="utf-8")
            partial.replace(args.manifest)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

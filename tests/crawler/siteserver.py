"""A tiny stdlib HTTP server for fixture sites, one per loopback address, logging every request path."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class FixtureSite:
    """One served fixture directory: its root URL and the paths requested so far."""

    name: str
    url: str
    requests: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)


class _Handler(SimpleHTTPRequestHandler):
    site: FixtureSite

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass  # the request log below replaces stderr noise

    def send_head(self):
        self.site.requests.append(self.path)
        self.site.user_agents.append(self.headers.get("User-Agent", ""))
        return super().send_head()


class SiteServers:
    """Serve each directory in `root` on its own loopback address (127.0.1.k) and a free port."""

    def __init__(self, root: Path, names: list[str]):
        self.sites: dict[str, FixtureSite] = {}
        self._servers: list[ThreadingHTTPServer] = []
        for k, name in enumerate(names, start=2):
            host = f"127.0.1.{k}"
            site = FixtureSite(name=name, url="")
            handler = type(f"Handler_{name}", (_Handler,), {"site": site})
            server = ThreadingHTTPServer(
                (host, 0), functools.partial(handler, directory=str(root / name))
            )
            site.url = f"http://{host}:{server.server_address[1]}/"
            self.sites[name] = site
            self._servers.append(server)
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

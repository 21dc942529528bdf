"""What the admin app holds between requests: its configuration, the lazily opened store and
accounts, the cached catalog, the background rebuilder and the crawl launcher.

Owns: AdminConfig, AdminState, admin_state(request). Must not import the route modules.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request

from index.accounts import ABSOLUTE_TIMEOUT_SECONDS, IDLE_TIMEOUT_SECONDS, Accounts
from index.store import Store
from search_web.admin.catalog import Catalog, load_catalog
from search_web.admin.jobs import Launcher, Rebuilder


@dataclass
class AdminConfig:
    data_dir: Path
    idle_timeout: float = IDLE_TIMEOUT_SECONDS
    absolute_timeout: float = ABSOLUTE_TIMEOUT_SECONDS
    debug: bool = False

    @classmethod
    def from_settings(cls, settings: Any) -> AdminConfig:
        """Accepts the public WebSettings (or anything with `data_dir`); optional admin_* attributes."""
        return cls(
            data_dir=Path(settings.data_dir),
            idle_timeout=float(getattr(settings, "admin_idle_timeout", IDLE_TIMEOUT_SECONDS)),
            absolute_timeout=float(
                getattr(settings, "admin_absolute_timeout", ABSOLUTE_TIMEOUT_SECONDS)
            ),
            debug=bool(getattr(settings, "debug", False)),
        )


class AdminState:
    """What the admin app holds: lazily opened store and accounts, the rebuilder and job launcher."""

    def __init__(self, config: AdminConfig) -> None:
        self.config = config
        self.data_dir = config.data_dir
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._accounts: Accounts | None = None
        self._catalog_lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._catalog_key: tuple[int, int] | None = None
        self._watch: sqlite3.Connection | None = None
        self.clock: Callable[[], float] = time.time  # replaceable in tests
        self.rebuilder = Rebuilder(self.data_dir)
        self.launcher = Launcher(self.data_dir)

    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store(self.data_dir / "store.sqlite3")
            return self._store

    @property
    def accounts(self) -> Accounts:
        with self._lock:
            if self._accounts is None:
                self._accounts = Accounts.for_data_dir(self.data_dir)
            return self._accounts

    def _store_version(self) -> int:
        """SQLite's data_version on a connection of our own: it changes whenever any other
        connection (our Store, a build, a crawl process) commits, so a cached catalog is exact."""
        if self._watch is None:
            self.store  # noqa: B018 - creates and migrates the file before we watch it
            self._watch = sqlite3.connect(
                str(self.data_dir / "store.sqlite3"), check_same_thread=False
            )
        return int(self._watch.execute("PRAGMA data_version").fetchone()[0])

    def catalog(self) -> Catalog:
        """Resolution over the whole store is the costly part of every admin page, so the result
        is reused until the store changes (or a minute passes: "new" and "stale" depend on now)."""
        with self._catalog_lock:
            key = (self._store_version(), int(self.clock() // 60))
            if self._catalog is None or key != self._catalog_key:
                self._catalog = load_catalog(self.store)
                self._catalog_key = key  # read before loading, so a concurrent write reloads
            return self._catalog

    def close(self) -> None:
        self.rebuilder.close()
        self.launcher.close()
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
            if self._accounts is not None:
                self._accounts.close()
                self._accounts = None
        with self._catalog_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
            self._catalog = None


def admin_state(request: Request) -> AdminState:
    return request.app.state.admin

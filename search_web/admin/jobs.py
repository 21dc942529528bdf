"""Work the back office starts but never runs inside a request: the quick rebuild that publishes a
curation decision, and crawls / full index builds launched as separate `skinmap` processes.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from index.build import BuildInProgress, rebuild, refresh_listings

log = logging.getLogger(__name__)

BUSY_RETRY_SECONDS = 0.25  # another build holds the lock: try again shortly, decisions must land


class Rebuilder:
    """Publishes curation decisions in a background thread, in two steps.

    First the touched listings are patched into the live generation (index.build.refresh_listings:
    public within the search service's one-second check, whatever the directory's size); then a
    full rebuild folds them in for good (merges and splits need it, and new words become
    searchable). Any number of requests while a build runs cause one more build, not one each.
    """

    def __init__(
        self,
        data_dir: Path,
        build: Callable[[Path], object] = rebuild,
        refresh: Callable[[Path, list[str]], object] = refresh_listings,
    ) -> None:
        self.data_dir = Path(data_dir)
        self._build = build
        self._refresh = refresh
        self._pending_ids: set[str] = set()
        self._cond = threading.Condition()
        self._pending = False
        self._running = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.builds = 0

    def request(self, listing_ids: Iterable[str] = ()) -> None:
        with self._cond:
            if self._closed:
                return
            self._pending = True
            self._pending_ids.update(listing_ids)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="skinmap-admin-rebuild", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                self._pending = False
                self._running = True
                listing_ids, self._pending_ids = sorted(self._pending_ids), set()
            try:
                if listing_ids:
                    self._publish_now(listing_ids)
                self._build(self.data_dir)
                self.last_error = None
                self.builds += 1
            except BuildInProgress:
                with self._cond:
                    self._pending = True
                    self._cond.wait(BUSY_RETRY_SECONDS)
            except Exception as error:  # logged and shown on the dashboard; the thread lives on
                log.exception("admin-triggered rebuild failed")
                self.last_error = f"{type(error).__name__}: {error}"
            finally:
                with self._cond:
                    self._running = False
                    self._cond.notify_all()

    def _publish_now(self, listing_ids: list[str]) -> None:
        """The quick path; if it fails, the full build that follows still publishes."""
        try:
            self._refresh(self.data_dir, listing_ids)
        except Exception:
            log.exception("patching %d listings into the live index failed", len(listing_ids))

    def wait_idle(self, timeout: float) -> bool:
        """Block until no build is pending or running (for tests and shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._running:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._pending or self._running

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


@dataclass
class Job:
    id: int
    kind: str  # "crawl" | "index"
    argv: list[str]
    started_at: str
    started_by: str
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    @property
    def status(self) -> str:
        code = self.process.poll()
        if code is None:
            return "running"
        return "finished" if code == 0 else f"failed (exit {code})"


def skinmap_argv(data_dir: Path, *command: str) -> list[str]:
    return [sys.executable, "-m", "skinmap", "--data-dir", str(data_dir), *command]


def crawl_command(source: str, form: dict[str, str]) -> list[str]:
    """The `skinmap crawl ...` arguments for the dashboard's crawl form (pure; ValueError if bad)."""
    if source == "practices":
        urls = [
            line.strip() for line in (form.get("start_urls") or "").splitlines() if line.strip()
        ]
        if not urls:
            raise ValueError("give at least one start URL, one per line")
        bad = [url for url in urls if not url.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"{bad[0]!r} is not an http(s) URL")
        command = ["crawl", "practices"]
        for url in urls:
            command += ["--start-url", url]
        return command
    if source == "nppes":
        states = [s.strip().upper() for s in (form.get("states") or "").replace(",", " ").split()]
        if not states or any(len(s) != 2 or not s.isalpha() for s in states):
            raise ValueError("give two-letter state codes, e.g. TX CO")
        command = ["crawl", "nppes"]
        api_url = (form.get("api_url") or "").strip()
        if api_url:
            if not api_url.startswith(("http://", "https://")):
                raise ValueError("the NPI API URL must be http(s)")
            command += ["--api-url", api_url]
        for state in states:
            command += ["--state", state]
        return command
    if source == "cms":
        path = (form.get("cms_source") or "").strip()
        if not path:
            raise ValueError("give the CMS file path or URL")
        return ["crawl", "cms", "--source", path]
    raise ValueError(f"unknown crawl source {source!r}")


class Launcher:
    """Starts `skinmap` child processes (never waits for them) and remembers them for the dashboard."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._lock = threading.Lock()
        self.jobs: list[Job] = []

    def start(self, kind: str, command: list[str], who: str) -> Job:
        logs = self.data_dir / "crawls" / "admin-jobs"
        logs.mkdir(parents=True, exist_ok=True)
        with self._lock:
            job_id = len(self.jobs) + 1
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            log_path = logs / f"{stamp}-{kind}-{job_id}.log"
            argv = skinmap_argv(self.data_dir, *command)
            with open(log_path, "ab") as handle:
                process = subprocess.Popen(
                    argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
                )
            job = Job(
                id=job_id,
                kind=kind,
                argv=argv,
                started_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                started_by=who,
                log_path=log_path,
                process=process,
            )
            self.jobs.append(job)
        log.info("admin %s started %s job %d: %s", who, kind, job_id, " ".join(argv))
        return job

    def close(self) -> None:
        """Reap finished children; running ones are left to finish on their own."""
        with self._lock:
            for job in self.jobs:
                job.process.poll()

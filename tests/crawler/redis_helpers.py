"""A real, throwaway redis-server for the distributed-crawl tests, and helpers to run and wait on
worker and ingest processes (no sleeps with assertions: every wait is on a condition)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.crawler.crawl_helpers import REPO

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
QUICK = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=0"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """redis-server on a loopback port; `persist` keeps an append-only file (fsync always) in
    `directory`, so a server killed and started again has every acknowledged write."""

    def __init__(self, directory: Path, port: int | None = None, persist: bool = False):
        if not Path(REDIS_SERVER).exists():
            pytest.skip("redis-server is not installed (Debian package redis-server)")
        self.directory = directory
        self.port = port or free_port()
        self.persist = persist
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--dir", str(self.directory)]
        if self.persist:
            argv += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            argv += ["--appendonly", "no"]
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        # Redis says when it is ready; reading its log avoids polling with sleeps.
        for line in self.process.stdout:
            if "Ready to accept connections" in line:
                return self
        raise RuntimeError(f"redis-server exited with {self.process.wait()} before it was ready")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process.stdout.close()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process.stdout.close()
            self.process = None


def skinmap(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "skinmap", "--data-dir", str(data_dir), *args]


def worker_argv(data_dir: Path, redis_url: str, seeds: Path, *extra: str) -> list[str]:
    argv = skinmap(data_dir, "crawl", "practices", "--seeds", str(seeds), "--redis", redis_url)
    return argv + QUICK + list(extra)


def start(argv: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    """A child process whose output goes to a file (a pipe nobody reads would fill and block)."""
    with open(log, "w", encoding="utf-8") as handle:  # the child keeps its own copy
        return subprocess.Popen(argv, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, env=env)


def wait_for(condition: Callable[[], object], timeout: float, what: str, poll: float = 0.05):
    """Poll until `condition()` is truthy (returns it); fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")

"""Fixtures for the web tests: a real store and index built from fictional observations, and clients."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from search_web.app import WebSettings, create_app
from tests.search_web.sample import build_data_dir, fixture_observations

with warnings.catch_warnings():
    # Starlette 1.x warns at import that it prefers `httpx2`, which the lock does not include;
    # we cannot fix that from here, and the warning says nothing about our code.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


@pytest.fixture(scope="session")
def built_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_data_dir(tmp_path_factory.mktemp("web-data"), fixture_observations())


@pytest.fixture(scope="session")
def client(built_data_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(WebSettings(data_dir=built_data_dir))) as test_client:
        yield test_client


@pytest.fixture
def empty_client(tmp_path: Path) -> Iterator[TestClient]:
    """An app over a data directory where `skinmap index` has never run."""
    with TestClient(create_app(WebSettings(data_dir=tmp_path))) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def listing_ids(client: TestClient) -> dict[str, str]:
    """Names -> listing ids, found through the API itself (ids are derived, not chosen by us)."""
    params = {"near": "78701", "radius": "200", "per_page": "100"}
    results = client.get("/api/search", params=params).json()["results"]
    return {result["name"]: result["id"] for result in results}


@contextmanager
def serving(data_dir: Path) -> Iterator[str]:
    """The app over `data_dir` under a real uvicorn on a free loopback port (bound by us, so no
    port race); yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(WebSettings(data_dir=data_dir)),
        log_level="warning",
        lifespan="on",
        ws="none",
        http="h11",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@pytest.fixture(scope="session")
def live_server(built_data_dir: Path) -> Iterator[str]:
    with serving(built_data_dir) as base:
        yield base


# Debian's Chromium, driven by Playwright; never a downloaded browser. As root it needs
# --no-sandbox; the background-networking flags keep it from calling out of this machine.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def loopback_tab(browser, base_url: str, *, ignore: str | None = None, **context_options):
    """A page in a fresh browser context (own cookies) that may contact only `base_url`, and that
    fails the test on any page error or console error (but one whose text holds `ignore`)."""
    context = browser.new_context(base_url=base_url, **context_options)
    context.route(
        re.compile(r"^(?!" + re.escape(base_url) + r")https?://"), lambda route: route.abort()
    )
    page = context.new_page()
    problems: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and (ignore is None or ignore not in message.text):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        yield page
        assert problems == []
    finally:
        context.close()

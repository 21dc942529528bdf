"""The back office in a real Chromium against a real uvicorn: login, the queue, edit, hide, merge and
unmerge, and report handling, each checked on the public site too."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from index.store import Store
from search_web.admin.catalog import load_catalog
from tests.search_web.test_admin import ADMIN, EDITOR, make_admin_data_dir, mounted_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Publishing takes a rebuild (well under a second here) plus the public app's 1 s reload check; the
# generous limit only keeps a loaded CI machine from failing, it is not what we promise.
PUBLIC_TIMEOUT = 15.0


@dataclass
class LiveOffice:
    url: str
    data_dir: Path

    def ids(self) -> dict[str, str]:
        with Store(self.data_dir / "store.sqlite3") as store:
            # Keyed by the crawled name: an earlier test in this module may have renamed someone.
            return {e.crawled.name: e.id for e in load_catalog(store).listings.values()}


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveOffice]:
    data_dir = make_admin_data_dir(tmp_path_factory.mktemp("admin-browser") / "data")
    public, admin = mounted_app(data_dir)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(public, log_level="warning", lifespan="on", ws="none", http="h11")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield LiveOffice(f"http://127.0.0.1:{port}", data_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
        admin.state.admin.rebuilder.wait_idle(30)
        admin.state.admin.close()


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def sign_in(page, office: LiveOffice, user: tuple[str, str]) -> None:
    page.goto(f"{office.url}/admin/login")
    page.fill("#username", user[0])
    page.fill("#password", user[1])
    page.click("form.login button[type=submit]")
    page.wait_for_selector("h1:has-text('Review queue')")


@pytest.fixture
def page(browser, office) -> Iterator[object]:
    """A signed-in editor's page; console errors (CSP violations included) fail the test."""
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, office, EDITOR)
    yield page
    context.close()
    # A 404 the test provoked on purpose on the public site is logged as a console error.
    assert [p for p in problems if "404" not in p] == []


def eventually(check: Callable[[], bool], timeout: float = PUBLIC_TIMEOUT) -> float:
    """Seconds until check() held; fails after timeout. For waits on the background rebuild only."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - started


def public_status(office: LiveOffice, page, listing_id: str) -> tuple[int, str]:
    response = page.request.get(f"{office.url}/api/practitioners/{listing_id}")
    return response.status, response.text()


def test_login_shows_errors_then_signs_in_and_out(browser, office):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{office.url}/admin/")
        assert page.url.endswith("/admin/login")
        expect(page.locator("h1")).to_have_text("Sign in")
        page.fill("#username", ADMIN[0])
        page.fill("#password", "not-the-password")
        page.click("form.login button[type=submit]")
        expect(page.locator("[role=alert]")).to_contain_text("do not match")
        page.fill("#password", ADMIN[1])
        page.click("form.login button[type=submit]")
        page.wait_for_selector("h1:has-text('Review queue')")
        expect(page.locator("nav[aria-label=Admin] a:has-text('Users')")).to_have_count(1)
        page.click("text=Sign out")
        page.wait_for_selector("h1:has-text('Sign in')")
        page.goto(f"{office.url}/admin/crawls")
        assert page.url.endswith("/admin/login")
    finally:
        context.close()


def test_the_queue_tabs_and_filter(page, office):
    ids = office.ids()
    rows = page.locator("tr[data-listing]")
    page.click("a[data-category=merges]")
    expect(page.locator("a[data-category=merges]")).to_have_attribute("aria-current", "page")
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-listing") == ids["Dana Wells"]
    page.click("a[data-category=new]")
    expect(page.locator("a[data-category=new]")).to_have_attribute("aria-current", "page")
    page.fill("#q", "Okafor")
    page.click("form.filter button")
    expect(page.locator("#q")).to_have_value("Okafor")
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-listing") == ids["Ben Okafor"]
    page.click(f"tr[data-listing={ids['Ben Okafor']}] a")
    expect(page.locator("h1")).to_contain_text("Ben Okafor")


def test_an_edit_reaches_the_public_site(page, office):
    ben = office.ids()["Ben Okafor"]
    page.goto(f"{office.url}/admin/listings/{ben}")
    page.fill("#edit-name", "Benjamin Okafor")
    page.fill("#edit-why", "name as on the state licence")
    page.click("form.edit button[type=submit]")
    expect(page.locator("[role=status]")).to_have_text("Saved.")
    expect(page.locator("h1")).to_contain_text("Benjamin Okafor")
    eventually(lambda: "Benjamin Okafor" in public_status(office, page, ben)[1])
    page.goto(f"{office.url}/practitioners/{ben}")
    expect(page.locator("h1")).to_contain_text("Benjamin Okafor")
    page.goto(f"{office.url}/admin/listings/{ben}/history")
    history = page.locator("table.history").inner_text()
    assert "listing.edit" in history and "name as on the state licence" in history


def test_hiding_takes_a_listing_off_the_public_site_and_unhiding_brings_it_back(page, office):
    ana = office.ids()["Ana Ruiz"]
    assert public_status(office, page, ana)[0] == 200
    page.goto(f"{office.url}/admin/listings/{ana}")
    page.fill("#action-why", "practice asked us to wait")
    page.click("button[value=hide]")
    expect(page.locator("[role=status]")).to_have_text("Hidden from the public site.")
    eventually(lambda: public_status(office, page, ana)[0] == 404)
    page.click("nav[aria-label=Admin] a:has-text('Review queue')")
    page.click("a[data-category=hidden]")
    expect(page.locator("tr[data-listing]")).to_have_count(1)
    assert page.locator(f"tr[data-listing={ana}]").count() == 1
    page.goto(f"{office.url}/admin/listings/{ana}")
    page.click("button[value=unhide]")
    expect(page.locator("[role=status]")).to_have_text("Visible on the public site again.")
    eventually(lambda: public_status(office, page, ana)[0] == 200)


def test_merge_and_unmerge_from_the_listing_page(page, office):
    ids = office.ids()
    cara, dana = ids["Cara Lin"], ids["Dana Wells"]
    page.goto(f"{office.url}/admin/listings/{cara}")
    page.fill("#merge-other", dana)
    page.fill("#merge-why", "one surgeon, two names")
    page.click("form.merge button[type=submit]")
    expect(page.locator("[role=status]")).to_have_text("Merged.")
    expect(page.locator("table.members tr[data-key]")).to_have_count(3)
    merged_id = page.url.split("/listings/")[1].split("?")[0]
    gone = ({cara, dana} - {merged_id}).pop()
    eventually(lambda: public_status(office, page, gone)[0] == 404)

    page.locator("table.members tr[data-key]", has_text="Cara Lin").locator("button").click()
    expect(page.locator("[role=status]")).to_have_text("Split off.")
    expect(page.locator("table.members")).not_to_contain_text("Cara Lin")
    after = office.ids()
    assert after["Cara Lin"] != after["Dana Wells"]
    eventually(lambda: public_status(office, page, after["Cara Lin"])[0] == 200)


def test_a_patient_report_is_handled_from_the_queue(page, office):
    ben = office.ids()["Ben Okafor"]
    with Store(office.data_dir / "store.sqlite3") as store:
        store.add_report(ben, "wrong-address", "The clinic moved to 2300 S Lamar Blvd.", None)
    page.goto(f"{office.url}/admin/?category=reports")
    page.click(f"tr[data-listing={ben}] a")
    expect(page.locator("h1")).to_contain_text("Okafor")
    report = page.locator("ul.reports li").first
    assert "moved to 2300 S Lamar" in report.inner_text()
    report.locator("input[name=why]").fill("address updated at the source")
    report.locator("button[value=resolved]").click()
    expect(page.locator("[role=status]")).to_have_text("Report resolved.")
    expect(page.locator("ul.reports")).to_have_count(0)
    page.goto(f"{office.url}/admin/?category=reports")
    expect(page.locator("tr[data-listing]")).to_have_count(0)


@pytest.mark.parametrize("width", [375, 1280])
def test_every_admin_page_passes_axe_fits_a_phone_and_has_a_favicon(browser, office, width):
    from tests.search_web.test_browser_search import _axe_violations

    # Our CSP rightly refuses the injected axe script, so this context alone bypasses it.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    try:
        page.goto(f"{office.url}/admin/login")
        assert _axe_violations(page) == [], ("login", width)
        sign_in(page, office, ADMIN)
        listing = next(iter(office.ids().values()))
        for path in (
            "/admin/",
            "/admin/?category=reports",
            f"/admin/listings/{listing}",
            f"/admin/listings/{listing}/history",
            "/admin/crawls",
            "/admin/users",
        ):
            page.goto(f"{office.url}{path}")
            assert _axe_violations(page) == [], (path, width)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, width, overflow)
        icon = page.request.get(f"{office.url}/favicon.ico")
        assert icon.ok and icon.headers["content-type"].startswith("image/svg")
        assert missing == []
    finally:
        context.close()

"""The pages in a real Chromium: our CSP blocks nothing of ours, phones get no sideways scroll, and the
skip link appears for keyboard users."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("width", [375, 1280])
def test_pages_load_their_css_break_no_csp_rule_and_fit_the_screen(browser, live_server, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(f"{live_server}/search?near=78701&procedure=any")
        profile = page.locator("ol.results a").first.get_attribute("href")
        for path in ("/", "/search?near=78701&procedure=any", profile, "/guide/microneedling"):
            page.goto(f"{live_server}{path}")
            # The stylesheet applied: the skip link is moved off-screen by site.css.
            assert page.locator(".skip-link").bounding_box()["y"] < 0, path
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, width, overflow)
        assert problems == []
    finally:
        page.close()


def test_the_skip_link_shows_on_tab_and_moves_focus_to_the_content(browser, live_server):
    page = browser.new_page(viewport={"width": 375, "height": 800})
    try:
        page.goto(f"{live_server}/")
        page.keyboard.press("Tab")
        skip = page.locator(".skip-link")
        assert skip.evaluate("element => element === document.activeElement")
        assert skip.bounding_box()["y"] >= 0
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
    finally:
        page.close()

"""Patient search in a real Chromium (Debian's, driven by Playwright; no browser download): ZIP and
city searches, filters, pages, "did you mean", zero-result ways out, profile, the report form, a
keyboard-only path, the map's markers, "use my location", axe-core checks and screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.search_web.conftest import loopback_tab

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
AUSTIN = {"latitude": 30.2747, "longitude": -97.7404}


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    """A fresh context per test (own cookies), failing the test on any page or console error."""
    # A 400 page is a deliberate answer (the report form's "please fix"), not a fault.
    with loopback_tab(
        browser, live_server, ignore="the server responded with a status of 400",
        viewport={"width": 1280, "height": 900}, locale="en-US",
    ) as tab:  # fmt: skip
        yield tab


def navigate(page, target) -> None:
    """Click something that loads a new page, and wait until that page has loaded."""
    with page.expect_navigation():
        target.click()


def _heading(page) -> str:
    return page.locator("#results-heading").inner_text()


def _names(page) -> list[str]:
    return [name.split(",")[0] for name in page.locator(".result-name a").all_inner_texts()]


# --- searching ------------------------------------------------------------------------------------


def test_a_zip_search_from_the_home_page_lists_nearby_microneedling(page):
    page.goto("/")
    page.locator("#near").fill("78701")
    navigate(page, page.get_by_role("button", name="Search"))
    page.wait_for_url(re.compile(r"/search\?"))
    assert "Austin, TX 78701" in _heading(page)
    assert _names(page) == ["Ana Ruiz"]
    assert page.locator("blockquote").first.inner_text().startswith("Dr. Ruiz offers SkinPen")


def test_a_city_search_with_the_filter_off_and_a_specialty_chosen(page):
    page.goto("/")
    page.locator("#near").fill("Austin, TX")
    page.get_by_label("Offers microneedling").uncheck()
    page.get_by_label("Specialty", exact=True).select_option("dermatology")
    navigate(page, page.get_by_role("button", name="Search"))
    page.wait_for_url(re.compile(r"specialty=dermatology"))
    assert "Austin, TX" in _heading(page)
    assert _names(page) == ["Ana Ruiz", "Cara Lin"]
    # The form shows the patient's choices back.
    assert page.get_by_label("Specialty", exact=True).input_value() == "dermatology"
    assert not page.get_by_label("Offers microneedling").is_checked()
    # The facet link switches specialty without retyping anything.
    navigate(page, page.get_by_role("link", name="Plastic surgery"))
    assert _names(page) == ["Ben Okafor"]


def test_pagination_walks_the_results_one_per_page(page):
    page.goto("/search?near=78701&procedure=any&per_page=1")
    first = _names(page)
    pages = page.get_by_role("navigation", name="Result pages")
    assert pages.locator("[aria-current=page]").inner_text() == "1"
    navigate(page, pages.get_by_role("link", name="Next"))
    assert pages.locator("[aria-current=page]").inner_text() == "2"
    second = _names(page)
    navigate(page, pages.get_by_role("link", name="Page 3"))
    third = _names(page)
    assert len({*first, *second, *third}) == 3
    assert first + second + third == ["Ana Ruiz", "Ben Okafor", "Cara Lin"]


def test_a_misspelt_name_shows_the_corrected_results_with_a_way_back(page):
    page.goto("/search?q=Ruz&procedure=any")
    assert "Showing results for ruiz" in page.locator(".correction").inner_text()
    assert _names(page) == ["Ana Ruiz"]
    navigate(page, page.get_by_role("link", name="search for Ruz instead"))
    assert "0 practitioners" in _heading(page)
    navigate(page, page.get_by_role("link", name="ruiz", exact=True))
    assert _names(page) == ["Ana Ruiz"]


def test_zero_results_lead_to_a_wider_radius_and_to_nearby_cities(page):
    page.goto("/search?near=Georgetown%2C+TX&radius=5&procedure=any")
    assert "No practitioners matched" in page.locator(".zero-results").inner_text()
    cities = page.locator(".nearby-cities a")
    assert 1 <= cities.count() <= 4
    label = cities.first.inner_text()
    navigate(page, cities.first)
    assert label in _heading(page)
    page.goto("/search?near=77002&radius=5&specialty=dermatology")
    navigate(page, page.get_by_role("link", name="Search within 10 miles instead"))
    assert "within 10 miles" in _heading(page)


# --- profile and report ---------------------------------------------------------------------------


def test_a_result_opens_its_profile_with_the_quote_and_the_report_form(page):
    page.goto("/search?near=78701")
    navigate(page, page.get_by_role("link", name=re.compile("^Ana Ruiz")))
    page.wait_for_url(re.compile(r"/practitioners/p-"))
    assert page.locator("h1").inner_text().startswith("Ana Ruiz")
    assert "SkinPen" in page.locator("#mn-heading + figure").inner_text()
    assert page.get_by_role("heading", name="Report a problem").is_visible()


def test_the_report_form_refills_on_a_mistake_then_thanks_the_patient(page):
    page.goto("/search?near=78701&procedure=any")
    navigate(page, page.get_by_role("link", name=re.compile("^Cara Lin")))
    page.get_by_label("What is wrong?").select_option("closed_moved")
    page.get_by_label("Details").fill("The office on Main St is empty.")
    page.get_by_label("Your email").fill("not an email")
    navigate(page, page.get_by_role("button", name="Send report"))
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("Details").input_value() == "The office on Main St is empty."
    assert page.get_by_label("What is wrong?").input_value() == "closed_moved"
    assert page.get_by_label("Your email").get_attribute("aria-invalid") == "true"
    page.get_by_label("Your email").fill("")
    navigate(page, page.get_by_role("button", name="Send report"))
    page.wait_for_url(re.compile(r"/report/thanks$"))
    assert page.locator("h1").inner_text() == "Thank you"
    assert "Cara Lin" in page.get_by_role("status").inner_text()


def test_keyboard_only_search_to_profile(page):
    page.goto("/")

    def tab_until(predicate: str, limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(predicate):
                return
        raise AssertionError(f"Tab never reached: {predicate}")

    tab_until("document.activeElement.id === 'near'")
    page.keyboard.type("78701")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"near=78701"))
    tab_until("document.activeElement.matches('.result-name a')")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.startswith("Ana Ruiz")
    # The focused link is visibly outlined (our :focus-visible rule), not an invisible focus.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/practitioners/p-"))
    assert page.locator("h1").inner_text().startswith("Ana Ruiz")


# --- map and location -----------------------------------------------------------------------------


def test_the_map_has_one_marker_per_result_with_coordinates_and_popups_link_profiles(page):
    page.goto("/search?near=Austin%2C+TX&radius=200&procedure=any")
    page.locator("#results-map .practitioner-marker").first.wait_for()
    with_points = page.locator("ol.results li[data-lat][data-lon]").count()
    assert with_points == 4
    # Each practitioner is a marker of their own, or counted in a cluster of nearby ones.
    markers = page.locator("#results-map .leaflet-marker-icon.practitioner-marker")
    clustered = page.locator("#results-map .practitioner-cluster").evaluate_all(
        "nodes => nodes.reduce((sum, n) => sum + parseInt(n.textContent, 10), 0)"
    )
    assert markers.count() + clustered == with_points
    assert page.locator(".map-panel").is_visible()
    # The states outline came from the vendored TopoJSON, drawn as SVG paths.
    page.locator("#results-map path.leaflet-interactive, #results-map svg path").first.wait_for(
        state="attached"
    )
    titles = set(markers.evaluate_all("nodes => nodes.map(n => n.title)"))
    assert "Dana Wells" in titles  # Houston, far from the Austin cluster
    page.locator('#results-map .leaflet-marker-icon[title="Dana Wells"]').click()
    popup_link = page.locator(".leaflet-popup-content a")
    assert popup_link.inner_text() == "Dana Wells"
    href = popup_link.get_attribute("href")
    assert href == page.locator('li[data-name="Dana Wells"]').get_attribute("data-href")
    navigate(page, popup_link)
    page.wait_for_url(re.compile(re.escape(href) + "$"))


def test_without_javascript_the_list_is_complete_and_no_empty_map_shows(browser, live_server):
    context = browser.new_context(java_script_enabled=False, base_url=live_server)
    try:
        tab = context.new_page()
        tab.goto("/search?near=Austin%2C+TX&radius=200&procedure=any")
        assert len(_names(tab)) == 4
        assert not tab.locator(".map-panel").is_visible()
        assert tab.get_by_role("button", name="Use my location").count() == 0
    finally:
        context.close()


def test_use_my_location_fills_the_near_field_after_a_click_only(browser, live_server):
    context = browser.new_context(
        base_url=live_server, geolocation=AUSTIN, permissions=["geolocation"]
    )
    try:
        tab = context.new_page()
        requests: list[str] = []
        tab.on("request", lambda request: requests.append(request.url))
        tab.goto("/")
        assert not [url for url in requests if "/api/places/nearest" in url]
        tab.get_by_role("button", name="Use my location").click()
        status = tab.locator("#locate-status")
        status.filter(has_text="Near Austin, TX").wait_for()
        value = tab.locator("#near").input_value()
        assert re.fullmatch(r"787\d\d", value)
        navigate(tab, tab.get_by_role("button", name="Search"))
        tab.wait_for_url(re.compile(r"near=787"))
        assert "Austin, TX" in _heading(tab)
    finally:
        context.close()


def test_use_my_location_says_so_politely_when_permission_is_refused(browser, live_server):
    context = browser.new_context(base_url=live_server, permissions=[])
    try:
        tab = context.new_page()
        tab.goto("/")
        tab.get_by_role("button", name="Use my location").click()
        tab.locator("#locate-status").filter(has_text="Type a ZIP or a city").wait_for()
        assert tab.locator("#near").input_value() == ""
    finally:
        context.close()


# --- accessibility and screenshots ----------------------------------------------------------------


def _axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"
    )
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in violation["nodes"])
        for violation in result["violations"]
    ]


def _profile_path(page) -> str:
    page.goto("/search?near=78701")
    return page.locator(".result-name a").first.get_attribute("href")


@pytest.mark.parametrize("width", [375, 1280])
def test_axe_finds_no_violations(browser, live_server, width):
    # Our CSP rightly refuses the injected axe script, so this context alone bypasses it.
    context = browser.new_context(
        viewport={"width": width, "height": 900}, base_url=live_server, bypass_csp=True
    )
    try:
        page = context.new_page()
        profile = _profile_path(page)
        for path in (
            "/",
            "/search?near=Austin%2C+TX&radius=200&procedure=any",
            "/search?near=Georgetown%2C+TX&radius=5&procedure=any",
            profile,
            f"{profile}/report",
            "/guide/microneedling",
            "/api/docs",
            "/coverage",
            "/search?near=59001&radius=100",
            "/search?near=78701&q=microneedlin",
            "/search?near=Austin&procedure=any",
            f"{profile}/report/thanks",
        ):
            page.goto(path)
            if "Austin" in path:
                page.locator("#results-map .leaflet-marker-icon").first.wait_for(state="attached")
            assert _axe_violations(page) == [], (path, width)
            if "Austin" in path and width == 375:
                page.get_by_role("button", name="Map").click()
                assert _axe_violations(page) == [], (path, width, "map view")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, width, overflow)
    finally:
        context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_screenshots_of_each_page_are_saved_as_artifacts(page, width):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    profile = _profile_path(page)
    shots = {
        "home": "/",
        "results": "/search?near=Austin%2C+TX&radius=200&procedure=any",
        "zero-results": "/search?near=Georgetown%2C+TX&radius=5&procedure=any",
        "profile": profile,
        "guide": "/guide/microneedling",
        "api-docs": "/api/docs",
    }
    for name, path in shots.items():
        page.goto(path)
        if name == "results":
            page.locator("#results-map .leaflet-marker-icon").first.wait_for(state="attached")
        target = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 5_000, target

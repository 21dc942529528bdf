"""What a patient sees first, in a real Chromium at a phone's 375x812 and a laptop's 1280x900: the
first result's name, distance and "offers" line without scrolling, the search folded into "Edit
search", a List | Map switch on phones, and the words for what is unknown or corrected."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.search_web.conftest import loopback_tab

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 375, "height": 812}
LAPTOP = {"width": 1280, "height": 900}


@pytest.fixture(params=[PHONE, LAPTOP], ids=["375x812", "1280x900"])
def screen(request) -> dict:
    return request.param


@pytest.fixture
def tab(browser, live_server, screen) -> Iterator[object]:
    with loopback_tab(browser, live_server, viewport=screen, locale="en-US") as page:
        yield page


def _on_first_screen(page, locator) -> bool:
    """Wholly inside the viewport as the page opens (no scrolling)."""
    assert page.evaluate("window.scrollY") == 0
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_after_a_search_the_first_result_is_on_the_first_screen(tab, screen):
    tab.goto("/")
    tab.locator("#near").fill("Austin, TX")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Search").click()
    first = tab.locator("ol.results > li").first
    for part in (".result-name", ".distance", ".evidence-label"):
        assert _on_first_screen(tab, first.locator(part)), (part, screen)
    assert first.locator(".evidence-label").inner_text().startswith("Offers microneedling")
    assert re.fullmatch(r"[\d.]+ miles", first.locator(".distance").inner_text())


def test_the_search_is_a_summary_with_the_full_form_one_tap_away(tab, screen):
    tab.goto("/search?near=78701&radius=10&q=ruiz")
    summary = tab.locator("details.edit-search > summary")
    assert "Within 10 miles" in summary.inner_text()
    assert "“ruiz”" in summary.inner_text()
    near = tab.locator("#near")
    if screen is PHONE:
        assert not near.is_visible()
        summary.click()
    assert near.is_visible()
    assert near.input_value() == "78701"
    near.fill("77002")
    tab.get_by_label("Within", exact=True).select_option("25")
    tab.locator("#q").fill("")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Search").click()
    assert "Houston, TX 77002" in tab.locator("#results-heading").inner_text()


def test_a_phone_switches_between_list_and_map(tab, screen):
    tab.goto("/search?near=Austin%2C+TX&radius=200&procedure=any")
    tab.locator("#results-map .leaflet-marker-icon").first.wait_for(state="attached")
    switch = tab.get_by_role("group", name="Show the results as")
    if screen is LAPTOP:
        # Side by side on a wide screen: no switch, both visible.
        assert not switch.is_visible()
        assert tab.locator(".map-panel").is_visible() and tab.locator("ol.results").is_visible()
        return
    assert tab.locator("ol.results").is_visible()
    assert not tab.locator(".map-panel").is_visible()
    switch.get_by_role("button", name="Map").click()
    assert switch.get_by_role("button", name="Map").get_attribute("aria-pressed") == "true"
    assert tab.locator(".map-panel").is_visible()
    assert not tab.locator("ol.results").is_visible()
    assert tab.locator("#results-map .leaflet-marker-icon").first.is_visible()
    switch.get_by_role("button", name="List").click()
    assert tab.locator("ol.results").is_visible()


def test_a_listing_without_an_npi_match_says_so_on_card_and_profile(tab):
    tab.goto("/search?near=Austin%2C+TX&radius=200&procedure=any")
    card = tab.locator("ol.results > li", has_text="Cara Lin")
    assert card.locator(".badge-unconfirmed").inner_text() == "NPI not confirmed"
    confirmed = tab.locator("ol.results > li", has_text="Ana Ruiz")
    assert confirmed.locator(".badge-unconfirmed").count() == 0
    assert "NPI" in confirmed.locator(".badge-npi").inner_text()
    with tab.expect_navigation():
        card.locator(".result-name a").click()
    facts = tab.locator("dl.facts")
    assert "Not confirmed" in facts.inner_text()
    assert "Never" in facts.inner_text()


def test_the_home_page_claims_only_what_is_checked(tab):
    tab.goto("/")
    lede = tab.locator(".lede").inner_text()
    assert "every listing is a licensed" not in lede.lower()
    assert "whether we confirmed its NPI" in lede


def test_far_from_coverage_the_page_names_the_nearest_and_links_the_coverage_page(tab):
    tab.goto("/search?near=59001&radius=100&procedure=any")
    summary = tab.locator(".nearest-summary")
    assert summary.is_visible()
    assert re.fullmatch(r"Nearest: \d in [A-Za-z ]+, TX, \d+ miles(; .+)?\.", summary.inner_text())
    assert tab.locator(".nearest li").count() == 3
    with tab.expect_navigation():
        tab.get_by_role("link", name=re.compile("^Where the directory has data")).click()
    assert tab.locator("h1").inner_text() == "Where the directory has data"
    assert tab.locator(".coverage-table tbody tr").count() >= 1


def test_a_misspelt_procedure_shows_the_corrected_results_at_once(tab):
    tab.goto("/search?near=78701&q=microneedlin")
    correction = tab.locator(".correction")
    assert correction.inner_text().startswith("Showing results for microneedling")
    first = tab.locator("ol.results > li").first
    assert _on_first_screen(tab, first.locator(".result-name"))
    assert first.locator(".evidence-label").inner_text().startswith("Offers microneedling")
    with tab.expect_navigation():
        correction.get_by_role("link", name="search for microneedlin instead").click()
    assert tab.locator("#results-heading").inner_text().startswith("0 practitioners")


def test_back_to_search_keeps_the_words_and_filters(tab):
    tab.goto("/search?near=78701&radius=10&procedure=any&q=ruiz")
    with tab.expect_navigation():
        tab.locator(".result-name a").first.click()
    with tab.expect_navigation():
        tab.get_by_role("link", name="Back to search").click()
    assert "q=ruiz" in tab.url and "radius=10" in tab.url
    assert tab.locator("#q").input_value() == "ruiz"


def test_the_report_form_is_one_readable_column(tab):
    tab.goto("/search?near=78701&procedure=any")
    with tab.expect_navigation():
        tab.locator(".result-name a").first.click()
    boxes = [
        tab.get_by_label(label).bounding_box()
        for label in ("What is wrong?", "Details", "Your email")
    ]
    assert len({round(box["x"]) for box in boxes}) == 1  # stacked, not side by side
    width = tab.viewport_size["width"]
    assert all(box["width"] >= min(300, width - 80) for box in boxes)

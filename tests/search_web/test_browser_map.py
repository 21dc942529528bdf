"""The results map in a real Chromium, offline (no tile server): place names, the searched place and
its radius, zoom to street level, and every practitioner reachable by keyboard and by click, even
three at one address (they cluster, then spiderfy)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.search_web.conftest import loopback_tab, serving
from tests.search_web.sample import (
    _evidence,
    _location,
    _practitioner,
    _recently,
    build_data_dir,
    fixture_observations,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Two more fictional dermatologists in Ana Ruiz's office: three people at one address.
SAME_OFFICE = ["Eve Marsh", "Finn Doyle"]


@pytest.fixture(scope="module")
def map_server(tmp_path_factory) -> Iterator[str]:
    seen = _recently(2)
    site = "http://lakeside-derm.test/"
    extra = [
        _practitioner(
            f"{site}#{name.lower()}",
            name,
            credentials=["MD"],
            specialties=["dermatology"],
            npi=None,
            location=_location(
                "Lakeside Dermatology", "100 Congress Ave", "Austin", "78701", "+15125550101"
            ),
            website=site,
            evidence=[_evidence(f"Dr. {name.split()[1]} offers microneedling.", site, seen)],
            seen=seen,
        )
        for name in SAME_OFFICE
    ]
    data_dir: Path = build_data_dir(
        tmp_path_factory.mktemp("map-data"), fixture_observations() + extra
    )
    with serving(data_dir) as base:
        yield base


@pytest.fixture(params=[{"width": 375, "height": 812}, {"width": 1280, "height": 900}])
def tab(browser, map_server, request) -> Iterator[object]:
    with loopback_tab(browser, map_server, viewport=request.param) as page:
        yield page


def open_map(page, path: str) -> None:
    page.goto(path)
    page.locator("#results-map .leaflet-marker-icon").first.wait_for(state="attached")
    switch = page.get_by_role("group", name="Show the results as")
    if switch.is_visible():
        switch.get_by_role("button", name="Map").click()
    page.locator("#results-map").wait_for(state="visible")
    page.locator(
        "#results-map :is(.leaflet-marker-icon.practitioner-marker, .practitioner-cluster)"
    ).first.wait_for()  # drawn where the patient can see it, after the map is shown and fitted


def visible_practitioners(page) -> list[str]:
    return page.locator("#results-map .leaflet-marker-icon.practitioner-marker").evaluate_all(
        "nodes => nodes.filter(n => n.offsetParent !== null).map(n => n.title).sort()"
    )


# What the map shows: visible practitioner markers and cluster counts, to wait for a change.
MAP_STATE = """() => [...document.querySelectorAll('#results-map .leaflet-marker-icon')]
    .filter(n => n.offsetParent !== null && !n.classList.contains('map-label'))
    .map(n => n.title + '/' + n.textContent + '@' + n.style.transform).sort().join('|')"""


def test_every_practitioner_is_reachable_by_keyboard_even_at_one_address(tab):
    open_map(tab, "/search?near=78701&radius=25&procedure=any")
    expected = set(tab.locator("ol.results li[data-lat]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.name)"
    ))  # fmt: skip
    assert {"Ana Ruiz", *SAME_OFFICE} <= expected  # three at one address
    reached: set[str] = set()
    for _ in range(len(expected) * 2):
        # Each visible marker is a button in the Tab order; Enter opens a popup with the profile.
        for name in visible_practitioners(tab):
            if name in reached:
                continue
            marker = tab.locator(
                f'#results-map .leaflet-marker-icon.practitioner-marker[title="{name}"]'
            )
            assert marker.get_attribute("tabindex") == "0"
            assert marker.get_attribute("role") == "button"
            marker.focus()
            tab.keyboard.press("Enter")
            link = tab.locator(".leaflet-popup-content a").filter(has_text=name)
            link.wait_for()
            row = tab.locator("ol.results li[data-lat]").filter(has_text=name)
            assert link.get_attribute("href") == row.get_attribute("data-href")
            reached.add(name)
        if reached == expected:
            break
        # The rest are in a cluster: Enter on it zooms in, or spreads out people at one address.
        cluster = tab.locator("#results-map .practitioner-cluster").first
        assert "practitioners here" in cluster.inner_text()
        before = tab.evaluate(MAP_STATE)
        cluster.focus()
        tab.keyboard.press("Enter")
        tab.wait_for_function(f"b => ({MAP_STATE})() !== b", arg=before)
    assert reached == expected


def test_the_offline_map_labels_places_marks_the_search_and_its_radius(tab):
    open_map(tab, "/search?near=78701&radius=25&procedure=any")
    from index.geo import zip_latlon
    from index.places import nearby_cities

    labels = tab.locator("#results-map .map-label-text").all_inner_texts()
    real = {city.city for city in nearby_cities(*zip_latlon("78701"), miles=30.0, limit=14)}
    assert len(labels) >= 3 and set(labels) <= real | {"Austin"}
    assert "Austin" not in labels  # the searched place has its own label, not a second one
    assert tab.locator("#results-map .map-place-label").inner_text() == "Searched: Austin, TX 78701"
    tab.locator("#results-map path.map-radius").wait_for(state="attached")
    tab.locator("#results-map path.map-place").wait_for(state="attached")


def test_the_offline_map_zooms_to_street_level(tab):
    open_map(tab, "/search?near=78701&radius=25&procedure=any")
    zoom_in = tab.locator("#results-map .leaflet-control-zoom-in")
    for _ in range(40):
        if "leaflet-disabled" in (zoom_in.get_attribute("class") or ""):
            break
        before = tab.locator("#results-map").get_attribute("data-zoom")
        zoom_in.click()
        tab.wait_for_function(
            "z => document.getElementById('results-map').dataset.zoom !== z", arg=before
        )
    assert float(tab.locator("#results-map").get_attribute("data-zoom")) == 18

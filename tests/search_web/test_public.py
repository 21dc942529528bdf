"""The patient pages over a real index: results, evidence quotes, tel: links, safe links, JSON-LD."""

from __future__ import annotations

import json
import re
import warnings
from html.parser import HTMLParser

import pytest

from search_web.app import WebSettings, create_app
from tests.search_web.sample import ANA_NPI, CARA_QUOTE, HOSTILE_WEBSITE

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


class _PageParts(HTMLParser):
    """Collects what the tests look at: links, labels, form fields, JSON-LD blocks, script tags."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.label_for: set[str] = set()
        self.field_ids: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.jsonld: list[str] = []
        self.blockquotes = 0
        self.style_attrs = 0
        self._in_jsonld = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attrs += 1
        if tag == "a" and attributes.get("href") is not None:
            self.hrefs.append(attributes["href"])
        if tag == "label" and attributes.get("for"):
            self.label_for.add(attributes["for"])
        if tag in ("input", "select") and attributes.get("type") != "hidden":
            self.field_ids.append(attributes.get("id") or "")
        if tag == "script":
            self.scripts.append(attributes)
            self._in_jsonld = attributes.get("type") == "application/ld+json"
        if tag == "blockquote":
            self.blockquotes += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_jsonld = False

    def handle_data(self, data):
        if self._in_jsonld:
            self.jsonld.append(data)


def parts(html: str) -> _PageParts:
    parser = _PageParts()
    parser.feed(html)
    return parser


def test_the_home_page_is_a_labelled_search_form_with_microneedling_ticked(client):
    response = client.get("/")
    assert response.status_code == 200
    page = parts(response.text)
    assert '<html lang="en">' in response.text
    assert 'href="#main"' in response.text and 'id="main"' in response.text
    assert page.field_ids and all(field_id in page.label_for for field_id in page.field_ids)
    assert re.search(r'name="procedure"[^>]*value="microneedling"[^>]*checked', response.text)
    for miles in (5, 10, 25, 50, 100):
        assert f'<option value="{miles}"' in response.text
    assert "/guide/microneedling" in page.hrefs


def test_results_show_distance_quote_source_date_phone_and_npi(client):
    response = client.get("/search", params={"near": "78701"})
    assert response.status_code == 200
    html = response.text
    page = parts(html)
    assert "Ana Ruiz, MD" in html
    assert "under 0.1 miles" in html or re.search(r"\d+\.\d miles", html)
    # The quote is escaped, not interpreted: its angle brackets and ampersand survive as text.
    assert "&lt;collagen induction&gt; for acne scars &amp; texture." in html
    assert page.blockquotes == 1
    assert "http://lakeside-derm.test/services/microneedling.html" in page.hrefs
    assert re.search(r"seen [A-Z][a-z]{2} \d{1,2}, \d{4}", html)
    assert "tel:+15125550101" in page.hrefs
    assert f"NPI {ANA_NPI}" in html
    # Only the positive quote is listed under the default microneedling filter.
    assert "Ben Okafor" not in html


def test_showing_everyone_marks_unknown_and_negated_offers_honestly(client):
    html = client.get("/search", params={"near": "78701", "procedure": "any"}).text
    assert "Ben Okafor" in html and "Cara Lin" in html
    assert "2.4 miles" in html
    assert "We found no mention of microneedling on their pages" in html
    assert "do <strong>not</strong> offer microneedling" in html


def test_an_unticked_checkbox_on_the_form_shows_everyone(client):
    html = client.get("/search", params={"near": "78701", "form": "1"}).text
    assert "Ben Okafor" in html


def test_a_javascript_website_never_becomes_a_link(client, listing_ids):
    for url in ("/search?near=78701&procedure=any", f"/practitioners/{listing_ids['Ben Okafor']}"):
        html = client.get(url).text
        hrefs = parts(html).hrefs
        assert not [
            href for href in hrefs if not href.startswith(("/", "#", "http:", "https:", "tel:"))
        ]
        assert HOSTILE_WEBSITE not in hrefs
        assert "javascript:" not in html.lower()


def test_zero_results_offer_a_wider_radius_everyone_and_the_guide(client):
    html = client.get(
        "/search", params={"near": "77002", "radius": "5", "specialty": "dermatology"}
    ).text
    hrefs = parts(html).hrefs
    assert any("radius=10" in href for href in hrefs)
    assert any("procedure=any" in href for href in hrefs)
    assert any("specialty" not in href and href.startswith("/search?") for href in hrefs)
    assert "/guide/microneedling" in hrefs
    assert "Show all nearby dermatologists and surgeons — may offer, call to ask" in html


def test_a_confident_correction_shows_its_results_at_once(client):
    html = client.get("/search", params={"q": "Okafr", "procedure": "any"}).text
    assert "Showing results for <strong>okafor</strong>" in html
    assert "Ben Okafor" in html
    back = re.search(r'<a href="([^"]+)">search for Okafr instead</a>', html)
    assert back and "exact=1" in back[1] and "q=Okafr" in back[1]
    exact = client.get(back[1].replace("&amp;", "&")).text
    assert "Did you mean" in exact and "Ben Okafor" not in exact


def test_a_correction_that_finds_nobody_either_is_only_a_hint_and_the_ways_out_carry_it(client):
    params = {"near": "77002", "radius": "5", "q": "Okafr", "procedure": "any"}
    html = client.get("/search", params=params).text
    assert "Showing results for" not in html
    assert re.search(r'Did you mean <a href="[^"]*q=okafor[^"]*">okafor</a>', html)
    widen = [h for h in parts(html).hrefs if "radius=10" in h]
    assert widen and all("q=okafor" in h for h in widen)
    assert not [h for h in parts(html).hrefs if "Okafr" in h and "exact" not in h]


def test_show_all_nearby_appears_once_on_an_empty_page(client):
    params = {"near": "77002", "radius": "5", "specialty": "dermatology"}
    html = client.get("/search", params=params).text
    assert html.count("Show all nearby dermatologists and surgeons") == 1


def test_lay_terms_say_what_they_were_read_as(client):
    html = client.get("/search", params={"near": "78701", "q": "acne scars"}).text
    assert "Showing practitioners who offer microneedling, which is used for acne scars." in html
    html = client.get("/search", params={"near": "78701", "q": "skin needling"}).text
    assert "“skin needling” is a name for microneedling" in html


def test_pagination_links_keep_every_filter(client):
    params = {"near": "78701", "radius": "200", "procedure": "any", "per_page": "2", "page": "2"}
    response = client.get("/search", params=params)
    assert response.status_code == 200
    nav = response.text[response.text.index('<nav class="pagination"') :]
    links = [href for href in parts(nav).hrefs if "page=" in href or "per_page=2" in href]
    assert links and all(
        "radius=200" in h and "procedure=any" in h and "per_page=2" in h for h in links
    )
    assert 'rel="prev"' in nav and 'aria-current="page">2<' in nav


def test_a_page_past_the_end_links_back_to_the_results(client):
    response = client.get("/search", params={"near": "78701", "procedure": "any", "page": "9"})
    assert response.status_code == 200
    assert "past the end" in response.text
    assert "/search?near=78701&amp;radius=25&amp;procedure=any" in response.text


def test_a_bad_radius_re_shows_the_form_with_a_400_and_the_patients_words(client):
    response = client.get("/search", params={"near": "Austin, TX", "radius": "lots"})
    assert response.status_code == 400
    assert "radius must be a number of miles between 1 and 200" in response.text
    assert 'value="Austin, TX"' in response.text


def test_an_unknown_place_is_a_400_page_not_a_traceback(client):
    response = client.get("/search", params={"near": "Atlantis, ZZ"})
    assert response.status_code == 400
    assert "Traceback" not in response.text and "Atlantis" in response.text


def test_the_profile_shows_locations_npi_status_evidence_and_sources(client, listing_ids):
    response = client.get(f"/practitioners/{listing_ids['Ana Ruiz']}")
    assert response.status_code == 200
    html = response.text
    page = parts(html)
    assert "<h1" in html and "Ana Ruiz" in html
    assert "tel:+15125550101" in page.hrefs
    assert re.search(r"active in NPPES as of [A-Z][a-z]{2} \d{1,2}, \d{4}", html)
    assert "http://lakeside-derm.test/" in page.hrefs
    assert "NPI Registry (NPPES)" in html and "last seen" in html
    assert "Last verified" in html


def test_a_negated_profile_says_they_do_not_offer_it(client, listing_ids):
    html = client.get(f"/practitioners/{listing_ids['Cara Lin']}").text
    assert "do <strong>not</strong> offer microneedling" in html
    assert "Offers microneedling, in their own words" not in html
    # The index keeps no quote for a negated-only listing today; if it starts to, it must be the page's.
    if "<blockquote" in html:
        assert CARA_QUOTE in html


def test_the_profile_json_ld_is_a_parseable_physician_with_escaped_text(client, listing_ids):
    html = client.get(f"/practitioners/{listing_ids['Ana Ruiz']}").text
    page = parts(html)
    assert len(page.jsonld) == 1
    data = json.loads(page.jsonld[0])["@graph"][0]
    assert data["@type"] == "IndividualPhysician" and data["name"] == "Ana Ruiz, MD"
    assert data["identifier"]["value"] == ANA_NPI
    assert data["availableService"]["name"].startswith("Microneedling")
    # Every script is either JSON-LD data or an external file: nothing inline to execute.
    assert all(s.get("type") == "application/ld+json" or s.get("src") for s in page.scripts)
    assert "</script" not in page.jsonld[0]


def test_no_page_uses_inline_styles(client, listing_ids):
    for url in (
        "/",
        "/search?near=78701",
        f"/practitioners/{listing_ids['Ana Ruiz']}",
        "/guide/microneedling",
    ):
        html = client.get(url).text
        assert parts(html).style_attrs == 0 and "<style" not in html


@pytest.mark.parametrize("listing_id", ["p-0000000000", "nobody"])
def test_an_unknown_profile_is_an_html_404(client, listing_id):
    response = client.get(f"/practitioners/{listing_id}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Start a new search" in response.text


def test_the_guide_covers_scars_skin_types_aftercare_cost_and_questions_and_links_to_search(client):
    response = client.get("/guide/microneedling")
    assert response.status_code == 200
    text = response.text
    for phrase in (
        "collagen induction therapy",
        "atrophic",
        "darker skin",
        "vitamin C",
        "Sun sensitivity",
        "eczema",
        "breakout",
        "not cover",
        "results photos",
        "not medical advice",
    ):
        assert phrase.lower() in text.lower(), phrase
    assert 'action="/search"' in text


@pytest.mark.parametrize(
    "q",
    [
        "*:* OR name:[a TO z]",
        "a" * 201,
        "микро 🌿 nadel",
        "nul\x00byte",
        "<script>alert(1)</script>",
    ],
)
def test_hostile_page_queries_render_or_are_refused_never_500(client, q):
    response = client.get("/search", params={"q": q, "near": "78701"})
    assert response.status_code in (200, 400)
    assert "<script>alert(1)</script>" not in response.text


def test_healthz_names_the_live_generation(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["index"].startswith("gen-")


# --- map, use-my-location, zero results, did you mean (second pass) -------------------------------


class _ResultItems(HTMLParser):
    """The data-* attributes on the result list items: what map.js turns into markers."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "li" and ("class", "result") in attrs:
            self.items.append(dict(attrs))


def result_items(html: str) -> list[dict[str, str | None]]:
    parser = _ResultItems()
    parser.feed(html)
    return parser.items


def test_each_result_with_coordinates_carries_its_marker_data(client):
    html = client.get("/search", params={"near": "78701", "procedure": "any"}).text
    items = result_items(html)
    assert len(items) == 3
    for item in items:
        assert -90 <= float(item["data-lat"]) <= 90 and -180 <= float(item["data-lon"]) <= 180
        assert item["data-href"].startswith("/practitioners/p-")
        assert item["data-name"] in ("Ana Ruiz", "Ben Okafor", "Cara Lin")
    # Ana's practice is at 78701: her marker sits on that ZIP's centroid, near the Capitol.
    ana = next(item for item in items if item["data-name"] == "Ana Ruiz")
    assert abs(float(ana["data-lat"]) - 30.27) < 0.05 and abs(float(ana["data-lon"]) + 97.74) < 0.05


def test_the_map_is_hidden_until_its_script_runs_and_loads_only_vendored_files(client):
    html = client.get("/search", params={"near": "78701"}).text
    assert re.search(r'<section class="map-panel"[^>]*\bhidden\b', html)
    page = parts(html)
    sources = [script.get("src") for script in page.scripts]
    assert sources == [
        "/static/vendor/leaflet-1.9.4/leaflet.js",
        "/static/vendor/leaflet.markercluster-1.5.3/leaflet.markercluster.js",
        "/static/vendor/topojson-client-3.1.0/topojson-client.min.js",
        "/static/js/map.js",
        "/static/js/search.js",
    ]
    assert 'href="/static/vendor/leaflet-1.9.4/leaflet.css"' in html
    assert 'data-states-url="/static/vendor/us-atlas-3.0.1/states-10m.json"' in html
    assert "data-tile-url" not in html
    for path in [*sources, "/static/vendor/us-atlas-3.0.1/states-10m.json"]:
        assert client.get(path).status_code == 200, path
    for license_path in (
        "/static/vendor/leaflet-1.9.4/LICENSE",
        "/static/vendor/topojson-client-3.1.0/LICENSE",
        "/static/vendor/us-atlas-3.0.1/LICENSE",
    ):
        assert client.get(license_path).status_code == 200


def test_pages_without_results_load_no_map_code(client):
    for url in ("/", "/search?q=qqqqqq&procedure=any"):
        html = client.get(url).text
        assert "leaflet" not in html and "map-panel" not in html
        assert '<script src="/static/js/search.js" defer></script>' in html


def test_a_tile_url_setting_reaches_the_map_and_the_csp(built_data_dir):
    settings = WebSettings(
        data_dir=built_data_dir,
        tile_url="https://{s}.tiles.example.org/{z}/{x}/{y}.png",
        admin=False,
    )
    with TestClient(create_app(settings)) as tiled:
        response = tiled.get("/search", params={"near": "78701"})
    assert 'data-tile-url="https://{s}.tiles.example.org/{z}/{x}/{y}.png"' in response.text
    assert "https://*.tiles.example.org" in response.headers["content-security-policy"]


def test_the_near_field_is_ready_for_the_location_button(client):
    html = client.get("/").text
    assert 'data-locate-url="/api/places/nearest"' in html
    assert re.search(r'id="locate-status"[^>]*role="status"[^>]*aria-live="polite"', html)
    # The button itself is made by search.js, so a page without JavaScript shows none.
    assert "Use my location" not in html
    script = client.get("/static/js/search.js").text
    assert "Use my location" in script and "getCurrentPosition" in script


def test_zero_results_near_a_place_link_nearby_cities_where_the_same_search_finds_someone(client):
    html = client.get(
        "/search", params={"near": "Georgetown, TX", "radius": "5", "procedure": "any"}
    ).text
    assert "No practitioners matched" in html
    nearby = re.findall(
        r'<a href="(/search\?near=[^"]+)">([^<]+, TX)</a> \((\d+) practitioners?\)', html
    )
    assert 1 <= len(nearby) <= 4
    labels = [label for _, label, _ in nearby]
    assert "Georgetown, TX" not in labels
    assert "Round Rock, TX" in labels  # Cara Lin's office
    for href, label, count in nearby:
        assert "radius=5" in href and "procedure=any" in href
        # The promised count is what the link really shows.
        page = client.get(href.replace("&amp;", "&")).text
        assert re.search(rf"\b{count} practitioners?\s+within 5 miles of {label}", page), label
        assert int(count) > 0


def test_zero_results_with_no_one_in_any_nearby_city_suggest_no_cities(client):
    html = client.get("/search", params={"near": "Killeen, TX", "radius": "5", "q": "Okafor"}).text
    assert "No practitioners matched" in html and "nearby-cities" not in html
    assert "Search within 10 miles instead" in html


def test_did_you_mean_is_a_link_to_the_corrected_search(client):
    html = client.get("/search", params={"q": "Ruz", "procedure": "any", "exact": "1"}).text
    match = re.search(r'Did you mean <a href="([^"]+)">([^<]+)</a>', html)
    assert match and match[2] == "ruiz"
    follow = client.get(match[1].replace("&amp;", "&"))
    assert "Ana Ruiz" in follow.text


def test_the_footer_links_to_the_api_documentation(client):
    assert "/api/docs" in parts(client.get("/").text).hrefs


def test_the_radius_menu_keeps_a_radius_set_by_a_link(client):
    html = client.get("/search", params={"near": "78701", "radius": "200"}).text
    assert '<option value="200" selected>200 miles</option>' in html
    html = client.get("/search", params={"near": "78701", "radius": "25.0"}).text
    assert '<option value="25" selected>25 miles</option>' in html
    assert html.count(" selected>") == 1


def test_the_profile_says_where_each_fact_comes_from(client, listing_ids):
    html = client.get(f"/practitioners/{listing_ids['Ana Ruiz']}").text
    section = html.split("Where each fact comes from", 1)[1].split("</ul>", 1)[0]
    assert "<strong>NPI</strong> — " in section and "NPI Registry (NPPES)" in section
    assert "<strong>Microneedling quote</strong> — " in section
    assert re.search(r"<strong>Phone \([^)]+\)</strong> — ", section)
    assert ", seen " in section


def test_far_from_coverage_the_empty_page_names_the_nearest_matches_with_distance(client):
    from index.geo import haversine_miles, zip_latlon

    everyone = client.get("/api/search", params={"near": "78701", "radius": "200"}).json()
    origin = zip_latlon("59001")  # Montana: nobody within any radius the form offers
    expected = sorted(
        (
            min(haversine_miles(origin, (loc["lat"], loc["lon"])) for loc in r["locations"]),
            r["name"],
        )
        for r in everyone["results"]
    )[:3]
    html = client.get("/search", params={"near": "59001", "radius": "100", "procedure": "any"}).text
    assert "No practitioners matched" in html
    named = re.findall(
        r'<li><a href="/practitioners/[^"]+">([^<]+)</a> in ([^,]+, [A-Z]{2}),', html
    )
    assert [name for name, _ in named] == [name for _, name in expected]
    summary = re.search(r'class="nearest-summary">Nearest: ([^<]+)\.</p>', html)
    first_city = named[0][1]
    in_first_city = sum(1 for _, city in named if city == first_city)
    assert summary and summary[1].startswith(
        f"{in_first_city} in {first_city}, {expected[0][0]:.0f} miles"
    )
    assert 'href="/coverage"' in html


def test_the_nearest_matches_keep_the_filters(client):
    params = {"near": "59001", "radius": "100", "specialty": "facial-plastic-surgery"}
    html = client.get("/search", params=params).text
    named = re.findall(r'<li><a href="/practitioners/[^"]+">([^<]+)</a> in ', html)
    assert named == ["Dana Wells"]


def test_the_coverage_page_lists_states_and_cities_with_counts(client):
    everyone = client.get("/api/search", params={"near": "78701", "radius": "200"}).json()
    cities: dict[str, set[str]] = {}
    for result in everyone["results"]:
        for loc in result["locations"]:
            cities.setdefault(loc["city"], set()).add(result["id"])
    html = client.get("/coverage").text
    assert re.search(rf'<th scope="row">TX</th>\s*<td>{everyone["total"]}</td>', html)
    for city, ids in cities.items():
        assert re.search(rf">{re.escape(city)}</a> \({len(ids)}\)", html), city


def test_back_to_search_returns_to_the_search_the_patient_came_from(client, listing_ids):
    profile = f"/practitioners/{listing_ids['Ana Ruiz']}"
    came_from = "http://testserver/search?near=78701&radius=10&procedure=any&q=ruiz+skinpen"
    html = client.get(profile, headers={"referer": came_from}).text
    assert (
        'href="/search?near=78701&amp;radius=10&amp;procedure=any&amp;q=ruiz+skinpen">Back' in html
    )
    elsewhere = client.get(profile, headers={"referer": "https://evil.test/search?q=x"}).text
    assert "evil.test" not in elsewhere and "q=x" not in elsewhere
    assert re.search(r'href="/search\?near=78701[^"]*">Back to search', elsewhere)


def test_a_city_without_its_state_searches_the_largest_and_names_the_others(client):
    html = client.get("/search", params={"near": "Austin", "procedure": "any"}).text
    assert "Showing results near <strong>Austin, TX</strong>" in html
    assert "Ana Ruiz" in html
    others = re.findall(r'<a href="/search\?near=Austin%2C\+([A-Z]{2})[^"]*">Austin, \1</a>', html)
    assert others and "TX" not in others
    assert 'value="Austin, TX"' in html  # the form shows the place searched


def test_a_misspelt_city_is_read_as_the_nearest_spelling_in_its_state(client):
    html = client.get("/search", params={"near": "Austn, TX", "procedure": "any"}).text
    assert "Showing results near <strong>Austin, TX</strong> — you typed “Austn, TX”" in html
    assert "Ana Ruiz" in html
    nowhere = client.get("/search", params={"near": "Qqqqqqq, TX"})
    assert nowhere.status_code == 400 and "couldn" in nowhere.text


def test_the_guide_names_its_sources_its_review_date_and_the_common_cautions(client):
    text = client.get("/guide/microneedling").text
    assert "last reviewed December 4, 2026" in text
    sources = [h for h in parts(text).hrefs if h.startswith("https://")]
    assert any("fda.gov" in h for h in sources) and len(sources) >= 3
    for caution in ("Isotretinoin", "keloids", "Blood thinners", "Pregnancy", "under 22"):
        assert caution in text, caution
